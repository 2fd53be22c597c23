// `sehatmu-auth proxy`, the sidecar, as installed from the tarball: started as a user starts it,
// in front of the mock SehatMu server (whose `fallback` records the requests to /kfa/ with their
// headers), called by a client that sends no token. Every server listens on loopback and stops
// here.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";

import { binPath, closedPort, load, startRedis } from "./helpers.js";

const { mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;
const KEY = "proxy-key-canary-5b0f2c9e71d4";
const WRONG_SECRET = "WRONG-SECRET-canary-8e41d07a";

let server;
/** The requests the mock passed to its fallback (paths outside /fhir/ and /oauth/token). */
const passedOn = [];
let root;
let cacheHome;
/** Every proxy process started, stopped after each test if it still runs. */
const started = new Set();

before(async () => {
  server = await mock.startMockServer({
    fallback(req, res) {
      passedOn.push({ method: req.method, url: req.url, headers: { ...req.headers } });
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: req.url }));
    },
  });
  root = fs.mkdtempSync(join(tmpdir(), "sehatmu-sidecar-"));
});
after(async () => {
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  server.reset();
  passedOn.length = 0;
  cacheHome = fs.mkdtempSync(join(root, "cache-"));
});
afterEach(async () => {
  for (const proxy of started) {
    if (proxy.child.exitCode === null && proxy.child.signalCode === null) {
      proxy.child.kill("SIGKILL");
      await proxy.exited;
    }
  }
  started.clear();
});

