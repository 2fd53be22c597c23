// TokenClient's lifecycle events and its refresh ahead of expiry.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, beforeEach, describe, test } from "node:test";

import { entryPath, load, rejection } from "./helpers.js";

const { TokenClient, mock } = await load();
const [SEHATMU, , RFC6749] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer({ rateLimitWindowMs: 1 });
});
after(() => server.close());
beforeEach(() => server.reset());

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, ...options });

/** Every event of each type, as fired. */
function record(tokens) {
  const seen = { token: [], refresh: [], retry: [], error: [] };
  for (const type of Object.keys(seen)) tokens.addEventListener(type, (event) => seen[type].push(event));
  return seen;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("events", () => {
  test("token: once per fetch however many callers share it, with its source and expiry", async () => {
    const tokens = client();
    const seen = record(tokens);
    const all = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.equal(seen.token.length, 1);
    const [event] = seen.token;
    assert.ok(event instanceof Event);
    assert.equal(event.type, "token");
    assert.deepEqual(event.detail, { source: "network", expiresAt: all[0].expiresAt });
    await tokens.getToken();
    assert.equal(seen.token.length, 1, "a cached token fires none");
  });

  test("token from the store says so", async () => {
    const map = new Map();
    const store = { get: (k) => map.get(k), set: (k, v) => void map.set(k, v), delete: (k) => void map.delete(k) };
    await client({ store }).getToken();
    const second = client({ store });
    const seen = record(second);
    const token = await second.getToken();
    assert.deepEqual(seen.token.map((e) => e.detail), [{ source: "store", expiresAt: token.expiresAt }]);
    assert.equal(server.requests.length, 1);
  });

  test("retry: each scheduled retry, numbered, with its delay and code; then error once, for good", async () => {
    server.next({ status: 503, body: "busy" }, { status: 502, body: "down" }, { status: 500, body: "boom" });
    const tokens = client({ retries: 2 });
    const seen = record(tokens);
    const errors = await Promise.all([tokens.getToken(), tokens.getToken()].map((p) => rejection(p)));
    assert.deepEqual(seen.retry.map((e) => [e.detail.attempt, e.detail.code]), [[1, "server_error"], [2, "server_error"]]);
    assert.ok(seen.retry.every((e) => e.detail.delayMs >= 0 && e.detail.delayMs < 500));
    assert.equal(seen.error.length, 1, "once, though two callers shared the failure");
    assert.equal(seen.error[0].detail.error, errors[0]);
    assert.equal(errors[0].code, "server_error");
  });

  test("a local refusal fires none; a listener that throws breaks nothing; removed listeners hear nothing", async () => {
    const tokens = client({ clientSecret: "wrong" });
    const seen = record(tokens);
    const thrower = () => {
      throw new Error("listener bug");
    };
    tokens.addEventListener("error", thrower);
    assert.equal((await rejection(tokens.getToken())).code, "invalid_credentials");
    assert.equal(seen.error.length, 1);
    assert.equal((await rejection(tokens.getToken())).code, "rate_limited");
    assert.equal(seen.error.length, 1, "the local rate_limited fires none");

    const other = client();
    let heard = 0;
    const listener = { handleEvent: () => heard++ };
    other.addEventListener("token", listener);
    other.addEventListener("token", listener); // once only
    other.addEventListener("token", thrower);
    await other.getToken({ forceRefresh: true });
    assert.equal(heard, 1);
    other.removeEventListener("token", listener);
    await other.getToken({ forceRefresh: true });
    assert.equal(heard, 1);
  });

  test("no event carries the secret", async () => {
    const secret = "EVENT-SECRET-canary";
    server.next({ status: 500, body: `echo ${secret}` }, { status: 400, body: { error: "invalid_request", error_description: secret } });
    const tokens = client({ clientSecret: secret, retries: 1 });
    const seen = record(tokens);
    await rejection(tokens.getToken());
    const shown = JSON.stringify([...seen.retry, ...seen.error].map((e) => [e.detail, e.detail.error?.message, e.detail.error?.body]));
    assert.ok(seen.error.length === 1 && seen.retry.length === 1, shown);
    assert.ok(!shown.includes(secret), shown);
  });
});

describe("refresh ahead", () => {
  function manualClock(start = Date.now()) {
    const clock = { t: start, now: () => clock.t };
    return clock;
  }

  test("inside refreshSkewMs the old token comes at once, one refresh runs, then the new one", async () => {
    const clock = manualClock();
    const tokens = client({ ...RFC6749, now: clock.now });
    const seen = record(tokens);
    const first = await tokens.getToken();
    clock.t += 3_600_000 - 30_000;
    server.next({ delayMs: 300 });
    const started = Date.now();
    const served = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.authorizationHeader()]);
    assert.ok(Date.now() - started < 250, "no wait for the refresh");
    assert.equal(served[0].accessToken, first.accessToken);
    assert.equal(served[2], `Bearer ${first.accessToken}`);
    assert.deepEqual(seen.refresh.map((e) => e.detail), [{ expiresAt: first.expiresAt }]);
    while (seen.token.length < 2) await tick();
    const next = await tokens.getToken();
    assert.notEqual(next.accessToken, first.accessToken);
    assert.equal(server.requests.length, 2);
  });

  test("a refresh ahead that fails is tried again by the next call, and the old token still serves", async () => {
    const clock = manualClock();
    const tokens = client({ ...RFC6749, now: clock.now, retries: 0 });
    const seen = record(tokens);
    const first = await tokens.getToken();
    clock.t += 3_600_000 - 30_000;
    server.next({ status: 503, body: "busy" });
    assert.equal((await tokens.getToken()).accessToken, first.accessToken);
    while (seen.error.length < 1) await tick();
    assert.equal((await tokens.getToken()).accessToken, first.accessToken);
    while (seen.token.length < 2) await tick();
    assert.equal(server.requests.length, 3);
    assert.notEqual((await tokens.getToken()).accessToken, first.accessToken);
  });

  test("a refresh ahead keeps no Node process alive after its last call", async () => {
    // The refresh fails, and its retry waits up to 8 s: the process must not wait for it.
    const source = `
      import { createServer } from "node:http";
      import { TokenClient } from ${JSON.stringify(entryPath())};
      let calls = 0;
      const server = createServer((req, res) => {
        calls++;
        if (calls > 1) { res.writeHead(503, { "retry-after": "8" }); return res.end("busy"); }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ access_token: "t" + calls, expires_in: 3600 }));
      });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const clock = { t: Date.now() };
      const tokens = new TokenClient({ clientId: "c", clientSecret: "s", baseUrl: "http://127.0.0.1:" + server.address().port, now: () => clock.t, retries: 3 });
      await tokens.getToken();
      clock.t += 3_600_000 - 30_000;
      let retried = false;
      tokens.addEventListener("retry", () => { retried = true; });
      await tokens.getToken();
      while (!retried) await new Promise((resolve) => setTimeout(resolve, 5));
      server.closeAllConnections();
      server.close();
      console.log("done");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let doneAt;
    child.stdout.on("data", (chunk) => {
      out += chunk;
      doneAt ??= out.includes("done") ? Date.now() : undefined;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, out);
    assert.ok(Date.now() - doneAt < 2_000, `the process waited ${Date.now() - doneAt} ms after its last call`);
  });
});
