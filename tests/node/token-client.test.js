import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, beforeEach, describe, test } from "node:test";

import { load, rejection } from "./helpers.js";

const { TokenClient, isSehatmuError, mock } = await load();
const [SEHATMU, , RFC6749] = mock.DEMO_CLIENTS;

const OUTCOME = (text) => ({
  resourceType: "OperationOutcome",
  issue: [{ severity: "invalid", code: "value", details: { text } }],
});

let server;
before(async () => {
  // The server's own rate limit is short here: these tests are about the client's guard.
  server = await mock.startMockServer({ rateLimitWindowMs: 1 });
});
after(() => server.close());
beforeEach(() => server.reset());

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, ...options });

describe("cache and single flight", () => {
  test("1,000 concurrent calls on a fresh client make one request; 1,000 more make none", async () => {
    const tokens = client();
    const first = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
    assert.equal(server.requests.length, 1);
    assert.ok(first.every((t) => t.accessToken === first[0].accessToken));
    const second = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
    assert.equal(server.requests.length, 1);
    assert.ok(second.every((t) => t.accessToken === first[0].accessToken));
  });

  test("no request while more than refreshSkewMs is left; within it, the old token at once and one refresh", async () => {
    // The RFC 6749 shape counts expires_in from receipt: exact to the millisecond on our clock.
    const clock = manualClock();
    const tokens = client({ ...RFC6749, now: clock.now, refreshSkewMs: 60_000 });
    const first = await tokens.getToken();
    const lifetime = 3_600_000;
    clock.t += lifetime - 60_000 - 1;
    assert.equal((await tokens.getToken()).accessToken, first.accessToken);
    assert.equal(server.requests.length, 1);
    clock.t += 2;
    const refreshed = new Promise((resolve) => tokens.addEventListener("token", resolve));
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    assert.equal(a.accessToken, first.accessToken, "the still-valid token, at once");
    assert.equal(b.accessToken, first.accessToken);
    await refreshed;
    assert.equal(server.requests.length, 2, "one refresh for both");
    const next = await tokens.getToken();
    assert.notEqual(next.accessToken, first.accessToken);
    assert.equal(server.requests.length, 2);
  });

  test("a token past expiry is never returned", async () => {
    const clock = manualClock();
    const tokens = client({ now: clock.now, retries: 0 });
    await tokens.getToken();
    clock.t += 3_600_000 + 1;
    server.next({ status: 503, body: "Service Unavailable" });
    const error = await rejection(tokens.getToken());
    assert.equal(error.code, "server_error");
  });

  test("forceRefresh fetches a new token; authorizationHeader is the bearer header", async () => {
    const tokens = client();
    const first = await tokens.getToken();
    const second = await tokens.getToken({ forceRefresh: true });
    assert.notEqual(first.accessToken, second.accessToken);
    assert.equal(await tokens.authorizationHeader(), `Bearer ${second.accessToken}`);
    assert.equal(server.requests.length, 2);
  });

  test("clear() forgets the token", async () => {
    const tokens = client();
    await tokens.getToken();
    await tokens.clear();
    await tokens.getToken();
    assert.equal(server.requests.length, 2);
  });

  test("one caller's signal ends only its own wait", async () => {
    const tokens = client();
    server.next({ delayMs: 200, shape: "sehatmu" });
    const controller = new AbortController();
    const mine = tokens.getToken({ signal: controller.signal });
    const theirs = tokens.getToken();
    setTimeout(() => controller.abort("not needed"), 20);
    const error = await rejection(mine);
    assert.equal(error.code, "aborted");
    assert.equal(error.cause, "not needed");
    assert.ok((await theirs).accessToken);
    assert.equal(server.requests.length, 1);
  });
});

