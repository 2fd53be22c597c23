import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { closedPort, load, rejection } from "./helpers.js";

const { getToken, isSehatmuError, init, mock } = await load();
const [SEHATMU, SATUSEHAT, RFC6749] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer();
});
after(() => server.close());
beforeEach(() => server.reset());

const get = (client = SEHATMU, options = {}) =>
  getToken(client.clientId, client.clientSecret, { baseUrl: server.url, ...options });

/** Asserts a SehatmuError with `code` and exactly the `fields` given (besides message/name/stack). */
function assertError(error, code, fields = {}) {
  assert.ok(error instanceof Error, "an Error instance");
  assert.equal(error.name, "SehatmuError");
  assert.equal(error.code, code, error.message);
  assert.ok(isSehatmuError(error));
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "function") value(error[key], key);
    else assert.deepEqual(error[key], value, key);
  }
}

/** After an error the module must still work: a real token from the same module. */
async function assertStillWorks() {
  server.reset();
  const token = await get();
  assert.ok(server.tokens.has(token.accessToken));
}

describe("success shapes", () => {
  test("camelCase SehatMu body", async () => {
    const token = await get(SEHATMU);
    const raw = token.raw;
    assert.ok(server.tokens.has(token.accessToken));
    assert.equal(token.tokenType, "Bearer");
    assert.equal(token.accessTokenExpiresAt, raw.accessTokenExpiresAt);
    assert.equal(token.expiresAt, Date.parse(raw.accessTokenExpiresAt));
    assert.equal(token.expiresAt, server.tokens.get(token.accessToken).expiresAt);
    assert.equal(token.clientId, SEHATMU.clientId);
    assert.deepEqual(token.client, { name: SEHATMU.name, email: SEHATMU.email });
    assert.equal(token.userId, raw.userId);
    assert.deepEqual(token.user, raw.user);
    assert.deepEqual(Object.keys(raw).sort(), ["accessToken", "accessTokenExpiresAt", "client", "clientId", "user", "userId"]);
  });

  test("snake_case SATUSEHAT body: expires_in string counted from issued_at in ms", async () => {
    const token = await get(SATUSEHAT);
    const raw = token.raw;
    assert.equal(raw.token_type, "BearerToken");
    assert.equal(typeof raw.expires_in, "string");
    assert.equal(token.accessToken, raw.access_token);
    assert.equal(token.tokenType, "Bearer");
    assert.equal(token.expiresAt, Number(raw.issued_at) + Number(raw.expires_in) * 1000);
    assert.equal(token.accessTokenExpiresAt, new Date(token.expiresAt).toISOString());
    assert.equal(token.clientId, SATUSEHAT.clientId);
    assert.deepEqual(token.client, { email: SATUSEHAT.email });
    assert.equal(token.user, undefined);
  });

  test("plain RFC 6749 body: expires_in counted from receipt", async () => {
    const before = Date.now();
    const token = await get(RFC6749);
    const after = Date.now();
    assert.deepEqual(Object.keys(token.raw).sort(), ["access_token", "expires_in", "token_type"]);
    assert.equal(token.tokenType, "Bearer");
    assert.ok(token.expiresAt >= before + 3_600_000 && token.expiresAt <= after + 3_600_000);
    assert.equal(token.accessTokenExpiresAt, new Date(token.expiresAt).toISOString());
    assert.equal("clientId" in token, false);
    assert.equal("client" in token, false);
  });

  test("a numeric token becomes its decimal string; raw keeps the number", async () => {
    server.next({ status: 200, body: { accessToken: 718191, expires_in: 60 } });
    const token = await get();
    assert.equal(token.accessToken, "718191");
    assert.equal(token.raw.accessToken, 718191);
  });

  test("results are plain objects that JSON round-trips", async () => {
    for (const client of [SEHATMU, SATUSEHAT, RFC6749]) {
      const token = await get(client);
      assert.equal(Object.getPrototypeOf(token), Object.prototype);
      assert.deepEqual(JSON.parse(JSON.stringify(token)), token);
    }
  });

  test("init() is optional and idempotent", async () => {
    await init();
    await init();
    assert.ok((await get()).accessToken);
  });
});

