// The entry for Cloudflare Workers (the `workerd` export condition): Workers can't fetch or
// compile a .wasm at run time, so it is imported as a module (wrangler and esbuild-based
// tooling turn a `.wasm` import into a compiled WebAssembly.Module) and instantiated here.
import wasmModule from "../pkg/server/sehatmu_auth_bg.wasm";
import { initSync } from "../pkg/server/sehatmu_auth.js";

initSync({ module: wasmModule });

export { getToken, TokenClient, TokenClients } from "../pkg/server/sehatmu_auth.js";
export { isSehatmuError } from "./errors.js";

/** @type {import("../pkg/index.d.ts").init} */
export function init() {
  return Promise.resolve();
}
