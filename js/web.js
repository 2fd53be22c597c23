// The entry for browsers, bundlers and other runtimes with `fetch`: an ES module that
// compiles the .wasm inside the first call (or in `init()`, for those who want to preload).
import initWasm, * as wasm from "../pkg/sehatmu_auth.js";
import { BRAND, connect, isSehatmuError } from "./client.js";

export { isSehatmuError };

/** `getToken` and `TokenClient` over the module, which they need loaded before they run. */
const api = connect(wasm);

/** @type {Promise<void> | undefined} */
let ready;

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
export function init(wasm) {
  // Bundlers that understand `new URL(…, import.meta.url)` (Vite, webpack, Parcel, Rollup
  // plugins) ship the .wasm as an asset; others pass its URL here once.
  ready ??= initWasm({
    module_or_path: wasm ?? new URL("../pkg/sehatmu_auth_bg.wasm", import.meta.url),
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
  return api.getToken(clientId, clientSecret, options);
}

/**
 * The `TokenClient` behind a constructor that needs no loaded module: the options are
 * checked, and the module loaded, when the first method runs (which then rejects with
 * `invalid_argument` for a bad option).
 */
export class TokenClient {
  /** @type {Promise<InstanceType<typeof api.TokenClient>>} */
  #client;

  /** @param {import("./index.d.ts").TokenClientOptions} options */
  constructor(options) {
    this.#client = init().then(() => new api.TokenClient(options));
    this.#client.catch(() => {}); // each method call rejects with the reason instead
  }

  /** @type {import("./index.d.ts").TokenClient["getToken"]} */
  async getToken(options) {
    return (await this.#client).getToken(options);
  }

  /** @type {import("./index.d.ts").TokenClient["authorizationHeader"]} */
  async authorizationHeader() {
    return (await this.#client).authorizationHeader();
  }

  /** @type {import("./index.d.ts").TokenClient["fetch"]} */
  async fetch(input, init) {
    return (await this.#client).fetch(input, init);
  }

  /** @type {import("./index.d.ts").TokenClient["clear"]} */
  async clear() {
    return (await this.#client).clear();
  }
}
