// Loads the package as users get it: from the tarball that scripts/test.sh packed and
// installed into an empty project (SEHATMU_CONSUMER), or, when a developer runs a test file on
// its own, from the work tree.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";

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

/** The path of the wasm-bindgen glue behind the Node entry. */
export function gluePath() {
  const root = consumer ? join(consumer, "node_modules", "sehatmu-auth") : new URL("../..", import.meta.url).pathname;
  return join(root, "pkg", "server", "sehatmu_auth.cjs");
}

/** The path of the package's ESM entry, for child processes. */
export function entryPath() {
  return consumer ? join(consumer, "esm.js") : new URL("../../js/node.mjs", import.meta.url).pathname;
}

/** Asserts that `secret`, plain or encoded, shows in no view of `error`. */
export function assertNoSecret(error, secret, label = error?.code) {
  const forms = [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  const views = [
    error.message,
    error.stack,
    JSON.stringify(error),
    JSON.stringify(error.issues),
    String(error.cause),
    error.cause?.stack,
    inspect(error, { depth: 10, showHidden: true }),
  ];
  for (const view of views) {
    for (const form of forms) {
      if (String(view).includes(form)) throw new Error(`${label}: the secret shows in ${view}`);
    }
  }
}

/** The installed `sehatmu-auth` command (from the tarball), or the work tree's. */
export function binPath() {
  return consumer ? join(consumer, "node_modules", ".bin", "sehatmu-auth") : new URL("../../bin/sehatmu-auth.js", import.meta.url).pathname;
}

/** The path of the package's `sehatmu-auth/redis` module, for child processes. */
export function redisStorePath() {
  return consumer ? join(consumer, "node_modules", "sehatmu-auth", "js", "redis.js") : new URL("../../js/redis.js", import.meta.url).pathname;
}

/** The path of the package's `sehatmu-auth/file-store` module, for child processes. */
export function fileStorePath() {
  return consumer
    ? join(consumer, "node_modules", "sehatmu-auth", "js", "file-store.js")
    : new URL("../../js/file-store.js", import.meta.url).pathname;
}

/** `sehatmu-auth/proxy`, through the installed package's `exports` (or the work tree's file). */
export function loadProxy() {
  return consumer ? import(pathToFileURL(join(consumer, "proxy.js")).href) : import("../../js/proxy.js");
}

/** Resolves once the child process `child` has printed `line` (a whole line) on its stdout. */
export function printed(child, line) {
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk) => {
      out += chunk;
      if (out.split("\n").includes(line)) {
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the process exited (${code}) before it printed ${line}`)));
  });
}

/**
 * A body for the store tests' child processes (their `client` shares the store): a token
 * first, then "ready", then, once a line comes on stdin, `calls` concurrent `client.fetch(url)`:
 * their statuses.
 */
export function callsOnCue(url, calls) {
  return `
    await client.getToken();
    console.log("ready");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    process.stdin.destroy();
    const responses = await Promise.all(Array.from({ length: ${calls} }, () => client.fetch(${JSON.stringify(url)})));
    return responses.map((response) => response.status);
  `;
}

/**
 * Once every child process (running `callsOnCue`, each with a `result()` of what it printed)
 * is ready, revokes the mock `server`'s tokens and cues them: the token requests the server
 * saw after the revocation, and every call's status.
 */
export async function callsAfterRevocation(server, children) {
  await Promise.all(children.map((child) => printed(child, "ready")));
  server.revokeTokens();
  const before = server.requests.length;
  for (const child of children) child.stdin.end("go\n");
  const statuses = (await Promise.all(children.map((child) => child.result()))).flat();
  return { tokenRequests: server.requests.length - before, statuses };
}

/**
 * `sehatmu-auth/otel` and the OpenTelemetry packages the tests use, all resolved where the
 * package's own `js/otel.js` resolves `@opentelemetry/api`: the consumer project's
 * node_modules (scripts/test.sh installs them there beside the tarball), or the work tree's.
 * One copy of `@opentelemetry/api`, so that the context manager the tests set is the one the
 * package's spans read.
 */
export function loadOtel() {
  return consumer ? import(pathToFileURL(join(consumer, "otel.js")).href) : import("./otel-entry.js");
}

/**
 * The adapters (`sehatmu-auth/axios`, `/ky`, `/undici`) and the libraries they serve, as a user
 * imports them: through the installed package's `exports` and the consumer's own axios, ky and
 * undici (or the work tree's files and node_modules).
 */
export async function loadAdapters() {
  if (consumer) return import(pathToFileURL(join(consumer, "adapters.js")).href);
  const [a, k, u, axios, ky, undici] = await Promise.all([
    import("../../js/axios.js"),
    import("../../js/ky.js"),
    import("../../js/undici.js"),
    import("axios"),
    import("ky"),
    import("undici"),
  ]);
  return { ...a, ...k, ...u, axios: axios.default, ky: ky.default, undici };
}

/** A `redis-server` on 127.0.0.1:`port`, with nothing saved to disk: its process, once it accepts connections. */
export async function startRedis(port) {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}
