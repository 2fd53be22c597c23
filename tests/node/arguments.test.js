// Bad arguments from JS, for every parameter and option: invalid_argument (or, for strings,
// the exact value sent, correctly encoded), never a wasm trap.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { load, rejection } from "./helpers.js";

const { getToken, TokenClient, isSehatmuError, mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer({ rateLimitWindowMs: 0 });
});
after(() => server.close());

const LONG = "x".repeat(1_000_000);
const STRANGE_STRINGS = [LONG, "nul\0inside", "ñoño 😀 ümlaut ĳ", " leading and trailing ", "+&=%#?/"];
const NOT_STRINGS = [undefined, null, 0, 42, NaN, true, {}, [], () => "x", Symbol("x"), 10n, new String("boxed")];
const throwingOptions = new Proxy({}, { get: () => { throw new Error("no"); } });

async function stillWorks() {
  const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: server.url });
  assert.ok(server.tokens.has(token.accessToken));
}

async function expectInvalid(args, field) {
  const error = await rejection(getToken(...args));
  assert.ok(isSehatmuError(error), String(error));
  assert.equal(error.code, "invalid_argument", `${field}: ${error.message}`);
  assert.equal(error.field, field);
}

test("credentials that are not strings, or empty, are invalid_argument", async () => {
  for (const value of [...NOT_STRINGS, "", "lone \udc00 surrogate"]) {
    await expectInvalid([value, "s", { baseUrl: server.url }], "clientId");
    await expectInvalid(["c", value, { baseUrl: server.url }], "clientSecret");
  }
  assert.equal(server.requests.length, 0);
  await stillWorks();
});

test("unusual strings are sent exactly, form-encoded", async () => {
  for (const value of STRANGE_STRINGS) {
    server.reset();
    const error = await rejection(getToken(value, value, { baseUrl: server.url }));
    assert.equal(error.code, "invalid_credentials");
    assert.equal(server.requests[0].form.client_id, value);
    assert.equal(server.requests[0].form.client_secret, value);
  }
  await stillWorks();
});

test("options of the wrong kind are invalid_argument, naming the option", async () => {
  server.reset();
  const cases = [];
  for (const value of [0, 42, true, "https://x", Symbol("x"), 10n]) cases.push([value, "options"]);
  cases.push([throwingOptions, "timeoutMs"]);
  for (const value of [null, 0, {}, [], true, "", "relative", "http://[::1", LONG, "javascript:alert(1)", "data:,x", Symbol("x"), new URL("https://example.com")]) {
    cases.push([{ baseUrl: value }, "baseUrl"]);
  }
  for (const value of [null, "10", {}, [], true, NaN, -1, Infinity, -Infinity, 2 ** 31, 10n]) cases.push([{ timeoutMs: value }, "timeoutMs"]);
  for (const value of [0, "signal", {}, { aborted: false }, true, 10n]) cases.push([{ signal: value }, "signal"]);
  for (const [options, field] of cases) await expectInvalid(["c", "s", options], field);
  assert.equal(server.requests.length, 0);
  await stillWorks();
});

test("values at the edges that are valid work", async () => {
  for (const options of [undefined, null, {}, { timeoutMs: 0 }, { timeoutMs: 2 ** 31 - 1 }, { signal: null }, { timeoutMs: 0.5 }]) {
    const error = await rejection(getToken("c", "s", options === undefined || options === null ? options : { baseUrl: server.url, ...options }));
    assert.ok(isSehatmuError(error));
    assert.notEqual(error.code, "invalid_argument", JSON.stringify(options));
  }
  const longPath = await rejection(getToken("c", "s", { baseUrl: `${server.url}/${"p".repeat(100_000)}` }));
  assert.ok(isSehatmuError(longPath) && longPath.code !== "invalid_argument", longPath.code);
  await stillWorks();
});

test("TokenClient options and method arguments of the wrong kind never trap", async () => {
  for (const value of NOT_STRINGS) {
    assert.throws(() => new TokenClient({ clientId: value, clientSecret: "s" }), (e) => e.code === "invalid_argument");
    assert.throws(() => new TokenClient(value), (e) => e.code === "invalid_argument");
  }
  const client = new TokenClient({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, baseUrl: server.url });
  for (const value of [...NOT_STRINGS, throwingOptions]) {
    const token = await client.getToken(value).catch((e) => e);
    assert.ok(token.accessToken || isSehatmuError(token), String(token));
  }
  await stillWorks();
});
