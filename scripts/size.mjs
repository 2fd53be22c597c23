// The size budget: the gzipped (-9) bytes a browser downloads for the web entry, its .wasm
// plus its JS (wasm-bindgen's glue, js/client.js and js/web.js, bundled and minified by
// esbuild as a front end's build would). Fails above 30 KiB. Bytes are deterministic for a
// given toolchain, so this is a check, not a timed test. Run after scripts/build.sh.
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const BUDGET = 30 * 1024;
const root = new URL("..", import.meta.url);

const result = await build({
  stdin: { contents: `export { getToken, TokenClient } from "./js/web.js";`, resolveDir: root.pathname, loader: "js" },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  write: false,
  logLevel: "error",
});
const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
const wasm = gzip(await readFile(new URL("pkg/sehatmu_auth_bg.wasm", root)));
const js = gzip(result.outputFiles[0].contents);
const total = wasm + js;
console.log(`web entry: ${total} B gzipped (.wasm ${wasm} B + JS ${js} B), budget ${BUDGET} B`);
if (total > BUDGET) {
  console.error(`over the size budget by ${total - BUDGET} B`);
  process.exit(1);
}
