// The entry for browsers, bundlers and other runtimes with `fetch`: the .wasm's own exports,
// with the module compiled inside the first call (or in `init()`, for those who want to
// preload), since a browser cannot compile it synchronously.
import initWasm, { getToken as moduleGetToken, TokenClient as ModuleTokenClient } from "../pkg/sehatmu_auth.js";
import { isSehatmuError, loadError } from "./errors.js";

export { isSehatmuError };

/** @type {Promise<void> | undefined} */
let ready;
let loaded = false;

/** @type {import("../pkg/index.d.ts").init} */
export function init(wasm) {
  // Bundlers that understand `new URL(…, import.meta.url)` (Vite, webpack, Parcel, Rollup
  // plugins) ship the .wasm as an asset; others pass its URL here once.
  ready ??= initWasm({
    module_or_path: wasm ?? new URL("../pkg/sehatmu_auth_bg.wasm", import.meta.url),
  }).then(
    () => {
      loaded = true;
    },
    (cause) => {
      ready = undefined; // a later call tries again
      throw loadError(cause);
    },
  );
  return ready;
}

/** @type {import("../pkg/index.d.ts").getToken} */
export async function getToken(clientId, clientSecret, options) {
  await init();
  return moduleGetToken(clientId, clientSecret, options);
}

/** Each wrapper's module TokenClient, or the promise of it while the module loads. */
const clients = new WeakMap();

/**
 * The module's `TokenClient`, behind a constructor that works before the module is loaded:
 * the options are then checked, and the module loaded, when the first method runs (which
 * rejects with `invalid_argument` for a bad option). Once the module is loaded it is the
 * module's constructor, which throws.
 */
export class TokenClient {
  /** @param {import("../pkg/index.d.ts").TokenClientOptions} options */
  constructor(options) {
    if (loaded) {
      clients.set(this, new ModuleTokenClient(options));
      return;
    }
    const client = init().then(() => {
      const made = new ModuleTokenClient(options);
      clients.set(this, made);
      return made;
    });
    client.catch(() => {}); // each method call rejects with the reason instead
    clients.set(this, client);
  }
}

// Every method and getter of the module's class, forwarded: their names are the Rust's.
for (const key of Reflect.ownKeys(ModuleTokenClient.prototype)) {
  const { value, get } = Object.getOwnPropertyDescriptor(ModuleTokenClient.prototype, key);
  if (key === "constructor" || (typeof key === "string" && key.startsWith("__"))) continue;
  const forward = get
    ? { get() { const client = clients.get(this); return client instanceof ModuleTokenClient ? get.call(client) : undefined; } }
    : { value: async function (...args) { return value.apply(await clients.get(this), args); }, writable: true };
  Object.defineProperty(TokenClient.prototype, key, { ...forward, configurable: true });
}
