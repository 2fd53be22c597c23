// The `sehatmu-auth` command as installed from the tarball: token, mock, help, exit statuses.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";

import { binPath, closedPort, load } from "./helpers.js";

const { getToken, mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;

let server;
/** A new $XDG_CACHE_HOME for each test: the runs never touch the real home's cache. */
let cacheHome;
let root;
before(async () => {
  server = await mock.startMockServer();
  root = fs.mkdtempSync(join(tmpdir(), "sehatmu-cli-"));
});
after(async () => {
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  server.reset();
  cacheHome = fs.mkdtempSync(join(root, "cache-"));
});

/** Runs the command; resolves to { code, stdout, stderr } whatever the exit status. */
function run(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const options = { env: { PATH: process.env.PATH, XDG_CACHE_HOME: cacheHome, ...env } };
    const child = execFile(binPath(), args, options, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
    child.stdin.end(input);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mode = (path) => fs.statSync(path).mode & 0o777;

/** Every file in `dir` with its text. */
function snapshot(dir) {
  return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(join(dir, name), "utf8")]));
}

const credentials = (secret = DEMO.clientSecret) => ({
  SEHATMU_CLIENT_ID: DEMO.clientId,
  SEHATMU_CLIENT_SECRET: secret,
  SEHATMU_BASE_URL: server.url,
});

test("--help for the command and each subcommand", async () => {
  for (const args of [["--help"], [], ["token", "--help"], ["mock", "-h"]]) {
    const { code, stdout } = await run(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(stdout, /^Usage: sehatmu-auth/);
  }
  const help = (await run(["token", "--help"])).stdout;
  for (const option of ["--cache-dir", "--no-cache", "XDG_CACHE_HOME"]) assert.ok(help.includes(option), option);
  const unknown = await run(["frobnicate"]);
  assert.equal(unknown.code, 2);
});

test("token from the environment prints the AccessToken as JSON", async () => {
  const { code, stdout, stderr } = await run(["token"], { env: credentials() });
  assert.equal(code, 0, stderr);
  const token = JSON.parse(stdout);
  assert.ok(server.tokens.has(token.accessToken));
  assert.equal(token.tokenType, "Bearer");
});

test("token with --client-id, --base-url, the secret on stdin and --header", async () => {
  const args = ["token", "--client-id", DEMO.clientId, "--base-url", server.url, "--secret-stdin", "--header"];
  const { code, stdout } = await run(args, { input: `${DEMO.clientSecret}\n` });
  assert.equal(code, 0);
  const [, token] = stdout.match(/^Authorization: Bearer ([0-9a-f]{40})\n$/);
  assert.ok(server.tokens.has(token));
});

test("the secret is never taken from an argument", async () => {
  for (const flag of ["--client-secret", "--secret", "--client-secret=abc"]) {
    const { code, stderr } = await run(["token", flag, "abc"], { env: credentials() });
    assert.equal(code, 2);
    assert.match(stderr, /never taken|not taken/);
  }
  assert.equal(server.requests.length, 0);
});

test("errors go to stderr with their code and an exit status per family", async () => {
  const secret = "WRONG-SECRET-0123456789";
  const cases = [
    [{ ...credentials(), SEHATMU_BASE_URL: "http://example.com" }, 2, "invalid_argument"],
    [credentials(secret), 3, "invalid_credentials"],
    [credentials(secret), 4, "rate_limited"],
    [{ ...credentials(), SEHATMU_BASE_URL: `http://127.0.0.1:${await closedPort()}` }, 7, "network_error"],
  ];
  for (const [env, status, codeName] of cases) {
    // Without the cache, the second run's rate_limited is the server's own answer.
    const { code, stdout, stderr } = await run(["token", "--no-cache"], { env });
    assert.equal(code, status, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, new RegExp(`^sehatmu-auth: ${codeName}`));
    assert.ok(!stderr.includes(secret));
  }
  server.reset();
  server.next({ status: 503, body: "Service Unavailable" });
  const busy = await run(["token", "--no-cache"], { env: credentials() });
  assert.equal(busy.code, 6);
  assert.match(busy.stderr, /^sehatmu-auth: server_error: .*Service Unavailable/);
});

test("20 runs make one request: the token is cached in $XDG_CACHE_HOME/sehatmu-auth", async () => {
  const tokens = [];
  for (let wave = 0; wave < 4; wave++) {
    const runs = await Promise.all(Array.from({ length: 5 }, () => run(["token"], { env: credentials() })));
    for (const { code, stdout, stderr } of runs) {
      assert.equal(code, 0, stderr);
      tokens.push(JSON.parse(stdout).accessToken);
    }
  }
  assert.equal(server.requests.length, 1);
  assert.equal(new Set(tokens).size, 1);
  assert.ok(server.tokens.has(tokens[0]));
  const dir = join(cacheHome, "sehatmu-auth");
  assert.equal(mode(dir), 0o700);
  const entries = Object.entries(snapshot(dir)).filter(([name]) => name.endsWith(".json"));
  assert.equal(entries.length, 1);
  const [[name, text]] = entries;
  assert.equal(mode(join(dir, name)), 0o600);
  const record = JSON.parse(text);
  assert.equal(record.value.accessToken, tokens[0]);
  assert.ok(record.key.includes(DEMO.clientId));
  for (const [file, content] of Object.entries(snapshot(dir))) assert.ok(!(file + content).includes(DEMO.clientSecret), file);
  const header = await run(["token", "--header"], { env: credentials() });
  assert.equal(header.stdout, `Authorization: Bearer ${tokens[0]}\n`);
  assert.equal(server.requests.length, 1);
});

test("without $XDG_CACHE_HOME (or with a relative one) the cache is ~/.cache/sehatmu-auth", async () => {
  const home = fs.mkdtempSync(join(root, "home-"));
  for (const xdg of [undefined, "relative/cache"]) {
    const { code, stderr } = await run(["token"], { env: { ...credentials(), HOME: home, XDG_CACHE_HOME: xdg } });
    assert.equal(code, 0, stderr);
  }
  assert.equal(server.requests.length, 1);
  assert.equal(mode(join(home, ".cache", "sehatmu-auth")), 0o700);
  assert.deepEqual(fs.readdirSync(cacheHome), []);
});

test("--no-cache neither reads nor writes the cache: not the token, not the wait", async () => {
  const cached = JSON.parse((await run(["token"], { env: credentials() })).stdout);
  const dir = join(cacheHome, "sehatmu-auth");
  const before = snapshot(dir);
  const fresh = await run(["token", "--no-cache"], { env: credentials() });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.notEqual(JSON.parse(fresh.stdout).accessToken, cached.accessToken, "not read");
  assert.equal(server.requests.length, 2);
  const wrong = await run(["token", "--no-cache"], { env: credentials("WRONG-SECRET-0123456789") });
  assert.equal(wrong.code, 3, wrong.stderr);
  assert.deepEqual(snapshot(dir), before, "not written");
  const again = await run(["token"], { env: credentials() });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).accessToken, cached.accessToken, "the cached token, no wait");
  assert.equal(server.requests.length, 3);

  server.reset(); // the server's own minute after the wrong secret
  const empty = fs.mkdtempSync(join(root, "empty-"));
  const none = await run(["token", "--no-cache"], { env: { ...credentials(), XDG_CACHE_HOME: empty } });
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(fs.readdirSync(empty), [], "no folder made");
});

