// Never more token requests than needed: a burst of 401s after a revocation refreshes the token
// once (through TokenClient.fetch and through sehatmu-auth/proxy), a token that lives less than
// refreshSkewMs is used for half its life, and a fetch's signal ends its wait for a token. The
// mock SehatMu server and a stand-in API, both on 127.0.0.1, started here.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";

import { load, loadProxy, rejection } from "./helpers.js";

const { TokenClient, mock } = await load();
const { createProxy, toNodeListener } = await loadProxy();
const [SEHATMU, , RFC6749] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer({ rateLimitWindowMs: 0 });
});
after(() => server.close());
beforeEach(() => server.reset());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `handler` on an HTTP server on 127.0.0.1 and a free port: its URL and `close`. */
async function listen(handler) {
  const http = createServer(handler);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    close: () => new Promise((resolve) => (http.closeAllConnections(), http.close(resolve))),
  };
}

/**
 * A stand-in for the SehatMu API: 200 at once for a live token of the mock server, 401 for any
 * other. The 401s are held until `burst` of them have come (or 2 s have passed), then sent
 * spread evenly over `spreadMs`: every call of a burst is sent with the revoked token, and the
 * client sees their 401s arrive over that time.
 */
async function startApi(spreadMs, burst = 100) {
  const seen = { ok: 0, rejected: 0 };
  const held = [];
  const answer = (res, status) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ status }));
  };
  const release = () => held.splice(0).forEach((res, i, all) => setTimeout(answer, (spreadMs * i) / Math.max(1, all.length - 1), res, 401));
  let deadline;
  const http = await listen((req, res) => {
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (server.tokens.has(token)) {
      seen.ok++;
      return answer(res, 200);
    }
    seen.rejected++;
    held.push(res);
    deadline ??= setTimeout(release, 2_000);
    if (held.length === burst) clearTimeout(deadline), release();
  });
  return {
    ...http,
    seen,
    close: () => (clearTimeout(deadline), http.close()),
  };
}

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, ...options });

