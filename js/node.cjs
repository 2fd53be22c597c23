"use strict";
// The Node entry (CommonJS; node.mjs re-exports it for `import`): the .wasm loads
// synchronously on `require`, so no call ever waits for an init.
const wasm = require("../pkg/sehatmu_auth.cjs");
const { connect, isSehatmuError } = require("../pkg/client.cjs");

const { getToken, TokenClient } = connect(wasm);

/** @type {import("./index.d.ts").init} */
function init() {
  return Promise.resolve();
}

module.exports = { getToken, TokenClient, init, isSehatmuError };
