// The documentation's links and imports, checked from the repository (docs/ does not ship, so
// this runs on the work tree, not on the packed package): every relative link in README.md and
// docs/*.md names a file that exists, and, where it has a #fragment into a markdown file, a
// heading there (GitHub's slugs); every fenced JavaScript or TypeScript example that imports or
// requires the package names an entry of package.json's `exports`.
// Run by scripts/test.sh: node --test tests/docs.test.js
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** README.md and every docs/*.md, as paths from the repository root. */
function pages() {
  const docs = existsSync(join(ROOT, "docs")) ? readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")) : [];
  return ["README.md", ...docs.sort().map((f) => `docs/${f}`)];
}

/**
 * The page split into fenced code blocks (`{ info, code, line }`) and the prose between them
 * (`{ prose, line }`), each with the line it starts on. Fences of three or more backticks or
 * tildes, closed by at least as many of the same; an unclosed fence runs to the end.
 */
function parts(text) {
  const lines = text.split("\n");
  const out = [];
  let prose = [];
  let proseLine = 1;
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) {
      prose.push(lines[i]);
      continue;
    }
    out.push({ prose: prose.join("\n"), line: proseLine });
    const [, fence, info] = open;
    const code = [];
    const start = i + 1;
    for (i++; i < lines.length; i++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[i]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      code.push(lines[i]);
    }
    out.push({ info: info.trim().split(/\s+/)[0].toLowerCase(), code: code.join("\n"), line: start });
    prose = [];
    proseLine = i + 2;
  }
  out.push({ prose: prose.join("\n"), line: proseLine });
  return out;
}

/** Prose with its inline code spans blanked (same length, so positions still count lines). */
function withoutCodeSpans(prose) {
  return prose.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => span.replace(/[^\n]/g, " "));
}