const credentials = (secret = DEMO.clientSecret) => ({
  SEHATMU_CLIENT_ID: DEMO.clientId,
  SEHATMU_CLIENT_SECRET: secret,
  SEHATMU_BASE_URL: server.url,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `sehatmu-auth proxy --port 0 …args`: `{ child, url, exited, output(), stop(signal) }`;
 * `url` resolves to its first line of output, `exited` to `{ code, signal }`.
 */
function start(args, { env = credentials(), input } = {}) {
  const child = spawn(binPath(), ["proxy", "--port", "0", ...args], {
    env: { PATH: process.env.PATH, XDG_CACHE_HOME: cacheHome, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end(input);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const url = new Promise((resolve, reject) => {
    const onData = () => {
      const end = stdout.indexOf("\n");
      if (end === -1) return;
      child.stdout.off("data", onData);
      resolve(stdout.slice(0, end));
    };
    child.stdout.on("data", onData);
    exited.then(({ code }) => reject(new Error(`the proxy exited (${code}) before it printed its URL: ${stderr}`)));
  });
  url.catch(() => {});
  const proxy = {
    child,
    url,
    exited,
    output: () => ({ stdout, stderr }),
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
  started.add(proxy);
  return proxy;
}

/** The exit of a proxy that must refuse to start: a failure at once if it prints a URL instead. */
function refusal(proxy) {
  return Promise.race([proxy.exited, proxy.url.then((url) => assert.fail(`it started on ${url}`), () => proxy.exited)]);
}

/** Runs the command to its end: `{ code, stdout, stderr }`. */
function run(args, { env = credentials(), input } = {}) {
  return new Promise((resolve) => {
    const options = { env: { PATH: process.env.PATH, XDG_CACHE_HOME: cacheHome, ...env } };
    const child = execFile(binPath(), args, options, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A GET with no token: `{ status, headers, body }`. */
async function call(url, headers = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

/** Asserts that none of `secrets` shows in any of `texts`. */
function assertNone(texts, secrets) {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `"${secret.slice(0, 6)}…" shows in ${text.slice(0, 200)}`);
  }
}

/** The bearer tokens that the API requests the mock saw carried, in order. */
function bearerTokens() {
  return server.apiRequests.map(({ authorization }) => authorization?.replace(/^Bearer /, ""));
}

test("--help for proxy, and the main help lists it", async () => {
  const help = await run(["proxy", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: sehatmu-auth proxy/);
  for (const word of ["--redis-url", "--paths", "--prefix", "SEHATMU_PROXY_KEY", "X-Proxy-Key", "--secret-stdin"]) {
    assert.ok(help.stdout.includes(word), word);
  }
  assert.match((await run(["--help"])).stdout, /^ {2}proxy /m);
  assert.equal(server.requests.length, 0);
});

test("200 concurrent calls without a token make one token request; every one reaches the API with the bearer token", async () => {
  const proxy = start([]);
  const url = await proxy.url;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const answers = await Promise.all(Array.from({ length: 200 }, () => call(`${url}/fhir/Patient?name=siti&_count=1`)));
  for (const answer of answers) assert.equal(answer.status, 200, answer.body);
  assert.equal(server.requests.length, 1);
  assert.equal(server.apiRequests.length, 200);
  const tokens = bearerTokens();
  assert.equal(new Set(tokens).size, 1);
  assert.ok(server.tokens.has(tokens[0]), "a live token of the mock's");
  assert.equal(JSON.parse(answers[0].body).path, "/fhir/Patient");

  assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
  const { stdout, stderr } = proxy.output();
  const [first, ...lines] = stdout.trimEnd().split("\n");
  assert.equal(first, url, "the URL is the first line");
  assert.equal(lines.length, 200, "one line per request");
  for (const line of lines) assert.match(line, /^GET \/fhir\/Patient 200 \d+ms$/, "method, path without the query, status, ms");
  assertNone([stdout, stderr, ...answers.map((a) => a.body + JSON.stringify(a.headers))], [DEMO.clientSecret, ...server.tokens.keys()]);
});

test("a request a browser sent (Origin, Sec-Fetch-Site) or that names another host (DNS rebinding) gets 401, nothing upstream", async () => {
  const proxy = start([]);
  const url = new URL(await proxy.url);
  const before = { tokens: server.requests.length, api: server.apiRequests.length };
  /** A GET with exactly these headers (fetch would set Host itself). */
  const raw = (headers) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: "/fhir/Patient", headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.on("error", reject);
      req.end();
    });
  const host = `127.0.0.1:${url.port}`;
  assert.equal(await raw({ host, origin: "https://evil.example" }), 401);
  assert.equal(await raw({ host, "sec-fetch-site": "cross-site" }), 401);
  assert.equal(await raw({ host: `evil.example:${url.port}` }), 401);
  assert.deepEqual({ tokens: server.requests.length, api: server.apiRequests.length }, before);
  // A program's own request: Host 127.0.0.1 or localhost.
  assert.equal(await raw({ host }), 200);
  assert.equal(await raw({ host: `localhost:${url.port}` }), 200);
  assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
});

test("two proxies on one --cache-dir make one token request between them; the token command's cache is the same", async () => {
  const dir = join(root, `shared-${Date.now()}`);
  server.next({ delayMs: 500 }); // the first token request is slow: both proxies ask while it runs
  const proxies = [start(["--cache-dir", dir]), start([`--cache-dir=${dir}`])];
  const urls = await Promise.all(proxies.map((p) => p.url));
  const answers = await Promise.all(urls.flatMap((url) => Array.from({ length: 20 }, () => call(`${url}/fhir/Observation`))));
  for (const answer of answers) assert.equal(answer.status, 200, answer.body);
  assert.equal(server.requests.length, 1);
  assert.equal(server.apiRequests.length, 40);
  assert.equal(new Set(bearerTokens()).size, 1);
  for (const proxy of proxies) assert.equal((await proxy.stop()).code, 0);

  // `sehatmu-auth token` then a proxy, both on the default folder: the proxy takes the token's cache.
  const printed = await run(["token", "--header"]);
  assert.equal(printed.code, 0, printed.stderr);
  const proxy = start([]);
  assert.equal((await call(`${await proxy.url}/fhir/Patient`)).status, 200);
  assert.equal(server.requests.length, 2);
  assert.equal(bearerTokens().at(-1), printed.stdout.match(/Bearer (\S+)/)[1]);
  assert.equal((await proxy.stop()).code, 0);
});

test("--host 127.0.0.2 without $SEHATMU_PROXY_KEY refuses to start, exit 2", async () => {
  for (const env of [credentials(), { ...credentials(), SEHATMU_PROXY_KEY: "" }]) {
    const proxy = start(["--host", "127.0.0.2"], { env });
    const { code } = await refusal(proxy);
    assert.equal(code, 2);
    const { stdout, stderr } = proxy.output();
    assert.equal(stdout, "");
    assert.match(stderr, /SEHATMU_PROXY_KEY/);
  }
  assert.equal(server.requests.length, 0);
});

test("with $SEHATMU_PROXY_KEY: without the key or with a wrong one 401 and nothing upstream; with it the call passes, the key not forwarded", async () => {
  const args = ["--host", "127.0.0.2", "--client-id", DEMO.clientId, "--base-url", server.url, "--secret-stdin"];
  const proxy = start([...args, "--prefix", "/sehatmu", "--paths", "/fhir/,/kfa/"], {
    env: { SEHATMU_PROXY_KEY: KEY },
    input: `${DEMO.clientSecret}\n`,
  });
  const url = await proxy.url;
  assert.match(url, /^http:\/\/127\.0\.0\.2:\d+\/sehatmu$/);
  const refused = [
    {},
    { "x-proxy-key": "wrong" },
    { "x-proxy-key": `${KEY}x` },
    { "x-proxy-key": KEY.slice(0, -1) },
    { "x-proxy-key": KEY.toUpperCase() },
    { authorization: `Bearer ${KEY}` },
  ];
  const answers = [];
  for (const headers of refused) {
    for (const path of ["/kfa/products", "/fhir/Patient"]) {
      const answer = await call(`${url}${path}`, headers);
      answers.push(answer);
      assert.equal(answer.status, 401, JSON.stringify(headers));
      assert.equal(JSON.parse(answer.body).resourceType, "OperationOutcome");
    }
  }
  assert.equal(server.requests.length + server.apiRequests.length + passedOn.length, 0, "nothing upstream, not even a token request");

  for (const path of ["/kfa/products?code=93001", "/fhir/Patient"]) {
    const answer = await call(`${url}${path}`, { "x-proxy-key": KEY, accept: "application/json" });
    answers.push(answer);
    assert.equal(answer.status, 200, answer.body);
  }
  assert.equal(server.requests.length, 1);
  assert.equal(passedOn.length, 1);
  const [forwarded] = passedOn;
  assert.equal(forwarded.url, "/kfa/products?code=93001");
  assert.equal(forwarded.headers["x-proxy-key"], undefined, "the key stays behind");
  assertNone([JSON.stringify(forwarded.headers)], [KEY]);
  assert.ok(server.tokens.has(forwarded.headers.authorization.replace(/^Bearer /, "")), "the bearer token instead");
  assert.ok(server.tokens.has(bearerTokens()[0]));

  assert.equal((await proxy.stop()).code, 0);
  const { stdout, stderr } = proxy.output();
  assert.match(stdout, /^GET \/sehatmu\/kfa\/products 401 \d+ms$/m);
  assert.match(stdout, /^GET \/sehatmu\/kfa\/products 200 \d+ms$/m);
  const everything = [stdout, stderr, ...answers.map((a) => a.body + JSON.stringify(a.headers))];
  assertNone(everything, [KEY, DEMO.clientSecret, ...server.tokens.keys()]);
});

test("a key set on 127.0.0.1 is required there too", async () => {
  const proxy = start([], { env: { ...credentials(), SEHATMU_PROXY_KEY: KEY } });
  const url = await proxy.url;
  assert.equal((await call(`${url}/fhir/Patient`)).status, 401);
  assert.equal((await call(`${url}/fhir/Patient`, { "x-proxy-key": KEY })).status, 200);
  assert.equal(server.apiRequests.length, 1);
  assert.equal((await proxy.stop()).code, 0);
});

test("a wrong secret: 502 naming invalid_credentials, then 503 with Retry-After and no request; the secret in no output", async () => {
  const proxy = start([], { env: credentials(WRONG_SECRET) });
  const url = await proxy.url;
  const first = await call(`${url}/fhir/Patient`);
  assert.equal(first.status, 502);
  assert.match(JSON.parse(first.body).issue[0].details.text, /invalid_credentials/);
  const second = await call(`${url}/fhir/Patient`);
  assert.equal(second.status, 503);
  assert.match(second.headers["retry-after"], /^\d+$/);
  assert.equal(server.requests.length, 1, "the wait holds: one token request");
  assert.equal(server.apiRequests.length, 0);
  assert.equal((await proxy.stop()).code, 0);
  const { stdout, stderr } = proxy.output();
  assert.match(stdout, /^GET \/fhir\/Patient 502 \d+ms$/m);
  assertNone([stdout, stderr, first.body, second.body, JSON.stringify(first.headers)], [WRONG_SECRET]);
  const cached = join(cacheHome, "sehatmu-auth");
  for (const name of fs.readdirSync(cached)) assertNone([name, fs.readFileSync(join(cached, name), "utf8")], [WRONG_SECRET]);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`${signal} stops it with exit 0, a kept-alive connection open`, async () => {
    const proxy = start([]);
    const { hostname, port } = new URL(await proxy.url);
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise((resolve, reject) => {
      httpRequest({ hostname, port, path: "/fhir/Patient", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      }).on("error", reject).end();
    });
    assert.equal(status, 200);
    const stopping = Date.now();
    assert.deepEqual(await proxy.stop(signal), { code: 0, signal: null });
    assert.ok(Date.now() - stopping < 3_000, `${Date.now() - stopping} ms: the idle connection kept it`);
    agent.destroy();
  });
}

test("SIGTERM lets a call in flight finish, then exits 0 without waiting out the grace", async () => {
  server.next({ delayMs: 1_000 });
  const proxy = start([]);
  const { hostname, port } = new URL(await proxy.url);
  const agent = new Agent({ keepAlive: true });
  const answered = new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path: "/fhir/Patient", agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject).end();
  });
  while (server.requests.length === 0) await sleep(20);
  const stopping = Date.now();
  const exited = proxy.stop();
  assert.equal(await answered, 200);
  assert.deepEqual(await exited, { code: 0, signal: null });
  assert.ok(Date.now() - stopping < 4_000, `${Date.now() - stopping} ms: the kept-alive connection held it`);
  agent.destroy();
});

test("SIGTERM during a token request: the call's connection closes, the lock is freed, exit 0", async () => {
  server.next({ delayMs: 20_000 });
  const proxy = start([]);
  const url = await proxy.url;
  const pending = call(`${url}/fhir/Patient`).then(
    (answer) => answer.status,
    () => "closed",
  );
  while (server.requests.length === 0) await sleep(20);
  assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
  assert.equal(await pending, "closed");
  // The lock would live past the token request's every try; freed, the next run needn't wait.
  const startedAt = Date.now();
  const next = await run(["token"]);
  assert.equal(next.code, 0, next.stderr);
  assert.ok(Date.now() - startedAt < 5_000, `${Date.now() - startedAt} ms`);
  assert.equal(server.requests.length, 2);
});

test("the secret as an argument is refused, before anything starts", async () => {
  for (const args of [["--client-secret", DEMO.clientSecret], ["--secret", DEMO.clientSecret], [`--client-secret=${DEMO.clientSecret}`]]) {
    const proxy = start(args);
    assert.equal((await refusal(proxy)).code, 2, args[0]);
    const { stdout, stderr } = proxy.output();
    assert.equal(stdout, "");
    assert.match(stderr, /not taken from the command line/);
    assertNone([stderr], [DEMO.clientSecret]);
  }
  assert.equal(server.requests.length, 0);
});

test("bad options exit 2 with a message naming the option, no stack trace, nothing served", async () => {
  const cases = [
    [["--port", "http"], "--port"],
    [["--port", "65536"], "--port"],
    [["--port", "-1"], "--port"],
    [["--port", ""], "--port"],
    [["--paths", "fhir/"], "--paths"],
    [["--paths", "/fhir/,"], "--paths"],
    [["--paths", "/fhir/../oauth/"], "--paths"],
    [["--prefix", "sehatmu"], "--prefix"],
    [["--prefix", "/a//b"], "--prefix"],
    [["--base-url", "http://example.com"], "--base-url"],
    [["--client-id", ""], "--client-id"],
    [["--no-cache", "--cache-dir", "x"], "--cache-dir"],
    [["--cache-dir", "x", "--redis-url", "redis://127.0.0.1:1"], "--redis-url"],
    [["--cache-dir="], "--cache-dir"],
    [["--host="], "--host"],
    [["--frobnicate"], "--frobnicate"],
  ];
  for (const [args, option] of cases) {
    const proxy = start(args);
    const { code } = await refusal(proxy);
    const { stdout, stderr } = proxy.output();
    assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
    assert.equal(stdout, "", args.join(" "));
    assert.ok(stderr.includes(option), `${args.join(" ")}: ${stderr}`);
    assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  }
  const unset = start([], { env: { SEHATMU_CLIENT_ID: DEMO.clientId, SEHATMU_BASE_URL: server.url } });
  assert.equal((await refusal(unset)).code, 2);
  assert.match(unset.output().stderr, /SEHATMU_CLIENT_SECRET/);
  assert.equal(server.requests.length, 0);
});

/** Whether `redis` resolves from the installed command, as its dynamic import would look for it. */
function redisBesideCommand() {
  try {
    createRequire(fs.realpathSync(binPath())).resolve("redis");
    return true;
  } catch {
    return false;
  }
}

test("--redis-url: two proxies on one Redis make one token request; without the redis package, a clear error", async () => {
  const port = await closedPort();
  if (!redisBesideCommand()) {
    // The packed package installed alone, as most users have it: redis is an optional peer.
    const proxy = start(["--redis-url", `redis://127.0.0.1:${port}`]);
    assert.equal((await refusal(proxy)).code, 1);
    assert.match(proxy.output().stderr, /needs the "redis" package/);
    assert.doesNotMatch(proxy.output().stderr, /^\s+at /m);
    return;
  }
  const redis = await startRedis(port);
  try {
    server.next({ delayMs: 500 });
    const proxies = [start(["--redis-url", `redis://127.0.0.1:${port}`]), start(["--redis-url", `redis://127.0.0.1:${port}`])];
    const urls = await Promise.all(proxies.map((p) => p.url));
    const answers = await Promise.all(urls.flatMap((url) => Array.from({ length: 20 }, () => call(`${url}/fhir/Patient`))));
    for (const answer of answers) assert.equal(answer.status, 200, answer.body);
    assert.equal(server.requests.length, 1);
    assert.equal(new Set(bearerTokens()).size, 1);
    for (const proxy of proxies) assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    assert.deepEqual(fs.readdirSync(cacheHome), [], "no file cache");

    // Redis's own refusal at start ends the command; the password shows nowhere.
    const password = "redis-password-canary";
    const refused = start(["--redis-url", `redis://nobody:${password}@127.0.0.1:${port}`]);
    assert.equal((await refusal(refused)).code, 1);
    assert.match(refused.output().stderr, /Redis refused the connection: WRONGPASS/);
    assertNone([refused.output().stderr], [password]);
  } finally {
    redis.kill("SIGTERM");
    await once(redis, "exit");
  }
});

const withoutRedis = !redisBesideCommand() && "the redis package is not installed beside the command";

test("--redis-url with Redis down: it serves anyway after a few seconds, fetching the token itself", { skip: withoutRedis }, async () => {
  const password = "redis-password-canary";
  const proxy = start(["--redis-url", `redis://:${password}@127.0.0.1:${await closedPort()}`]);
  const url = await proxy.url;
  assert.equal((await call(`${url}/fhir/Patient`)).status, 200);
  assert.equal(server.requests.length, 1);
  assert.equal((await proxy.stop("SIGINT")).code, 0);
  const { stderr } = proxy.output();
  assert.match(stderr, /Redis/);
  assertNone([stderr, proxy.output().stdout], [password, DEMO.clientSecret]);
});