describe("authorizationHeader({ rejected })", () => {
  test("100 headers that the API turned down share one fresh token; an older header gets the newer one at once", async () => {
    const tokens = client();
    const sent = await tokens.authorizationHeader();
    server.revokeTokens();
    const replays = await Promise.all(Array.from({ length: 100 }, () => tokens.authorizationHeader({ rejected: sent })));
    assert.equal(server.requests.length, 2, "the first token and one replacement");
    assert.deepEqual(new Set(replays), new Set([`Bearer ${(await tokens.getToken()).accessToken}`]));
    assert.notEqual(replays[0], sent);
    // A late 401 of a request sent with the old token: the newer token, nothing fetched.
    assert.equal(await tokens.authorizationHeader({ rejected: sent }), replays[0]);
    // A header that is none of the client's: the client's own, as any call would get it.
    assert.equal(await tokens.authorizationHeader({ rejected: "Bearer someone-else" }), replays[0]);
    assert.equal(server.requests.length, 2);
    // The replacement turned down too: one more, and so on (a caller replays once).
    assert.notEqual(await tokens.authorizationHeader({ rejected: replays[0] }), replays[0]);
    assert.equal(server.requests.length, 3);
  });

  test("its signal ends only this caller's wait; its options are checked", async () => {
    const tokens = client();
    const sent = await tokens.authorizationHeader({});
    server.next({ delayMs: 200, shape: "sehatmu" });
    const controller = new AbortController();
    const mine = tokens.authorizationHeader({ rejected: sent, signal: controller.signal });
    const theirs = tokens.authorizationHeader({ rejected: sent });
    setTimeout(() => controller.abort("not needed"), 20);
    const error = await rejection(mine);
    assert.equal(error.code, "aborted");
    assert.equal(error.cause, "not needed");
    assert.notEqual(await theirs, sent);
    assert.equal(server.requests.length, 2);
    for (const [options, field] of [[{ signal: {} }, "signal"], ["Bearer x", "options"]]) {
      const bad = await rejection(tokens.authorizationHeader(options));
      assert.equal(bad.code, "invalid_argument");
      assert.equal(bad.field, field);
    }
  });

  test("a rejected header during the server's wait rejects rate_limited without a request", async () => {
    const tokens = client({ clientSecret: "wrong", retries: 0 });
    assert.equal((await rejection(tokens.authorizationHeader())).code, "invalid_credentials");
    const error = await rejection(tokens.authorizationHeader({ rejected: "Bearer old" }));
    assert.equal(error.code, "rate_limited");
    assert.equal(error.status, undefined);
    assert.equal(server.requests.length, 1);
  });
});

describe("rate-limit guard", () => {
  test("after a 401 nothing is sent until the wait is over", async () => {
    const clock = manualClock();
    const tokens = client({ clientSecret: "wrong", now: clock.now });
    assert.equal((await rejection(tokens.getToken())).code, "invalid_credentials");
    assert.equal(server.requests.length, 1);
    clock.t += 20_000;
    for (const call of [() => tokens.getToken(), () => tokens.getToken({ forceRefresh: true }), () => tokens.authorizationHeader(), () => tokens.fetch(`${server.url}/fhir/Patient`)]) {
      const error = await rejection(call());
      assert.ok(isSehatmuError(error));
      assert.equal(error.code, "rate_limited");
      assert.equal(error.retryAfterMs, 40_000);
      assert.equal("status" in error, false);
    }
    assert.equal(server.requests.length, 1);
    assert.equal(server.apiRequests.length, 0);
    clock.t += 40_000;
    assert.equal((await rejection(tokens.getToken())).code, "invalid_credentials");
    assert.equal(server.requests.length, 2);
  });

  test("a 429 with Retry-After sets the wait", async () => {
    const clock = manualClock();
    const tokens = client({ now: clock.now });
    server.next({ status: 429, body: OUTCOME(mock.RATE_LIMIT_TEXT), headers: { "retry-after": "5" } });
    const first = await rejection(tokens.getToken());
    assert.equal(first.code, "rate_limited");
    assert.equal(first.status, 429);
    assert.equal(first.retryAfterMs, 5000);
    clock.t += 4000;
    const local = await rejection(tokens.getToken());
    assert.equal(local.code, "rate_limited");
    assert.equal(local.retryAfterMs, 1000);
    assert.equal(server.requests.length, 1);
    clock.t += 1000;
    assert.ok((await tokens.getToken()).accessToken);
    assert.equal(server.requests.length, 2);
  });
});

describe("retries", () => {
  test("server_error twice, then success: three requests", async () => {
    server.next({ status: 500, body: "boom" }, { status: 503, body: "busy" });
    const token = await client().getToken();
    assert.ok(server.tokens.has(token.accessToken));
    assert.equal(server.requests.length, 3);
  });

  test("network_error and timeout are retried, up to `retries`", async () => {
    server.next({ drop: true }, { delayMs: 500 });
    const token = await client({ timeoutMs: 100 }).getToken();
    assert.ok(token.accessToken);
    assert.equal(server.requests.length, 3);
    server.reset();
    server.next({ status: 502, body: "a" }, { status: 502, body: "b" });
    const error = await rejection(client({ retries: 1 }).getToken());
    assert.equal(error.code, "server_error");
    assert.equal(error.body, "b");
    assert.equal(server.requests.length, 2);
  });

  test("a 400 and an invalid_response are never retried", async () => {
    server.next({ status: 400, body: { error: "invalid_request" } });
    assert.equal((await rejection(client().getToken())).code, "request_rejected");
    assert.equal(server.requests.length, 1);
    server.next({ status: 200, body: "not json" });
    assert.equal((await rejection(client().getToken())).code, "invalid_response");
    assert.equal(server.requests.length, 2);
  });

  test("a Retry-After on a 503 is the least delay", async () => {
    server.next({ status: 503, body: "later", headers: { "retry-after": "1" } });
    const started = Date.now();
    await client().getToken();
    assert.ok(Date.now() - started >= 1000);
    assert.equal(server.requests.length, 2);
  });
});