describe("a burst of 401s after a revocation refreshes once", () => {
  for (const spreadMs of [0, 100, 400]) {
    test(`100 concurrent TokenClient.fetch calls, the 401s over ${spreadMs} ms: one token request, every call 200`, async () => {
      const api = await startApi(spreadMs);
      const { url, close } = api;
      try {
        const tokens = client();
        await tokens.getToken();
        server.revokeTokens();
        const before = server.requests.length;
        const responses = await Promise.all(Array.from({ length: 100 }, () => tokens.fetch(`${url}/fhir/Patient`)));
        assert.equal(server.requests.length - before, 1, "one new token request");
        assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
        assert.deepEqual(api.seen, { ok: 100, rejected: 100 }, "each call replayed once");
      } finally {
        await close();
      }
    });
  }

  test("100 concurrent calls through sehatmu-auth/proxy, the 401s over 400 ms: one token request, every call 200", async () => {
    const api = await startApi(400);
    const tokens = client();
    const proxy = await listen(toNodeListener(createProxy({ client: tokens, authorize: () => true, upstream: api.url })));
    try {
      await tokens.getToken();
      server.revokeTokens();
      const before = server.requests.length;
      const responses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${proxy.url}/fhir/Patient`)));
      assert.equal(server.requests.length - before, 1, "one new token request");
      assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
      assert.deepEqual(api.seen, { ok: 100, rejected: 100 }, "each call replayed once");
    } finally {
      await proxy.close();
      await api.close();
    }
  });

  test("a call that the API rejects with the new token too gets that second 401, and nothing more is fetched", async () => {
    const { url, close } = await listen((req, res) => {
      res.writeHead(401);
      res.end();
    });
    try {
      const tokens = client();
      await tokens.getToken();
      const responses = await Promise.all(Array.from({ length: 20 }, () => tokens.fetch(url)));
      assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([401]));
      assert.equal(server.requests.length, 2, "the first token and one replacement for all 20 calls");
    } finally {
      await close();
    }
  });

  test("a call sent with a token that the client has replaced since is replayed with the newer one, fetching nothing", async () => {
    const tokens = client();
    const old = await tokens.getToken();
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const { url, close } = await listen(async (req, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      if (token === old.accessToken) await held; // answered only once a newer token is in use
      res.writeHead(token === old.accessToken ? 401 : 200);
      res.end();
    });
    try {
      const pending = tokens.fetch(url);
      await sleep(50);
      const newer = await tokens.getToken({ forceRefresh: true });
      release();
      assert.equal((await pending).status, 200);
      assert.equal(server.requests.length, 2, "the first token and the forced one, no third");
      assert.equal((await tokens.getToken()).accessToken, newer.accessToken);
    } finally {
      await close();
    }
  });
});

describe("a token that lives less than refreshSkewMs", () => {
  test("30 s tokens asked for 40 times over 2 s: one token request", async () => {
    const shortLived = await mock.startMockServer({ tokenLifetimeSec: 30 });
    try {
      const tokens = client({ baseUrl: shortLived.url });
      const seen = new Set();
      for (let i = 0; i < 40; i++) {
        seen.add((await tokens.getToken()).accessToken);
        await sleep(50);
      }
      assert.equal(shortLived.requests.length, 1);
      assert.equal(seen.size, 1);
    } finally {
      await shortLived.close();
    }
  });

  test("5 s tokens: served for half their life, then refreshed ahead once, on the client's clock", async () => {
    const shortLived = await mock.startMockServer({ tokenLifetimeSec: 5 });
    try {
      // The RFC 6749 shape counts expires_in from receipt: exact to the millisecond on this clock.
      const clock = { t: Date.now() };
      const tokens = client({ ...RFC6749, baseUrl: shortLived.url, now: () => clock.t });
      const first = await tokens.getToken();
      for (; clock.t - first.expiresAt < -2_501; clock.t += 100) {
        await tokens.getToken();
        await sleep(5); // time for a refresh, had one started, to reach the server
      }
      assert.equal(shortLived.requests.length, 1, "none in the first half");
      clock.t = first.expiresAt - 2_499;
      const refreshed = new Promise((resolve) => tokens.addEventListener("token", resolve));
      assert.equal((await tokens.getToken()).accessToken, first.accessToken, "the valid token at once");
      await refreshed;
      assert.equal(shortLived.requests.length, 2, "one refresh ahead");
      assert.notEqual((await tokens.getToken()).accessToken, first.accessToken);
    } finally {
      await shortLived.close();
    }
  });
});

describe("TokenClient.fetch's signal", () => {
  test("AbortSignal.timeout(200) ends the call's wait for a 5 s token request; another caller's wait goes on", async () => {
    server.next({ delayMs: 5_000 });
    const tokens = client();
    const started = Date.now();
    const other = tokens.getToken();
    const error = await rejection(tokens.fetch(`${server.url}/fhir/Patient`, { signal: AbortSignal.timeout(200) }));
    const waited = Date.now() - started;
    assert.equal(error.name, "TimeoutError", "the signal's reason, as fetch rejects");
    assert.ok(waited >= 190 && waited < 1_000, `rejected after ${waited} ms`);
    const token = await other;
    assert.ok(Date.now() - started >= 4_900, "the other caller waited for the token");
    assert.ok(server.tokens.has(token.accessToken));
    assert.equal(server.requests.length, 1);
    assert.equal(server.apiRequests.length, 0, "the aborted call sent nothing");
  });

  test("a Request's own signal, and init.signal over it: the wait ends with the signal's reason", async () => {
    const tokens = client();
    for (const signalOf of [
      (reason) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(reason), 50);
        return { input: new Request(`${server.url}/fhir/Patient`, { signal: controller.signal }) };
      },
      (reason) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(reason), 50);
        const input = new Request(`${server.url}/fhir/Patient`, { signal: AbortSignal.timeout(10_000) });
        return { input, init: { signal: controller.signal } };
      },
    ]) {
      server.next({ delayMs: 1_000 });
      await tokens.clear();
      const reason = new Error("the caller left");
      const { input, init } = signalOf(reason);
      const started = Date.now();
      const error = await rejection(tokens.fetch(input, init));
      assert.equal(error, reason);
      assert.ok(Date.now() - started < 800, `rejected after ${Date.now() - started} ms`);
    }
    assert.equal(server.apiRequests.length, 0);
  });

  test("a signal that has already aborted rejects with its reason, a cached token or not", async () => {
    const tokens = client();
    const signal = AbortSignal.abort(new Error("gone"));
    assert.equal((await rejection(tokens.fetch(`${server.url}/fhir/Patient`, { signal }))).message, "gone");
    await tokens.getToken();
    assert.equal((await rejection(tokens.fetch(`${server.url}/fhir/Patient`, { signal }))).message, "gone");
    assert.equal(server.apiRequests.length, 0);
  });
});
