// sehatmu-auth/axios, /ky and /undici with the real libraries, against the mock SehatMu server on
// 127.0.0.1: a TokenClient's single flight, its one replay after a 401, and its rate-limit wait,
// through each HTTP client as a user calls it.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, beforeEach, describe, test } from "node:test";

import { assertNoSecret, load, loadAdapters, rejection } from "./helpers.js";

const { TokenClient, isSehatmuError, mock } = await load();
const { attachTokenClient, tokenClientHooks, tokenClientInterceptor, axios, ky, undici } = await loadAdapters();
const [SEHATMU] = mock.DEMO_CLIENTS;
const WRONG_SECRET = "wrong-secret-for-the-adapter-tests";

/** The API's answers to the path that always turns the token down. */
const always401 = [];
let server;
before(async () => {
  server = await mock.startMockServer({
    rateLimitWindowMs: 0,
    fallback: (req, res) => {
      always401.push(req.headers.authorization);
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"resourceType":"OperationOutcome"}');
    },
  });
});
after(() => server.close());
beforeEach(() => {
  server.reset();
  always401.length = 0;
});

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, ...options });

/** An axios or ky call's status as the caller sees it: a 4xx or 5xx is their error with a `response`. */
function reported(call) {
  return call.then(
    (response) => response.status,
    (error) => {
      if (error.response) return { error, status: error.response.status };
      throw error;
    },
  );
}

/** Each adapter: `caller(client)` → `call(url)`, the status the caller sees (a 4xx as it is reported), or its rejection. */
const ADAPTERS = {
  axios(tokens) {
    const api = axios.create();
    attachTokenClient(api, tokens);
    return (url) => reported(api.get(url));
  },
  ky(tokens) {
    const api = ky.create({ hooks: tokenClientHooks(tokens) });
    return (url) => reported(api.get(url));
  },
  undici(tokens) {
    const dispatcher = new undici.Agent().compose(tokenClientInterceptor(tokens));
    return async (url) => {
      const { statusCode, body } = await undici.request(url, { dispatcher });
      await body.dump();
      return statusCode;
    };
  },
};

const statusOf = (result) => (typeof result === "number" ? result : result.status);

/** Asserts that neither the secret nor `token` shows in `error` (message, stack, JSON, inspect). */
function assertNothingSecret(error, secret, token) {
  assertNoSecret(error, secret);
  if (token) assertNoSecret(error, token, `${error?.code ?? error?.name}: the token`);
}

