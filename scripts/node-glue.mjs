// Makes the server build's CommonJS glue the one file the Node entry loads:
// `node scripts/node-glue.mjs pkg/server/sehatmu_auth.cjs pkg/server/sehatmu_auth_bg.wasm js/errors.js`.
// - wasm-bindgen's glue reads `${__dirname}/sehatmu_auth_bg.wasm` when it is required, which
//   fails once a bundler has moved it (Next.js's server builds: Turbopack and webpack both
//   rewrite __dirname and ship no .wasm). Its two wasm-loading lines become the .wasm's bytes,
//   base64, in the glue itself, which every bundler carries like any other code.
// - js/errors.js's `isSehatmuError` is appended as the glue's export of that name, for
//   js/node.cjs.
// One file, where the bytes and the errors were each a CommonJS module of their own: each module
// Node loads costs its resolution, its read and its compile. Measured on Node 24, median of 61
// fresh processes each, the builds interleaved: `import` of the entry 5.40 -> 4.60 ms.
// Fails where wasm-bindgen's text or js/errors.js is not as expected.
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath, wasmPath, errorsPath] = process.argv.slice(2);
let glue = readFileSync(gluePath, "utf8");

const loading = "const wasmPath = `${__dirname}/sehatmu_auth_bg.wasm`;\nconst wasmBytes = require('fs').readFileSync(wasmPath);\n";
if (glue.split(loading).length !== 2) throw new Error(`${gluePath}: wasm-bindgen's two wasm-loading lines not found once`);
const base64 = readFileSync(wasmPath).toString("base64");
// The global Buffer, not require("buffer"): an ES module bundle (esbuild's, for one) can't
// require a built-in; atob where a runtime has no Buffer.
glue = glue.replace(
  loading,
  `const wasmBytes = ((base64) => typeof Buffer === "function" ? Buffer.from(base64, "base64") : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))("${base64}");\n`,
);

const errors = readFileSync(errorsPath, "utf8");
const exportLine = /^export \{ .* \};\n?$/m;
if (!/\bfunction isSehatmuError\(/.test(errors) || /^import /m.test(errors) || !exportLine.test(errors)) {
  throw new Error(`${errorsPath}: expected no imports, \`function isSehatmuError\`, and one export line`);
}
glue += `\n// js/errors.js's isSehatmuError (scripts/node-glue.mjs).\nexports.isSehatmuError = (() => {\n${errors.replace(exportLine, "")}return isSehatmuError;\n})();\n`;

if (/__dirname|readFileSync|sehatmu_auth_bg\.wasm/.test(glue)) throw new Error(`${gluePath}: still reads a file`);
writeFileSync(gluePath, glue);