describe("the request", () => {
  test("is exactly the documented one", async () => {
    await get(SEHATMU);
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/oauth/token");
    assert.deepEqual(request.query, { grant_type: "client_credentials" });
    assert.equal(request.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(request.headers.accept, "application/json");
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers.cookie, undefined);
    assert.deepEqual(request.form, {
      client_id: SEHATMU.clientId,
      client_secret: SEHATMU.clientSecret,
      grant_type: "client_credentials",
    });
    assert.equal(
      request.body,
      `client_id=${SEHATMU.clientId}&client_secret=${SEHATMU.clientSecret}&grant_type=client_credentials`,
    );
  });

  test("form-encodes credentials and never puts the secret in the URL or headers", async () => {
    const secret = "p@ss w=rd&x+é/%";
    server.next({ status: 200, body: { access_token: "t", expires_in: 60 } });
    await getToken("id with space", secret, { baseUrl: server.url });
    const [request] = server.requests;
    assert.deepEqual(request.form, { client_id: "id with space", client_secret: secret, grant_type: "client_credentials" });
    assert.ok(request.body.includes("client_secret=p%40ss+w%3Drd%26x%2B%C3%A9%2F%25"));
    const visible = JSON.stringify([request.path, request.query, request.headers]);
    assert.ok(!visible.includes("p@ss") && !visible.includes("p%40ss"));
  });

  test("a base URL with a path and trailing slash, and 127.x shorthand, reach the endpoint", async () => {
    for (const baseUrl of [`${server.url}/`, `http://127.1:${server.port}`]) {
      server.reset();
      await getToken(SEHATMU.clientId, SEHATMU.clientSecret, { baseUrl });
      assert.equal(server.requests[0].path, "/oauth/token");
    }
    server.next({ status: 200, body: { access_token: "t", expires_in: 60 } });
    await getToken("a", "b", { baseUrl: `${server.url}/api/` }).catch(() => {});
    assert.equal(server.requests.at(-1).path, "/api/oauth/token");
  });
});

