"use strict";
// The Node entry (CommonJS; node.mjs re-exports it for `import`): the .wasm's own exports, the
// module compiled synchronously on `require`, so no call ever waits for an init.
// V8 11 and older (Node 18 and 20) abort the process ("Fatal error … unreachable code", in
// Deoptimizer::DoComputeBuiltinContinuation) when they deoptimise a function while a call it
// inlined to a wasm export that returns a JS value (an externref) is running; every export of
// this .wasm returns one. Seen here in 6 of 48 processes of the memory test of
// tests/node/resources.test.js, six at a time; 0 of 60 without that inlining, which costs a
// call to the .wasm a little and crashes nothing.
// process.getBuiltinModule (Node >= 20.16), not require: an ES module bundle of this entry
// (esbuild's, for one) cannot require a built-in.
// Node's built-in modules come with a code cache keyed by V8's flags: each one loaded after the
// flag is set compiles from source. The first fetch loads undici, the largest, and `vm`; both
// are loaded first (reading `Response` loads undici). Measured on Node 20.20: import to first
// token 57 -> 44 ms for undici (a plain first fetch: 32 ms), and 0.7 ms less for `vm` (57.71 ->
// 57.02 ms, median of 61 processes each).
if (Number.parseInt(process.versions.v8, 10) < 12) {
  void globalThis.Response;
  process.getBuiltinModule?.("node:vm");
  (process.getBuiltinModule?.("node:v8") ?? require("node:v8")).setFlagsFromString("--no-turbo-inline-js-wasm-calls");
}

const { getToken, TokenClient, TokenClients, isSehatmuError } = require("../pkg/server/sehatmu_auth.cjs");

/** @type {import("../pkg/index.d.ts").init} */
function init() {
  return Promise.resolve();
}

module.exports = { getToken, TokenClient, TokenClients, init, isSehatmuError };
