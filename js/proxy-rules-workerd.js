// Private (package.json "imports": `#proxy-rules`, the `workerd` condition): the proxy's rules
// from the .wasm that the Workers entry has instantiated (its `initSync`), for js/proxy.js.
import "./workerd.js";

export { InternalProxyRoutes, internalProxyLists } from "../pkg/server/sehatmu_auth.js";
