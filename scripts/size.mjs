// The size budget: the gzipped (-9) bytes a browser downloads for the web entry, its .wasm
// plus its JS (wasm-bindgen's glue, js/client.js and js/web.js, bundled and minified by
// esbuild as a front end's build would). Run directly (after scripts/build.sh), it fails above
// 30 KiB; bytes are deterministic for a given toolchain, so this is a check, not a timed
// test. bench/bench.js sizes its rows with the same functions.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const BUDGET = 30 * 1024;
const ROOT = new URL("..", import.meta.url);

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

/** What a browser downloads for the web entry: `{ wasm, js }`, the bytes of each. */
export async function webEntry() {
  return {
    wasm: await readFile(new URL("pkg/sehatmu_auth_bg.wasm", ROOT)),
    js: await bundle(`export { getToken, TokenClient } from "./js/web.js";`),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
  const { wasm, js } = await webEntry();
  const total = gzip(wasm) + gzip(js);
  console.log(`web entry: ${total} B gzipped (.wasm ${gzip(wasm)} B + JS ${gzip(js)} B), budget ${BUDGET} B`);
  if (total > BUDGET) {
    console.error(`over the size budget by ${total - BUDGET} B`);
    process.exit(1);
  }
}