describe("fetch", () => {
  test("adds the bearer token and keeps the caller's headers", async () => {
    const tokens = client();
    const response = await tokens.fetch(`${server.url}/fhir/Patient`, { headers: { "x-trace": "1" } });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).clientId, SEHATMU.clientId);
    assert.equal(server.apiRequests[0].authorization, await tokens.authorizationHeader());
  });

  test("a 401 from the API gets one fresh token and one retry", async () => {
    const tokens = client();
    await tokens.getToken();
    server.revokeTokens();
    const response = await tokens.fetch(new URL(`${server.url}/fhir/Patient`));
    assert.equal(response.status, 200);
    assert.equal(server.requests.length, 2, "one refresh");
    assert.equal(server.apiRequests.length, 2, "one retry");
  });

  test("a body that can't be sent again is not retried", async () => {
    const tokens = client();
    await tokens.getToken();
    server.revokeTokens();
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("x")), c.close()) });
    const response = await tokens.fetch(`${server.url}/fhir/Patient`, { method: "POST", body: stream, duplex: "half" });
    assert.equal(response.status, 401);
    assert.equal(server.apiRequests.length, 1);
    assert.equal(server.requests.length, 1);
  });
});

describe("store", () => {
  function memoryStore() {
    const map = new Map();
    const calls = [];
    return {
      map,
      calls,
      async get(key) {
        calls.push(["get", key]);
        return map.get(key);
      },
      async set(key, token, ttlMs) {
        calls.push(["set", key, ttlMs]);
        map.set(key, token);
      },
      delete(key) {
        calls.push(["delete", key]);
        map.delete(key);
      },
    };
  }

  test("two clients with one store make one request between them", async () => {
    const store = memoryStore();
    const a = await client({ store }).getToken();
    const b = await client({ store }).getToken();
    assert.equal(server.requests.length, 1);
    assert.equal(a.accessToken, b.accessToken);
    const set = store.calls.find(([op]) => op === "set");
    assert.ok(set[2] > 0 && set[2] <= a.expiresAt - Date.now() + 1000, String(set[2]));
    assert.ok(set[1].includes(SEHATMU.clientId) && !set[1].includes(SEHATMU.clientSecret));
    assert.deepEqual(store.map.get(set[1]), a);
  });

  test("clear() deletes the store entry", async () => {
    const store = memoryStore();
    const tokens = client({ store });
    await tokens.getToken();
    await tokens.clear();
    assert.equal(store.map.size, 0);
    assert.equal(store.calls.at(-1)[0], "delete");
  });

  test("a broken entry is ignored and replaced; a throwing store falls back to the network", async () => {
    const store = memoryStore();
    await client({ store }).getToken();
    const [key] = store.map.keys();
    store.map.set(key, { accessToken: "", expiresAt: "soon" });
    const fresh = await client({ store }).getToken();
    assert.ok(server.tokens.has(fresh.accessToken));
    assert.equal(store.map.get(key).accessToken, fresh.accessToken);

    const broken = { get: () => { throw new Error("down"); }, set: async () => { throw new Error("down"); }, delete: () => {} };
    const warnings = [];
    const warn = console.warn;
    console.warn = (message) => warnings.push(message);
    try {
      assert.ok((await client({ store: broken }).getToken()).accessToken);
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 2);
  });
});

describe("a store that never answers", () => {
  test("is given up after the store timeout: the client fetches, and clear() rejects", async () => {
    const never = () => new Promise(() => {});
    const hanging = { get: never, set: never, delete: never, lock: never };
    const warnings = [];
    const warn = console.warn;
    console.warn = (message) => warnings.push(String(message));
    try {
      const started = Date.now();
      const token = await client({ store: hanging, timeoutMs: 300 }).getToken();
      assert.ok(server.tokens.has(token.accessToken));
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
      assert.ok(warnings.some((w) => /get failed/.test(w)) && warnings.some((w) => /lock failed/.test(w)), warnings.join("\n"));
      const error = await rejection(client({ store: hanging, timeoutMs: 300 }).clear());
      assert.match(error.message, /did not answer in time/);
    } finally {
      console.warn = warn;
    }
  });
});

