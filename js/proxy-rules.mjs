// Private (package.json "imports": `#proxy-rules`): the proxy's rules from the server build's
// .wasm, for js/proxy.js on Node, Deno and Bun. Through the Node entry first: it sets the V8
// flag that Node 20 needs before the .wasm is compiled, and requires the glue that this
// module then shares with it (one instance of the .wasm per process).
import "./node.cjs";
import glue from "../pkg/server/sehatmu_auth.cjs";

export const { InternalProxyRoutes, internalProxyLists } = glue;
