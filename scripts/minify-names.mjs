// Shortens the names the .wasm imports and exports, and renames them to match in each glue
// file: `node scripts/minify-names.mjs in.wasm out.wasm glue.js…`. wasm-bindgen names every
// import after its binding plus a 16-digit hash, and both the .wasm and the glue spell each one
// out: some 90 hashes that no compressor can shrink (measured: 2.1 KB of the gzipped .wasm).
// binaryen's wasm-opt shortens them and prints the mapping, which this applies to the glue.
// The JS the .wasm imports from a file of ours (`#[wasm_bindgen(module = "/src/wasm/…")]`,
// which wasm-bindgen leaves as a separate module under `snippets/`) is written into each glue:
// one file to ship, as before, that no bundler or runtime has to resolve a path for.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const [wasmIn, wasmOut, ...glues] = process.argv.slice(2);
const printed = execFileSync(
  new URL("../node_modules/.bin/wasm-opt", import.meta.url).pathname,
  ["--minify-imports-and-exports-and-modules", "--strip-target-features", wasmIn, "-o", wasmOut],
  { encoding: "utf8" },
);
/** @type {{ imports: [string, string, string][], exports: [string, string][] }} */
const map = JSON.parse(printed);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The path of a file of ours in the crate, from its module name `./snippets/<crate>-<hash>/<path>`. */
const pathOf = (module) => module.replace(/^\.\/snippets\/[^/]+\//, "");

/** The code of the file of ours at `path`, in a scope of its own, its `names` bound to its functions. */
function inline(glue, path, names) {
  const code = readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
  if (/^export (?!(async )?function )/m.test(code) || /^import /m.test(code)) {
    throw new Error(`${glue}: ${path} must hold \`export function\`s only`);
  }
  // Its comments stay in the source file, not in each glue that it is written into.
  const bare = code
    .replace(/^\s*\/\*\*[\s\S]*?\*\/\n/gm, "")
    .replace(/^\s*\/\/.*\n/gm, "")
    .replace(/^export (async )?function /gm, "$1function ");
  const list = [...new Set(names)].join(", ");
  return `const { ${list} } = (() => {\n${bare}return { ${list} };\n})();`;
}

/**
 * `text` with each file of ours that it loads from `./snippets/<crate>-<hash>/<path>` (a
 * `require` or an `import` of named functions, or the marker left where the file's direct
 * imports were loaded) written in once: the file's code in a scope of its own, the names bound
 * to its functions, and to its `direct` ones (by path) too.
 */
function inlineSnippets(text, glue, direct) {
  const load = /^(?:const \{ ([\w, ]+) \} = require\(String\.raw`\.\/snippets\/[^/`]+\/([^`]+)`\);|import \{ ([\w, ]+) \} from '\.\/snippets\/[^/']+\/([^']+)';)$/gm;
  const written = new Set();
  text = text.replace(load, (_, cjsNames, cjsPath, esmNames, esmPath) => {
    const path = cjsPath ?? esmPath;
    written.add(path);
    return inline(glue, path, [...(cjsNames ?? esmNames).split(", "), ...(direct.get(path) ?? [])]);
  });
  // A file whose every function the .wasm imports directly has no line of its own: it is
  // written where the first of its namespace imports was (wasm-bindgen may write several).
  return text.replace(/^\0snippet (.+)\n/gm, (_, path) => {
    if (written.has(path)) return "";
    written.add(path);
    return inline(glue, path, direct.get(path)) + "\n";
  });
}

for (const glue of glues) {
  let text = readFileSync(glue, "utf8");
  const count = (pattern) => (text.match(pattern) ?? []).length;
  // A function of ours whose arguments and result need no conversion is imported by the .wasm
  // straight from its file: the glue loads that file as a namespace (`import * as importN`, or
  // `const importN = require(…)`) and lists it in the import object. It becomes a member of the
  // glue's own import object, as the function that the written-in file binds.
  const direct = map.imports.filter(([module]) => module.startsWith("./snippets/"));
  const directByPath = new Map();
  for (const [module, name] of direct) directByPath.set(pathOf(module), [...(directByPath.get(pathOf(module)) ?? []), name]);
  for (const module of new Set(direct.map(([module]) => module))) {
    const quoted = escape(JSON.stringify(module));
    const namespace = new RegExp(`^(?:import \\* as import\\d+ from ${quoted}|const import\\d+ = require\\(${quoted}\\);)\n`, "gm");
    const entry = new RegExp(`^ *${quoted}: import\\d+,\n`, "gm");
    if (count(namespace) === 0 || count(entry) === 0) throw new Error(`${glue}: no namespace import of ${module}`);
    text = text.replace(namespace, () => `\0snippet ${pathOf(module)}\n`).replace(entry, "");
  }
  text = inlineSnippets(text, glue, directByPath);
  if (text.includes("./snippets/")) throw new Error(`${glue}: loads a snippet that was not written in`);
  const own = "    const import0 = {\n        __proto__: null,\n";
  if (direct.length > 0) {
    if (count(new RegExp(escape(own), "g")) !== 1) throw new Error(`${glue}: no import object to add the direct imports to`);
    text = text.replace(own, () => own + direct.map(([, name, short]) => `        ${short}: ${name},\n`).join(""));
  }
  for (const module of new Set(map.imports.filter(([module]) => !module.startsWith("./snippets/")).map(([module]) => module))) {
    const key = `${JSON.stringify(module)}: `;
    if (!text.includes(key)) throw new Error(`${glue}: no import object for module ${module}`);
    // binaryen gives every module the one name "a".
    text = text.replaceAll(key, `"a": `);
  }
  for (const [module, name, short] of map.imports) {
    if (module.startsWith("./snippets/")) continue;
    const pattern = new RegExp(`\\b${escape(name)}\\b`, "g");
    if (count(pattern) !== 1) throw new Error(`${glue}: the import ${name} is not defined exactly once`);
    text = text.replace(pattern, () => short);
  }
  for (const [name, short] of map.exports) {
    text = text.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), () => `wasm.${short}`);
  }
  // Every export the glue uses must now be a short name.
  const shorts = new Set(map.exports.map(([, short]) => short));
  for (const [, used] of text.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
    if (!shorts.has(used)) throw new Error(`${glue}: wasm.${used} is not an export of the minified module`);
  }
  writeFileSync(glue, text);
}