for (const [name, caller] of Object.entries(ADAPTERS)) {
  describe(`sehatmu-auth/${name}`, () => {
    test("100 concurrent calls with an expired token make 1 token request", async () => {
      const clock = { t: Date.now() };
      const tokens = client({ now: () => clock.t });
      const call = caller(tokens);
      const old = await tokens.getToken();
      clock.t = old.expiresAt + 1; // on the client's clock only: the server would still take it
      const statuses = (await Promise.all(Array.from({ length: 100 }, () => call(`${server.url}/fhir/Patient`)))).map(statusOf);
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(server.requests.length, 2, "the first token and one for the 100 calls");
      const header = `Bearer ${(await tokens.getToken()).accessToken}`;
      assert.deepEqual(new Set(server.apiRequests.map((r) => r.authorization)), new Set([header]));
    });

    test("a 401 from the API: 1 token request for all concurrent 401s, 1 replay per call", async () => {
      const tokens = client();
      const call = caller(tokens);
      await tokens.getToken();
      server.revokeTokens();
      const statuses = (await Promise.all(Array.from({ length: 100 }, () => call(`${server.url}/fhir/Patient`)))).map(statusOf);
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(server.requests.length, 2, "one replacement for the 100");
      assert.equal(server.apiRequests.length, 200, "each call sent twice");
    });

    test("a second 401 reaches the caller, and nothing more is fetched", async () => {
      const tokens = client();
      const call = caller(tokens);
      const first = (await tokens.getToken()).accessToken;
      const results = await Promise.all(Array.from({ length: 20 }, () => call(`${server.url}/always-401`)));
      assert.deepEqual(new Set(results.map(statusOf)), new Set([401]));
      assert.equal(always401.length, 40, "each call replayed once");
      assert.equal(server.requests.length, 2, "the first token and one replacement for the 20");
      const second = (await tokens.getToken()).accessToken;
      assert.deepEqual(new Set(always401), new Set([`Bearer ${first}`, `Bearer ${second}`]));
      for (const { error } of results.filter((r) => typeof r === "object")) {
        // The library's own error (axios's AxiosError, ky's HTTPError): no view of it, its
        // config, request and JSON form included, carries the secret or a token.
        for (const secret of [SEHATMU.clientSecret, first, second]) assertNoSecret(error, secret, `${name}: a token or the secret`);
      }
    });

    test("a wrong secret: 1 token request, then every call rejects rate_limited without one", async () => {
      const tokens = client({ clientSecret: WRONG_SECRET });
      const call = caller(tokens);
      const first = await Promise.allSettled(Array.from({ length: 20 }, () => call(`${server.url}/fhir/Patient`)));
      const then = await Promise.allSettled(Array.from({ length: 20 }, () => call(`${server.url}/fhir/Patient`)));
      assert.equal(server.requests.length, 1);
      assert.equal(server.apiRequests.length, 0);
      for (const outcome of [...first, ...then]) {
        assert.equal(outcome.status, "rejected");
        assert.ok(isSehatmuError(outcome.reason), inspect(outcome.reason));
        assertNothingSecret(outcome.reason, WRONG_SECRET);
      }
      assert.ok(first.every((o) => ["invalid_credentials", "rate_limited"].includes(o.reason.code)));
      assert.deepEqual(new Set(then.map((o) => o.reason.code)), new Set(["rate_limited"]));
      assert.ok(then.every((o) => o.reason.status === undefined && o.reason.retryAfterMs > 0));
    });

    test("a token failure while replaying rejects with the SehatmuError, the token in no error", async () => {
      const tokens = client();
      const call = caller(tokens);
      const token = (await tokens.getToken()).accessToken;
      server.revokeTokens();
      server.next({ status: 401, body: { error: "invalid_client" } });
      const error = await rejection(call(`${server.url}/fhir/Patient`));
      assert.ok(isSehatmuError(error), inspect(error));
      assert.equal(error.code, "invalid_credentials");
      assertNothingSecret(error, SEHATMU.clientSecret, token);
    });
  });
}

describe("what the adapters take", () => {
  test("each refuses a client that is not a TokenClient with invalid_argument", () => {
    for (const make of [() => attachTokenClient(axios.create(), {}), () => tokenClientHooks(null), () => tokenClientInterceptor("x")]) {
      assert.throws(make, (error) => isSehatmuError(error) && error.code === "invalid_argument" && error.field === "client");
    }
    assert.throws(() => attachTokenClient({}, client()), (error) => error.field === "instance");
  });

  test("the token client's Authorization replaces the caller's own; detach() ejects both interceptors", async () => {
    const tokens = client();
    const api = axios.create();
    const detach = attachTokenClient(api, tokens);
    await api.get(`${server.url}/fhir/Patient`, { headers: { Authorization: "Bearer mine" } });
    await ky.get(`${server.url}/fhir/Patient`, { headers: { authorization: "Bearer mine" }, hooks: tokenClientHooks(tokens) });
    const dispatcher = new undici.Agent().compose(tokenClientInterceptor(tokens));
    await (await undici.request(`${server.url}/fhir/Patient`, { dispatcher, headers: { Authorization: "Bearer mine" } })).body.dump();
    const header = await tokens.authorizationHeader();
    assert.deepEqual(server.apiRequests.map((r) => r.authorization), [header, header, header]);
    detach();
    const error = await rejection(api.get(`${server.url}/fhir/Patient`));
    assert.equal(error.response.status, 401);
    assert.equal(server.apiRequests.length, 4, "no header, no replay");
  });

  test("undici: a stream body's 401 goes to the caller as it is; a string body is replayed", async () => {
    const tokens = client();
    const dispatcher = new undici.Agent().compose(tokenClientInterceptor(tokens));
    await tokens.getToken();
    server.revokeTokens();
    const { Readable } = await import("node:stream");
    const streamed = await undici.request(`${server.url}/fhir/Patient`, { dispatcher, method: "POST", body: Readable.from(["x"]) });
    await streamed.body.dump();
    assert.equal(streamed.statusCode, 401);
    assert.equal(server.requests.length, 1, "no token request for it");
    const replayed = await undici.request(`${server.url}/fhir/Patient`, { dispatcher, method: "POST", body: "x" });
    await replayed.body.dump();
    assert.equal(replayed.statusCode, 200);
    assert.equal(server.apiRequests.length, 3);
  });
});