describe("clock skew", () => {
  for (const [label, offset] of [["an hour behind", -3_600_000], ["an hour ahead", 3_600_000]]) {
    test(`a server clock ${label} is measured through its Date header`, async () => {
      const skewed = await mock.startMockServer({ now: () => Date.now() + offset });
      try {
        const clock = manualClock();
        const tokens = new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: skewed.url, now: clock.now });
        const first = await tokens.getToken();
        assert.ok(Math.abs(first.expiresAt - (Date.now() + offset + 3_600_000)) < 5_000, "expiry as the server sent it");
        clock.t += 3_600_000 - 60_000 - 5_000;
        assert.equal((await tokens.getToken()).accessToken, first.accessToken);
        assert.equal(skewed.requests.length, 1);
        clock.t += 10_000;
        // Inside the skew on the server's clock: the old token while one refresh runs.
        const refreshed = new Promise((resolve) => tokens.addEventListener("token", resolve));
        assert.equal((await tokens.getToken()).accessToken, first.accessToken);
        await refreshed;
        assert.notEqual((await tokens.getToken()).accessToken, first.accessToken);
        assert.equal(skewed.requests.length, 2);
      } finally {
        await skewed.close();
      }
    });
  }
});

describe("options and secrecy", () => {
  test("bad options throw invalid_argument from the constructor", () => {
    const good = { clientId: "c", clientSecret: "s" };
    const cases = [
      [undefined, "options"],
      [{ ...good, clientId: 1 }, "clientId"],
      [{ ...good, clientSecret: "" }, "clientSecret"],
      [{ ...good, baseUrl: "http://example.com" }, "baseUrl"],
      [{ ...good, refreshSkewMs: -1 }, "refreshSkewMs"],
      [{ ...good, retries: 1.5 }, "retries"],
      [{ ...good, store: { get() {} } }, "store"],
      [{ ...good, now: 5 }, "now"],
    ];
    for (const [options, field] of cases) {
      assert.throws(() => new TokenClient(options), (e) => isSehatmuError(e) && e.code === "invalid_argument" && e.field === field);
    }
  });

  test("getToken()'s options are checked as getToken(id, secret, options)'s are", async () => {
    for (const signal of [{}, { aborted: false }, 1, "signal"]) {
      const error = await rejection(client().getToken({ signal }));
      assert.ok(isSehatmuError(error), String(error));
      assert.equal(error.code, "invalid_argument");
      assert.equal(error.field, "signal");
    }
    assert.equal(server.requests.length, 0);
  });

  test("a signal is each call's, never the client's: the constructor refuses one", () => {
    const controller = new AbortController();
    assert.throws(
      () => client({ signal: controller.signal }),
      (e) => isSehatmuError(e) && e.code === "invalid_argument" && e.field === "signal" && /getToken\(\{ signal \}\)/.test(e.message),
    );
  });

  test("baseUrl says where the tokens come from", () => {
    assert.equal(client().baseUrl, server.url);
    assert.equal(new TokenClient({ clientId: "c", clientSecret: "s" }).baseUrl, "https://istanbul.muhammadiyah.or.id");
    assert.equal(client({ baseUrl: `${server.url}/api/` }).baseUrl, `${server.url}/api`);
  });

  test("neither util.inspect nor JSON.stringify of a client shows the secret", () => {
    const tokens = new TokenClient({ clientId: "c", clientSecret: "VISIBLE-SECRET-1234" });
    for (const view of [inspect(tokens, { showHidden: true, depth: 5 }), JSON.stringify(tokens), String(tokens)]) {
      assert.ok(!view.includes("VISIBLE-SECRET"), view);
    }
  });

  test("the RFC 6749 shape is cached from the moment it arrived", async () => {
    const clock = manualClock();
    const tokens = new TokenClient({ clientId: RFC6749.clientId, clientSecret: RFC6749.clientSecret, baseUrl: server.url, now: clock.now });
    const first = await tokens.getToken();
    assert.equal(first.expiresAt, clock.t + 3_600_000);
    clock.t += 3_000_000;
    assert.equal((await tokens.getToken()).accessToken, first.accessToken);
    assert.equal(server.requests.length, 1);
  });
});
