// `isSehatmuError`, shared by every entry, and the SehatmuErrors the .wasm does not make: the
// one that says the .wasm could not be loaded, and those of sehatmu-auth/proxy, which runs on
// servers without it. Every other SehatmuError is made by the module (src/wasm/convert.rs),
// with the same brand.
//
// scripts/node-glue.mjs writes this file into the Node glue, for the CommonJS entry's
// isSehatmuError: keep it free of imports, with the one `export` line at the end.

/** The brand of src/wasm/convert.rs: `Symbol.for`, so that every copy of the package agrees. */
const BRAND = Symbol.for("sehatmu-auth.SehatmuError");

/** @type {import("../pkg/index.d.ts").isSehatmuError} */
function isSehatmuError(value) {
  return typeof value === "object" && value !== null && value[BRAND] === true;
}

/**
 * A SehatmuError made in JavaScript, branded and named as src/wasm/convert.rs makes them: for
 * the errors of modules that run without the .wasm (the loaders, sehatmu-auth/proxy).
 */
function sehatmuError(code, message, fields, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  Object.defineProperty(error, "name", { value: "SehatmuError", writable: true, configurable: true });
  Object.defineProperty(error, BRAND, { value: true, configurable: true });
  return Object.assign(error, { code }, fields);
}

/**
 * An `invalid_argument` SehatmuError for the option or argument `field`, which `must` be what
 * the message says: the message as the .wasm writes it.
 */
function invalidArgument(field, must) {
  return sehatmuError("invalid_argument", `Invalid ${field}: it must be ${must}.`, { field });
}

/** A `network_error` SehatmuError for a .wasm that could not be loaded (`cause`: why). */
function loadError(cause) {
  return sehatmuError("network_error", `Could not load the sehatmu-auth WebAssembly module: ${cause?.message ?? cause}`, {}, cause);
}

export { invalidArgument, isSehatmuError, loadError, sehatmuError };
