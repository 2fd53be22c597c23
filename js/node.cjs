"use strict";
// The Node entry (CommonJS; node.mjs re-exports it for `import`): the .wasm's own exports, the
// module compiled synchronously on `require`, so no call ever waits for an init.
// V8 11 (Node 20) aborts the process ("Fatal error … unreachable code") when it deoptimises a
// function in the middle of an inlined call to a wasm export that returns an externref. The
// server build's exports return none (scripts/no-reference-types.mjs), so this entry sets no V8
// flag: the process keeps TurboFan's inlining and its built-in modules' code cache.

const { getToken, TokenClient, TokenClients, isSehatmuError } = require("../pkg/server/sehatmu_auth.cjs");

/** @type {import("../pkg/index.d.ts").init} */
function init() {
  return Promise.resolve();
}

module.exports = { getToken, TokenClient, TokenClients, init, isSehatmuError };
