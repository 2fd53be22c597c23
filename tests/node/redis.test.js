// Many processes, one token: TokenClient with the Redis store against a real redis-server
// (Debian's, started here on 127.0.0.1 and a free port) and the mock SehatMu server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import { callsAfterRevocation, callsOnCue, closedPort, entryPath, load, redisStorePath, startRedis } from "./helpers.js";

const require = createRequire(import.meta.url);
const { TokenClient, isSehatmuError, mock } = await load();
const { createRedisStore } = await import(redisStorePath());
const { createClient } = require("redis");
const [DEMO] = mock.DEMO_CLIENTS;

let redisPort;
let redis;
let server;

async function stopRedis() {
  const exited = once(redis, "exit");
  redis.kill("SIGTERM");
  await exited;
}

before(async () => {
  redisPort = await closedPort();
  redis = await startRedis(redisPort);
  server = await mock.startMockServer({ rateLimitWindowMs: 0 });
});

after(async () => {
  await server.close();
  if (redis.exitCode === null) await stopRedis();
});

/** Runs a process with a TokenClient on the Redis store; `body` uses `client` and prints JSON. */
function child(prefix, options, body) {
  const source = `
    import { TokenClient } from ${JSON.stringify(entryPath())};
    import { createRedisStore } from ${JSON.stringify(redisStorePath())};
    import redis from ${JSON.stringify(require.resolve("redis"))};
    const connection = redis.createClient({ url: "redis://127.0.0.1:${redisPort}", disableOfflineQueue: true });
    connection.on("error", () => {});
    await connection.connect();
    const store = createRedisStore(connection, { prefix: ${JSON.stringify(prefix)} });
    const client = new TokenClient({ baseUrl: ${JSON.stringify(server.url)}, store, ...${JSON.stringify(options)} });
    const result = await (async () => { ${body} })();
    console.log(JSON.stringify(result));
    await connection.quit();
  `;
  const process_ = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  process_.stdout.on("data", (chunk) => (out += chunk));
  /** What the process printed, once it exited normally. */
  process_.result = async () => {
    const [code] = process_.exitCode === null ? await once(process_, "exit") : [process_.exitCode];
    assert.equal(code, 0, out);
    return JSON.parse(out.trim().split("\n").at(-1));
  };
  return process_;
}

const demo = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };

test("anything but a redis or ioredis client is invalid_argument for client", () => {
  for (const bad of [undefined, null, {}, { call() {} }, "redis://127.0.0.1"]) {
    assert.throws(() => createRedisStore(bad), (error) => isSehatmuError(error) && error.code === "invalid_argument" && error.field === "client");
  }
});

test("8 processes × 200 concurrent getToken() on a cold cache: one request", async () => {
  server.reset();
  server.next({ delayMs: 300 });
  const body = `
    const tokens = await Promise.all(Array.from({ length: 200 }, () => client.getToken()));
    return [...new Set(tokens.map((t) => t.accessToken))];
  `;
  const children = Array.from({ length: 8 }, () => child("fleet:", demo, body));
  const results = await Promise.all(children.map((c) => c.result()));
  assert.equal(server.requests.length, 1);
  const all = new Set(results.flat());
  assert.equal(all.size, 1);
  assert.ok(server.tokens.has([...all][0]));
});

test("4 processes × 50 calls of the API after a revocation: one new token between them, every call 200", async () => {
  server.reset();
  const children = Array.from({ length: 4 }, () => child("revoked:", demo, callsOnCue(`${server.url}/fhir/Patient`, 50)));
  const { tokenRequests, statuses } = await callsAfterRevocation(server, children);
  assert.equal(server.requests.length - tokenRequests, 1, "one token for the four before");
  assert.equal(tokenRequests, 1, "one new token request for 200 rejected calls in 4 processes");
  assert.equal(statuses.length, 200);
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.equal(server.apiRequests.length, 400, "each call replayed once");
});