test("--cache-dir chooses the folder, made with its parents", async () => {
  const dir = join(root, `chosen-${Date.now()}`, "nested");
  const first = await run(["token", "--cache-dir", dir], { env: credentials() });
  const second = await run(["token", `--cache-dir=${dir}`, "--header"], { env: credentials() });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.stdout, `Authorization: Bearer ${JSON.parse(first.stdout).accessToken}\n`);
  assert.equal(server.requests.length, 1);
  assert.equal(mode(dir), 0o700);
  assert.ok(fs.readdirSync(dir).some((name) => name.endsWith(".json")));
  assert.deepEqual(fs.readdirSync(cacheHome), [], "not the default folder");
  const elsewhere = await run(["token"], { env: credentials() });
  assert.equal(elsewhere.code, 0);
  assert.equal(server.requests.length, 2);
  for (const args of [["--cache-dir", dir, "--no-cache"], ["--cache-dir="]]) {
    const { code } = await run(["token", ...args], { env: credentials() });
    assert.equal(code, 2, args.join(" "));
  }
  assert.equal(server.requests.length, 2);
});

test("after a wrong secret the next runs exit with status 4 at once, without a request, until the wait is over", async () => {
  const secret = "WRONG-SECRET-0123456789";
  const wrong = await run(["token"], { env: credentials(secret) });
  assert.equal(wrong.code, 3, wrong.stderr);
  for (const env of [credentials(secret), credentials(), credentials()]) {
    const started = Date.now();
    const { code, stdout, stderr } = await run(["token"], { env });
    assert.equal(code, 4, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^sehatmu-auth: rate_limited: Not sending a token request/);
    assert.ok(!stderr.includes(secret));
    assert.ok(Date.now() - started < 3_000, `at once: ${Date.now() - started} ms`);
  }
  assert.equal(server.requests.length, 1);
  const dir = join(cacheHome, "sehatmu-auth");
  for (const [name, text] of Object.entries(snapshot(dir))) assert.ok(!(name + text).includes(secret), name);

  // The server's Retry-After sets the wait (a 401 sends none; a 429 may): once it is over, a run asks again.
  server.reset();
  const other = { env: { ...credentials(), XDG_CACHE_HOME: fs.mkdtempSync(join(root, "retry-after-")) } };
  server.next({ status: 429, headers: { "retry-after": "2" }, body: { error: "slow_down" } });
  assert.equal((await run(["token"], other)).code, 4);
  const waitEnds = Date.now() + 2_000;
  assert.equal((await run(["token"], other)).code, 4);
  assert.equal(server.requests.length, 1);
  await sleep(waitEnds - Date.now() + 200);
  const after = await run(["token"], other);
  assert.equal(after.code, 0, after.stderr);
  assert.equal(server.requests.length, 2);
});

test("a run stopped by Ctrl-C frees its lock: the next run needn't wait for it to expire", async () => {
  server.next({ delayMs: 20_000 });
  const child = spawn(binPath(), ["token"], { env: { PATH: process.env.PATH, XDG_CACHE_HOME: cacheHome, ...credentials() }, stdio: "ignore" });
  while (server.requests.length === 0) await sleep(20);
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  assert.equal(code, 130);
  const started = Date.now();
  const next = await run(["token"], { env: credentials() });
  assert.equal(next.code, 0, next.stderr);
  assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms (the lock lives 30 s)`);
  assert.equal(server.requests.length, 2);
});

test("mock runs the mock server, prints its URL and demo credentials, and stops on Ctrl-C", async () => {
  const child = spawn(binPath(), ["mock", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const url = await new Promise((resolve) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/Mock SehatMu server: (\S+)/);
      if (match && out.includes("Ctrl-C")) resolve(match[1]);
    });
  });
  assert.ok(out.includes(DEMO.clientId) && out.includes(DEMO.clientSecret));
  const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: url });
  assert.ok(token.accessToken);
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
});
