// `sehatmu-auth proxy`: createProxy as a sidecar, for programs in any language on this machine
// (or, with a key, on a network the operator trusts). Its own file cache or Redis, one log
// line per request, a clean stop on SIGINT and SIGTERM.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

import { cache, defaultCacheDir, fail, parse, readStdin, refuseSecretArgument, releasable } from "./cli.js";

/** `sehatmu-auth proxy --help`. */
const PROXY_HELP = `Usage: sehatmu-auth proxy [options]

Serves the SehatMu API on 127.0.0.1 with the access token added: a program on this machine, in
any language, calls http://127.0.0.1:8081/fhir/Patient?... with no token. Prints the URL it
serves as its first line, then one line per request (method, path, status, ms). Ctrl-C or
SIGTERM stops it.

Options:
  --client-id <id>      the client id (default: $SEHATMU_CLIENT_ID)
  --base-url <url>      the API's base URL, for the token and the requests (default:
                        $SEHATMU_BASE_URL, else the sandbox host)
  --secret-stdin        read the client secret from standard input (default: $SEHATMU_CLIENT_SECRET)
  --port <n>            the port (default 8081; 0 picks a free one)
  --host <address>      the address to listen on (default 127.0.0.1; see below)
  --prefix <path>       serve under this path, stripped before forwarding (default: none)
  --paths <list>        the API path prefixes it forwards, comma-separated (default /fhir/)
  --cache-dir <dir>     the token cache, shared with "sehatmu-auth token" and other proxies
                        (default: $XDG_CACHE_HOME/sehatmu-auth, else ~/.cache/sehatmu-auth)
  --no-cache            keep the token in this process only
  --redis-url <url>     keep the token in Redis instead (needs the "redis" package), shared
                        with every process that uses it; keys start with "sehatmu-auth:"
  -h, --help            this help

On 127.0.0.1, ::1 or localhost it serves every caller. On any other address it starts only
if $SEHATMU_PROXY_KEY is set, and then serves only requests whose X-Proxy-Key header equals it
(when set, the key is required on loopback too); the others get 401. The key never goes
to the API. A request a browser sent (with Origin or Sec-Fetch-Site) gets 401 anywhere, and
on loopback so does one whose Host is not 127.0.0.1, ::1 or localhost (DNS rebinding). One token request serves every caller at a time; after invalid_credentials or
rate_limited it sends none until the server's wait is over, and answers 503 meanwhile.

Exit status: 0 stopped by SIGINT or SIGTERM; 1 it could not listen, Redis refused it (a wrong
password) or the redis package is missing; 2 usage, invalid_argument. Redis that is down at
start or later is no reason to stop: after 5 s it serves without it, fetching its own tokens.`;

/** The hosts that only this machine can reach: the proxy serves every caller there without a key. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

/** The option (or variable) behind an `invalid_argument`'s `field`, for a message that names it. */
const PROXY_OPTION = {
  clientId: "--client-id",
  clientSecret: "$SEHATMU_CLIENT_SECRET or --secret-stdin",
  baseUrl: "--base-url",
  upstream: "--base-url",
  prefix: "--prefix",
  paths: "--paths",
};

/** How long requests in flight may take to finish after a stop signal before their connections close. */
const STOP_GRACE_MS = 5_000;
/** How long the proxy waits at start for Redis before it serves without it (and keeps reconnecting). */
const REDIS_START_MS = 5_000;

/** Whether a request's X-Proxy-Key equals `key`, in constant time: digests of equal length are compared, never the texts. */
/**
 * Whether a request may be served by a sidecar that programs on this machine call: never one a
 * browser sent (`Origin` or `Sec-Fetch-Site`: a page the user has open could otherwise make
 * the sidecar call the API with the token, CSRF-style), and, on loopback, only one that names a
 * loopback host (a page on a name that a DNS rebinding points at 127.0.0.1 sends its own
 * name as `Host`).
 */