/** GitHub's anchor for a heading's text: lower case, punctuation and symbols dropped, spaces to hyphens. */
function slug(heading) {
  // Code spans keep their content as written; outside them, links and images keep their
  // text, and inline HTML and emphasis marks go.
  const text = heading
    .split(/(`+[^`]*`+)/)
    .map((piece, i) =>
      i % 2 === 1
        ? piece.replace(/^`+|`+$/g, "")
        : piece
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
            .replace(/<[^>]+>/g, "")
            .replace(/(\*{1,3}|\b_{1,3})(\S[\s\S]*?\S|\S)\1/g, "$2"),
    )
    .join("");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a markdown page has: its ATX headings' slugs (repeats numbered as GitHub does) and HTML ids and names. */
function anchors(text) {
  const found = new Set();
  const seen = new Map();
  for (const part of parts(text)) {
    if (part.prose === undefined) continue;
    for (const line of part.prose.split("\n")) {
      const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
      if (heading) {
        const base = slug(heading[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        found.add(n === 0 ? base : `${base}-${n}`);
      }
      for (const [, id] of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) found.add(id);
    }
  }
  return found;
}

/** The link targets of a page's prose: inline links and images, and reference definitions. */
function links(text) {
  const found = [];
  for (const part of parts(text)) {
    if (part.prose === undefined) continue;
    const prose = withoutCodeSpans(part.prose);
    const lineOf = (index) => part.line + prose.slice(0, index).split("\n").length - 1;
    for (const match of prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      found.push({ target: match[1].replace(/^<|>$/g, ""), line: lineOf(match.index), index: match.index });
    }
    for (const match of prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)) {
      found.push({ target: match[1].replace(/^<|>$/g, ""), line: lineOf(match.index), index: match.index });
    }
  }
  return found.sort((a, b) => a.line - b.line || a.index - b.index);
}

/** Whether a subpath (".", "./proxy") is one `exports` has, patterns with `*` included. */
function exported(subpath) {
  return Object.keys(PACKAGE.exports).some((key) => {
    if (!key.includes("*")) return key === subpath;
    const [before, after] = key.split("*");
    return subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= before.length + after.length;
  });
}

const SCRIPT_BLOCKS = new Set(["js", "javascript", "mjs", "cjs", "jsx", "ts", "typescript", "mts", "cts", "tsx", "html"]);

/** The package specifiers a block of code imports or requires: `from "…"`, `import "…"`, `import("…")`, `require("…")`. */
function specifiers(code) {
  const quoted = String.raw`(["'\x60])(${PACKAGE.name}(?:/[^"'\x60\s]*)?)\1`;
  const pattern = new RegExp(String.raw`(?:\bfrom\s*|\bimport\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)${quoted}`, "g");
  return [...code.matchAll(pattern)].map((m) => m[2]);
}

test("every relative link in README.md and docs/*.md names a file that exists, and a heading there", () => {
  const broken = [];
  let checked = 0;
  for (const page of pages()) {
    const text = readFileSync(join(ROOT, page), "utf8");
    for (const { target, line } of links(text)) {
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // https:, mailto:, …
      checked++;
      const hash = target.indexOf("#");
      const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
      const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
      const file = path === "" ? join(ROOT, page) : path.startsWith("/") ? join(ROOT, path) : join(ROOT, dirname(page), path);
      const where = `${page}:${line}: ${target}`;
      if (relative(ROOT, file).startsWith("..")) {
        broken.push(`${where} (outside the repository)`);
      } else if (!existsSync(file)) {
        broken.push(`${where} (no such file)`);
      } else if (fragment !== undefined && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(fragment)) {
        broken.push(`${where} (no heading with that anchor in ${relative(ROOT, file)})`);
      }
    }
  }
  assert.ok(checked > 0, "no relative link found: the parser is broken");
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

test("every example that imports the package names an entry of package.json's exports", () => {
  const missing = [];
  let checked = 0;
  for (const page of pages()) {
    for (const part of parts(readFileSync(join(ROOT, page), "utf8"))) {
      if (part.code === undefined || !SCRIPT_BLOCKS.has(part.info)) continue;
      for (const specifier of specifiers(part.code)) {
        checked++;
        const subpath = `.${specifier.slice(PACKAGE.name.length)}`;
        if (!exported(subpath)) missing.push(`${page} (block at line ${part.line}): "${specifier}"`);
      }
    }
  }
  assert.ok(checked > 0, "no import of the package found: the parser is broken");
  assert.deepEqual(missing, [], `imports of entries that package.json's exports lacks:\n${missing.join("\n")}`);
});

test("the checks themselves: GitHub's slugs, code spans and fences, import forms", () => {
  assert.equal(slug("`TokenClient`: the token every API call needs"), "tokenclient-the-token-every-api-call-needs");
  assert.equal(slug("`getToken(clientId, clientSecret, options?) → Promise<AccessToken>`"), "gettokenclientid-clientsecret-options--promiseaccesstoken");
  assert.equal(slug("Front ends: keep the secret on your server"), "front-ends-keep-the-secret-on-your-server");
  assert.equal(slug("One machine, no Redis: the file store"), "one-machine-no-redis-the-file-store");
  assert.equal(slug("Node 18 **and** 20"), "node-18-and-20");
  assert.deepEqual([...anchors("# A\n## A\n```sh\n# not a heading\n```\n### a?\n")], ["a", "a-1", "a-2"]);
  assert.deepEqual(
    links("[a](x.md) `[b](y.md)` ![c](<z w.png> \"t\")\n```\n[d](no.md)\n```\n[e]: ref.md\n[f](https://x/#y)").map((l) => l.target),
    ["x.md", "z w.png", "ref.md", "https://x/#y"],
  );
  assert.deepEqual(
    specifiers(`import a from "${PACKAGE.name}";\nimport "${PACKAGE.name}/web";\nconst b = await import('${PACKAGE.name}/proxy');\nconst c = require(\`${PACKAGE.name}/nope\`);\nimport d from "${PACKAGE.name}-other";`),
    [PACKAGE.name, `${PACKAGE.name}/web`, `${PACKAGE.name}/proxy`, `${PACKAGE.name}/nope`],
  );
  assert.equal(exported("./proxy"), true);
  assert.equal(exported("./nope"), false);
});
