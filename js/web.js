// The entry for browsers, bundlers and other runtimes with `fetch`: an ES module that
// compiles the .wasm inside the first call (or in `init()`, for those who want to preload).
import initWasm, { getToken as getTokenNow } from "../pkg/sehatmu_auth.js";

const BRAND = Symbol.for("sehatmu-auth.SehatmuError");

/** @type {Promise<void> | undefined} */
let ready;

/** @type {import("./index.d.ts").isSehatmuError} */
export function isSehatmuError(value) {
  return typeof value === "object" && value !== null && value[BRAND] === true;
}

/** A `network_error` SehatmuError for a .wasm that could not be loaded. */
function loadError(cause) {
  const error = new Error(
    `Could not load the sehatmu-auth WebAssembly module: ${cause?.message ?? cause}`,
    { cause },
  );
  Object.defineProperty(error, "name", { value: "SehatmuError", writable: true, configurable: true });
  Object.defineProperty(error, BRAND, { value: true, configurable: true });
  error.code = "network_error";
  return error;
}

/** @type {import("./index.d.ts").init} */
export function init() {
  ready ??= initWasm({
    module_or_path: new URL("../pkg/sehatmu_auth_bg.wasm", import.meta.url),
  }).then(
    () => undefined,
    (cause) => {
      ready = undefined; // a later call tries again
      throw loadError(cause);
    },
  );
  return ready;
}

/** @type {import("./index.d.ts").getToken} */
export async function getToken(clientId, clientSecret, options) {
  await init();
  return getTokenNow(clientId, clientSecret, options);
}