function fromAProgram(request, loopback) {
  if (request.headers.has("origin") || request.headers.has("sec-fetch-site")) return false;
  if (!loopback) return true;
  const named = request.headers.get("host");
  if (named === null) return true; // HTTP/1.0 without Host: no browser sends that
  try {
    return LOOPBACK_HOSTS.has(new URL(`http://${named}`).hostname.replace(/^\[(.*)\]$/, "$1"));
  } catch {
    return false;
  }
}

function keyCheck(key) {
  const digest = (text) => createHash("sha256").update(text, "utf8").digest();
  const expected = digest(key);
  return (request) => {
    const given = request.headers.get("x-proxy-key");
    return given !== null && timingSafeEqual(digest(given), expected);
  };
}

/**
 * A connected node-redis client for `url`, and its store. Waits `REDIS_START_MS` at most: Redis
 * that is down serves no token, and TokenClient fetches without it until the client reconnects.
 */
async function redisStore(url) {
  let redis;
  try {
    redis = await import("redis");
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    fail('--redis-url needs the "redis" package beside sehatmu-auth: npm install redis', 1);
  }
  const { createClient, ErrorReply } = redis.createClient ? redis : redis.default;
  let client;
  try {
    client = createClient({ url, disableOfflineQueue: true });
  } catch {
    fail("--redis-url must be a redis:// or rediss:// URL"); // its text may hold a password: not repeated
  }
  // At start, Redis's own refusal (a wrong password, say) ends the command; after it, and for an
  // outage at any time, a line on stderr, while TokenClient fetches without Redis.
  let starting = true;
  let down = false;
  const reportDown = (error) => {
    if (starting && ErrorReply && error instanceof ErrorReply) fail(`Redis refused the connection: ${error.message}`, 1);
    if (!down) process.stderr.write(`sehatmu-auth: Redis: ${error.message} (tokens are fetched without it until it is back)\n`);
    down = true; // one line per outage, not one per reconnection attempt
  };
  client.on("error", reportDown);
  client.on("ready", () => {
    if (down) process.stderr.write("sehatmu-auth: Redis: connected again\n");
    down = false;
  });
  const connecting = client.connect().then(() => true, reportDown);
  let timer;
  const connected = await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, REDIS_START_MS, false)))]);
  clearTimeout(timer);
  starting = false;
  if (!connected) reportDown(new Error(`not connected after ${REDIS_START_MS / 1000} s`));
  const { createRedisStore } = await import("../js/redis.js");
  /** Closes the connection, letting pending commands (a lock's release) finish for up to a second. */
  async function quit() {
    if (client.isReady) {
      const closing = (client.close ?? client.quit).call(client).catch(() => {});
      if (await Promise.race([closing.then(() => true), new Promise((resolve) => setTimeout(resolve, 1_000, false).unref())])) return;
    }
    try {
      (client.destroy ?? client.disconnect).call(client);
    } catch {
      // Closed already.
    }
  }
  return { ...releasable(createRedisStore(client, { prefix: "sehatmu-auth:" })), quit };
}

/** Writes one line per request to stdout when its answer is done: method, path without the query, status, ms. */
function logged(listener, onDone) {
  return (req, res) => {
    const started = performance.now();
    res.once("close", () => {
      const path = (req.url ?? "/").split("?")[0];
      const status = res.writableFinished ? res.statusCode : `${res.headersSent ? res.statusCode : "-"} (closed early)`;
      process.stdout.write(`${req.method} ${path} ${status} ${Math.round(performance.now() - started)}ms\n`);
      onDone();
    });
    listener(req, res);
  };
}

