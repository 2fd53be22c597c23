// Loads the package as users get it: from the tarball that scripts/test.sh packed and
// installed into an empty project (SEHATMU_CONSUMER), or, when a developer runs a test file on
// its own, from the work tree.
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const consumer = process.env.SEHATMU_CONSUMER;

/** The ESM entry `sehatmu-auth` and `sehatmu-auth/mock`. */
export async function load() {
  if (consumer) return import(pathToFileURL(join(consumer, "esm.js")).href);
  const [pkg, mock] = await Promise.all([import("../../js/node.mjs"), import("../../mock/server.js")]);
  return { ...pkg, mock };
}

/** The CommonJS entry, through `require("sehatmu-auth")`. */
export function loadCommonJs() {
  return consumer ? createRequire(join(consumer, "cjs.cjs"))("./cjs.cjs") : createRequire(import.meta.url)("../../js/node.cjs");
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort() {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The rejection of `promise`, which must reject. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
