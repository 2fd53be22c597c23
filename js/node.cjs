"use strict";
// The Node entry (CommonJS; node.mjs re-exports it for `import`): the .wasm loads
// synchronously on `require`, so no call ever waits for an init.
const wasm = require("../pkg/sehatmu_auth.cjs");

const BRAND = Symbol.for("sehatmu-auth.SehatmuError");

/** @type {import("./index.d.ts").isSehatmuError} */
function isSehatmuError(value) {
  return typeof value === "object" && value !== null && value[BRAND] === true;
}

/** @type {import("./index.d.ts").init} */
function init() {
  return Promise.resolve();
}

module.exports = { getToken: wasm.getToken, TokenClient: wasm.TokenClient, init, isSehatmuError };