export async function proxy(args) {
  refuseSecretArgument(args);
  const values = parse(args, {
    "client-id": { type: "string" },
    "base-url": { type: "string" },
    "secret-stdin": { type: "boolean" },
    port: { type: "string" },
    host: { type: "string" },
    prefix: { type: "string" },
    paths: { type: "string" },
    "cache-dir": { type: "string" },
    "no-cache": { type: "boolean" },
    "redis-url": { type: "string" },
  });
  if (values.help) return console.log(PROXY_HELP);
  const caches = ["cache-dir", "no-cache", "redis-url"].filter((name) => values[name] !== undefined);
  if (caches.length > 1) fail(`--${caches[0]} and --${caches[1]} exclude each other`);
  if (values["cache-dir"] === "") fail("--cache-dir needs a folder");
  if (values["redis-url"] === "") fail("--redis-url needs a URL");
  const port = values.port ?? "8081";
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) fail(`--port must be a port number (0 picks a free one), not "${port}"`);
  const host = (values.host ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  if (host === "") fail("--host needs an address");
  const key = process.env.SEHATMU_PROXY_KEY || undefined;
  if (!LOOPBACK_HOSTS.has(host) && key === undefined) {
    fail(`--host ${host}: on an address other than 127.0.0.1, ::1 or localhost the proxy needs $SEHATMU_PROXY_KEY, which every caller then sends as X-Proxy-Key`);
  }

  // From here a stop signal ends the command cleanly, whatever it is doing.
  let server;
  let stopping = false;
  const running = { releaseLocks: async () => {}, quit: async () => {} };
  function stop(status) {
    if (stopping) return;
    stopping = true;
    // close() ends the idle connections at once (Node >= 19); the others end after their answer (see `logged`).
    const closed = server?.listening ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
    const grace = setTimeout(() => server?.closeAllConnections(), STOP_GRACE_MS);
    closed.then(async () => {
      clearTimeout(grace);
      await running.releaseLocks();
      await running.quit();
      process.exit(status);
    });
  }
  process.once("SIGINT", () => stop(0));
  process.once("SIGTERM", () => stop(0));
  process.once("SIGHUP", () => stop(128 + 1));

  const { TokenClient, isSehatmuError } = await import("../js/node.mjs");
  const { createProxy, toNodeListener } = await import("../js/proxy.js");
  const clientSecret = values["secret-stdin"] ? await readStdin() : process.env.SEHATMU_CLIENT_SECRET;
  const options = { clientId: values["client-id"] ?? process.env.SEHATMU_CLIENT_ID, clientSecret };
  const baseUrl = values["base-url"] ?? process.env.SEHATMU_BASE_URL;
  if (baseUrl) options.baseUrl = baseUrl;
  const prefix = values.prefix ?? "";
  const paths = values.paths?.split(",").map((path) => path.trim());
  const loopback = LOOPBACK_HOSTS.has(host);
  const keyed = key === undefined ? () => true : keyCheck(key);
  const authorize = (request) => fromAProgram(request, loopback) && keyed(request);
  const proxyFor = (client) => createProxy({ client, authorize, prefix, paths });
  let upstream;
  try {
    // Every option checked before a store is opened or Redis is reached.
    const client = new TokenClient(options);
    proxyFor(client);
    upstream = client.baseUrl;
  } catch (error) {
    if (!isSehatmuError(error) || error.code !== "invalid_argument") throw error;
    fail(`invalid_argument (${PROXY_OPTION[error.field] ?? error.field}): ${error.message}`);
  }

  let where = "this process only";
  if (values["redis-url"] !== undefined) {
    Object.assign(running, await redisStore(values["redis-url"]));
    where = "Redis";
  } else if (!values["no-cache"]) {
    const dir = values["cache-dir"] ?? defaultCacheDir();
    Object.assign(running, await cache(dir));
    where = dir;
  }
  const listener = toNodeListener(proxyFor(new TokenClient({ ...options, store: running.store })));
  // While stopping, each connection closes once its answer is done instead of waiting for another request.
  server = createServer(
    logged(listener, () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    }),
  );
  await new Promise((resolve) => {
    server.once("error", (error) => fail(`could not listen on ${host} port ${port}: ${error.message}`, 1));
    server.listen(Number(port), host, resolve);
  });
  const address = server.address();
  const shown = host === "localhost" ? host : address.family === "IPv6" ? `[${address.address}]` : address.address;
  process.stdout.write(`http://${shown}:${address.port}${prefix.replace(/\/$/, "")}\n`);
  const served = (paths ?? ["/fhir/"]).join(",");
  const keyNote = key === undefined ? "" : "; callers must send X-Proxy-Key";
  process.stderr.write(`sehatmu-auth proxy: ${served} of ${upstream} for client ${options.clientId}; token cache: ${where}${keyNote}\n`);
}
