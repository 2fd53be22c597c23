// The Node entry for `import`: the CommonJS entry, so that `import` and `require` in one
// process share one module instance.
import cjs from "./node.cjs";

export const { getToken, TokenClient, TokenClients, init, isSehatmuError } = cjs;
