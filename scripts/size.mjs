// The size budget: the gzipped (-9) bytes a browser downloads for the web entry, measured two
// ways. Bundled: its .wasm plus its JS (wasm-bindgen's glue, js/errors.js and js/web.js)
// bundled and minified by esbuild, as a front end's build ships it; CI fails above 34 KiB.
// As shipped: each file the entry loads, gzipped on its own, as a page with no bundler
// downloads them. Run directly (after scripts/build.sh); bytes are deterministic for a given
// toolchain, so this is a check, not a timed test. bench/bench.js sizes its rows with the
// same functions.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/** The budget of the bundled measure: issue 19's target, 34 KiB (34,816 B), which the crate's
 * own executor brought the entry under (33,404 B), so that what it bought stays bought. */
export const BUDGET = 34 * 1024;
/** Where the bundled measure should get to: where the package stood with its I/O in JS. */
export const TARGET = 30 * 1024;
const ROOT = new URL("..", import.meta.url);
/** The files a page that imports js/web.js downloads. */
const SHIPPED = ["pkg/sehatmu_auth_bg.wasm", "pkg/sehatmu_auth.js", "js/errors.js", "js/web.js"];

export const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** esbuild --bundle --minify of `source` (imports resolved from `resolveDir`) as browser ESM. */
export async function bundle(source, resolveDir = fileURLToPath(ROOT)) {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0].contents;
}

/** What a bundler ships for the web entry: `{ wasm, js }`, the bytes of each. */
export async function webEntry() {
  return {
    wasm: await readFile(new URL("pkg/sehatmu_auth_bg.wasm", ROOT)),
    js: await bundle(`export { getToken, TokenClient } from "./js/web.js";`),
  };
}

/** What a page with no bundler downloads: each file, gzipped on its own, summed. */
export async function shipped() {
  const sizes = await Promise.all(SHIPPED.map(async (file) => gzip(await readFile(new URL(file, ROOT)))));
  return sizes.reduce((a, b) => a + b, 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { wasm, js } = await webEntry();
  const total = gzip(wasm) + gzip(js);
  console.log(
    `web entry bundled: ${total} B gzipped (.wasm ${gzip(wasm)} B + JS ${gzip(js)} B); ` +
      `budget ${BUDGET} B, target ${TARGET} B; as shipped (${SHIPPED.length} files): ${await shipped()} B`,
  );
  if (total > BUDGET) {
    console.error(`over the size budget by ${total - BUDGET} B`);
    process.exit(1);
  }
}