describe("errors", () => {
  test("getToken never throws synchronously", () => {
    const promise = getToken(undefined, undefined, 42);
    assert.ok(promise instanceof Promise);
    return promise.catch(() => {});
  });

  const badArguments = [
    ["clientId", [undefined, "s"]],
    ["clientId", [null, "s"]],
    ["clientId", [42, "s"]],
    ["clientId", [{}, "s"]],
    ["clientId", ["", "s"]],
    ["clientSecret", ["c", undefined]],
    ["clientSecret", ["c", null]],
    ["clientSecret", ["c", 7]],
    ["clientSecret", ["c", ["s"]]],
    ["clientSecret", ["c", ""]],
    ["clientSecret", ["c", "lone \ud800 surrogate"]],
    ["options", ["c", "s", 42]],
    ["options", ["c", "s", "https://x"]],
    ["baseUrl", ["c", "s", { baseUrl: "http://example.com" }]],
    ["baseUrl", ["c", "s", { baseUrl: "http://localhost.example.com" }]],
    ["baseUrl", ["c", "s", { baseUrl: "http://127.0.0.1.nip.io" }]],
    ["baseUrl", ["c", "s", { baseUrl: "/relative" }]],
    ["baseUrl", ["c", "s", { baseUrl: "istanbul.muhammadiyah.or.id" }]],
    ["baseUrl", ["c", "s", { baseUrl: "ftp://example.com" }]],
    ["baseUrl", ["c", "s", { baseUrl: "https://user:pw@example.com" }]],
    ["baseUrl", ["c", "s", { baseUrl: "https://example.com/?a=1" }]],
    ["baseUrl", ["c", "s", { baseUrl: 42 }]],
    ["baseUrl", ["c", "s", { baseUrl: null }]],
    ["timeoutMs", ["c", "s", { timeoutMs: NaN }]],
    ["timeoutMs", ["c", "s", { timeoutMs: Infinity }]],
    ["timeoutMs", ["c", "s", { timeoutMs: -1 }]],
    ["timeoutMs", ["c", "s", { timeoutMs: "100" }]],
    ["timeoutMs", ["c", "s", { timeoutMs: 2 ** 31 }]],
    ["signal", ["c", "s", { signal: {} }]],
    ["signal", ["c", "s", { signal: "abort" }]],
  ];
  for (const [field, args] of badArguments) {
    test(`invalid_argument: ${field} ${JSON.stringify(args.slice(0, 2).concat(args[2] ?? []))}`, async () => {
      const error = await rejection(getToken(...args));
      assertError(error, "invalid_argument", { field, status: undefined });
      assert.equal(server.requests.length, 0, "no network I/O");
    });
  }

  test("plain http is accepted for loopback hosts", async () => {
    for (const host of ["localhost", "127.0.0.1", "127.9.8.7", "[::1]"]) {
      const error = await rejection(getToken("c", "s", { baseUrl: `http://${host}:${await closedPort()}`, timeoutMs: 5000 }));
      assert.notEqual(error.code, "invalid_argument", host);
    }
  });

  test("invalid_credentials: 401 OperationOutcome with its issues", async () => {
    const error = await rejection(get({ ...SEHATMU, clientSecret: "wrong" }));
    assertError(error, "invalid_credentials", {
      status: 401,
      issues: [{ severity: "invalid", code: "value", details: { text: mock.UNAUTHENTICATED_TEXT } }],
      body: undefined,
    });
    assert.ok(error.message.includes(mock.UNAUTHENTICATED_TEXT), error.message);
    await assertStillWorks();
  });

  test("invalid_credentials: 400 with OAuth invalid_client", async () => {
    server.next({ status: 400, body: { error: "invalid_client", error_description: "Unknown client" } });
    const error = await rejection(get());
    assertError(error, "invalid_credentials", { status: 400, oauthError: "invalid_client" });
    assert.ok(error.message.includes("Unknown client"), error.message);
    await assertStillWorks();
  });

  test("rate_limited: a second attempt within the window, with Retry-After", async () => {
    await rejection(get({ ...SEHATMU, clientSecret: "wrong" }));
    const error = await rejection(get());
    assertError(error, "rate_limited", {
      status: 429,
      issues: [{ severity: "invalid", code: "throttled", details: { text: mock.RATE_LIMIT_TEXT } }],
      retryAfterMs: (ms) => assert.ok(ms > 0 && ms <= 60_000, String(ms)),
    });
    assert.ok(error.message.includes("rate limit policy"), error.message);
    await assertStillWorks();
  });

  test("rate_limited: the documented text on a 401 without Retry-After waits one minute", async () => {
    server.next({
      status: 401,
      body: { resourceType: "OperationOutcome", issue: [{ severity: "invalid", code: "value", details: { text: mock.RATE_LIMIT_TEXT } }] },
    });
    const error = await rejection(get());
    assertError(error, "rate_limited", { status: 401, retryAfterMs: 60_000 });
    await assertStillWorks();
  });

  test("request_rejected: other 4xx keep status, body and the server's words", async () => {
    const html = "<html><body><h1>403 Forbidden</h1></body></html>";
    server.next({ status: 403, body: html, headers: { "content-type": "text/html" } });
    let error = await rejection(get());
    assertError(error, "request_rejected", { status: 403, body: html });
    assert.ok(error.message.includes("403 Forbidden"));
    server.next({ status: 400, body: { error: "unsupported_grant_type", error_description: "No such grant" } });
    error = await rejection(get());
    assertError(error, "request_rejected", { status: 400, oauthError: "unsupported_grant_type" });
    assert.ok(error.message.includes("No such grant"), error.message);
    await assertStillWorks();
  });

  test("server_error: 5xx text/plain", async () => {
    server.next({ status: 504, body: "Gateway Timeout" });
    const error = await rejection(get());
    assertError(error, "server_error", { status: 504, body: "Gateway Timeout", retryAfterMs: undefined });
    assert.ok(error.message.includes("Gateway Timeout"));
    server.next({ status: 500, body: "x".repeat(10_000) });
    assert.equal((await rejection(get())).body.length, 2048);
    await assertStillWorks();
  });

  test("network_error: connection refused and connection dropped", async () => {
    const refused = await rejection(getToken("c", "s", { baseUrl: `http://127.0.0.1:${await closedPort()}` }));
    assertError(refused, "network_error", { status: undefined, cause: (c) => assert.ok(c instanceof Error) });
    server.next({ drop: true });
    assertError(await rejection(get()), "network_error");
    await assertStillWorks();
  });

  test("timeout: the whole exchange, at timeoutMs", async () => {
    server.next({ delayMs: 2000 });
    const started = Date.now();
    const error = await rejection(get(SEHATMU, { timeoutMs: 100 }));
    assertError(error, "timeout", { timeoutMs: 100, status: undefined });
    assert.ok(Date.now() - started < 1500);
    await assertStillWorks();
  });

  test("aborted: before the call and during it, with the signal's reason as cause", async () => {
    const early = AbortSignal.abort(new Error("changed my mind"));
    const error = await rejection(get(SEHATMU, { signal: early }));
    assertError(error, "aborted", { cause: early.reason });
    assert.equal(server.requests.length, 0);

    const controller = new AbortController();
    server.next({ delayMs: 2000 });
    const pending = get(SEHATMU, { signal: controller.signal });
    setTimeout(() => controller.abort("user left"), 50);
    assertError(await rejection(pending), "aborted", { cause: "user left" });
    await assertStillWorks();
  });

  test("invalid_response: 2xx without a usable token", async () => {
    const cases = [
      "not json",
      "",
      "[1,2]",
      { accessToken: "", expires_in: 60 },
      { accessToken: "t" },
      { accessToken: "t", accessTokenExpiresAt: "2001-01-01T00:00:00Z" },
    ];
    for (const body of cases) {
      server.next({ status: 200, body });
      const error = await rejection(get());
      assertError(error, "invalid_response", { status: 200, body: typeof body === "string" ? body : JSON.stringify(body) });
    }
    server.next({ status: 302, body: "", headers: { location: `${server.url}/elsewhere` } });
    assertError(await rejection(get()), "invalid_response", { status: 302 });
    await assertStillWorks();
  });

  test("isSehatmuError is false for look-alikes", async () => {
    const fake = Object.assign(new Error("x"), { code: "timeout", name: "SehatmuError" });
    for (const value of [fake, new Error("x"), null, undefined, "SehatmuError", { code: "timeout" }]) {
      assert.equal(isSehatmuError(value), false);
    }
    assert.equal(isSehatmuError(await rejection(getToken("", ""))), true);
  });
});