test("a lock holder killed mid-request: another process gets a token once the lock expires", async () => {
  server.reset();
  server.next({ delayMs: 20_000 });
  const options = { ...demo, timeoutMs: 1500, retries: 0 };
  const holder = child("killed:", options, "return (await client.getToken()).accessToken;");
  while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const started = Date.now();
  const waiter = child("killed:", options, "return (await client.getToken()).accessToken;");
  await new Promise((resolve) => setTimeout(resolve, 200));
  holder.kill("SIGKILL");
  await once(holder, "exit");
  const token = await waiter.result();
  assert.ok(server.tokens.has(token));
  assert.equal(server.requests.length, 2);
  assert.ok(Date.now() - started < 5000);
});

test("a 401 seen by one process makes the others reject with rate_limited, sending nothing", async () => {
  server.reset();
  const outcome = `
    try { await client.getToken(); return "token"; }
    catch (e) { return { code: e.code, status: e.status ?? null, retryAfterMs: e.retryAfterMs ?? null }; }
  `;
  const first = await child("shared-wait:", { ...demo, clientSecret: "wrong" }, outcome).result();
  assert.equal(first.code, "invalid_credentials");
  const others = await Promise.all([1, 2, 3].map(() => child("shared-wait:", demo, outcome).result()));
  for (const other of others) {
    assert.equal(other.code, "rate_limited");
    assert.equal(other.status, null);
    assert.ok(other.retryAfterMs > 50_000 && other.retryAfterMs <= 60_000, String(other.retryAfterMs));
  }
  assert.equal(server.requests.length, 1);
});

test("Redis stopped mid-run: clients fetch on their own with a warning, and use Redis again when it returns", async () => {
  server.reset();
  const connection = createClient({ url: `redis://127.0.0.1:${redisPort}`, disableOfflineQueue: true, socket: { reconnectStrategy: () => 100 } });
  connection.on("error", () => {});
  await connection.connect();
  const client = new TokenClient({ ...demo, baseUrl: server.url, store: createRedisStore(connection, { prefix: "outage:" }) });
  const warnings = [];
  const warn = console.warn;
  console.warn = (message) => warnings.push(String(message));
  try {
    await client.getToken();
    assert.equal(server.requests.length, 1);

    await stopRedis();
    const during = await client.getToken({ forceRefresh: true });
    assert.ok(server.tokens.has(during.accessToken));
    assert.equal(server.requests.length, 2);
    assert.ok(warnings.some((w) => /lock failed; fetching without it/.test(w)), warnings.join("\n"));

    redis = await startRedis(redisPort);
    while (!connection.isReady) await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await client.getToken({ forceRefresh: true });
    assert.equal(server.requests.length, 3);
    const keys = await connection.keys("outage:*");
    assert.ok(keys.some((k) => k.endsWith(DEMO.clientId)), keys.join());
    const stored = JSON.parse(await connection.get(keys.find((k) => k.endsWith(DEMO.clientId))));
    assert.equal(stored.accessToken, after.accessToken);
  } finally {
    console.warn = warn;
    await connection.quit().catch(() => {});
  }
});

test("an ioredis client works the same: two clients, one request, the lock released", async () => {
  server.reset();
  const { default: Redis } = await import("ioredis");
  const connections = [1, 2].map(() => new Redis({ port: redisPort, host: "127.0.0.1", enableOfflineQueue: false, lazyConnect: true }));
  await Promise.all(connections.map((c) => c.connect()));
  try {
    const clients = connections.map(
      (connection) => new TokenClient({ ...demo, baseUrl: server.url, store: createRedisStore(connection, { prefix: "io:" }) }),
    );
    const [a, b] = await Promise.all(clients.map((client) => client.getToken()));
    assert.equal(a.accessToken, b.accessToken);
    assert.equal(server.requests.length, 1);
    const keys = await connections[0].keys("io:*");
    assert.ok(!keys.some((key) => key.endsWith(":lock")), `the lock is released: ${keys}`);
    assert.ok(!keys.some((key) => key.includes(DEMO.clientSecret)));
  } finally {
    connections.forEach((c) => c.disconnect());
  }
});
