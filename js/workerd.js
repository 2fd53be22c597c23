// The entry for Cloudflare Workers (the `workerd` export condition): Workers can't fetch or
// compile a .wasm at run time, so it is imported as a module (wrangler and esbuild-based
// tooling turn a `.wasm` import into a compiled WebAssembly.Module) and instantiated here.
import wasmModule from "../pkg/sehatmu_auth_bg.wasm";
import * as wasm from "../pkg/sehatmu_auth.js";
import { connect, isSehatmuError } from "./client.js";

wasm.initSync({ module: wasmModule });

/** @type {import("./index.d.ts").init} */
export function init() {
  return Promise.resolve();
}

export const { getToken, TokenClient } = connect(wasm);
export { isSehatmuError };
