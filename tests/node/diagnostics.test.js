// The package's diagnostics_channel channels (docs/diagnostics.md), as a subscriber sees them.
import assert from "node:assert/strict";
import dc from "node:diagnostics_channel";
import { inspect } from "node:util";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";

import { load, rejection } from "./helpers.js";

const { TokenClient, TokenClients, getToken, mock } = await load();
const [SEHATMU, SATUSEHAT] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer();
});
after(() => server.close());
beforeEach(() => server.reset());

const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"];
const tracing = dc.tracingChannel("sehatmu-auth:token-request");

/** Every message of every channel, in order: `[channel or TracingChannel event, message]`. */
let seen;
let handlers;
beforeEach(() => {
  seen = [];
  handlers = {
    tracing: Object.fromEntries(EVENTS.map((event) => [event, (message) => seen.push([event, message])])),
    cached: (message) => seen.push(["token-cached", message]),
    retry: (message) => seen.push(["retry", message]),
    refused: (message) => seen.push(["refused", message]),
  };
  tracing.subscribe(handlers.tracing);
  for (const name of ["cached", "retry", "refused"]) dc.subscribe(channelName(name), handlers[name]);
});
afterEach(() => {
  tracing.unsubscribe(handlers.tracing);
  for (const name of ["cached", "retry", "refused"]) dc.unsubscribe(channelName(name), handlers[name]);
});

function channelName(name) {
  return name === "cached" ? "sehatmu-auth:token-cached" : `sehatmu-auth:${name}`;
}

/** The messages of `name`. */
const of = (name) => seen.filter(([event]) => event === name).map(([, message]) => message);

const tokenUrl = () => `${server.url}/oauth/token?grant_type=client_credentials`;

const client = (options = {}) =>
  new TokenClient({ clientId: SEHATMU.clientId, clientSecret: SEHATMU.clientSecret, baseUrl: server.url, retries: 0, ...options });

/** Neither a secret nor a token shows in any message (its JSON and its inspection). */
function assertClean(secrets, tokens) {
  for (const [event, message] of seen) {
    for (const view of [JSON.stringify(message), inspect(message, { depth: 10, showHidden: true })]) {
      for (const secret of secrets) assert.ok(!view.includes(secret), `${event}: the secret shows in ${view}`);
      for (const token of tokens) assert.ok(!view.includes(token), `${event}: a token shows in ${view}`);
    }
  }
}

describe("sehatmu-auth:token-request", () => {
  test("once per request however many callers share it: start, end, asyncStart, asyncEnd with the status", async () => {
    const tokens = client();
    const all = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.equal(server.requests.length, 1);
    assert.deepEqual(
      seen.filter(([event]) => EVENTS.includes(event)).map(([event]) => event),
      ["start", "end", "asyncStart", "asyncEnd"],
    );
    const [context] = of("start");
    assert.deepEqual({ ...context }, { clientId: SEHATMU.clientId, url: tokenUrl(), attempt: 1, status: 200 });
    for (const event of ["end", "asyncStart", "asyncEnd"]) assert.equal(of(event)[0], context, `${event} gets the start's context`);
    assertClean([SEHATMU.clientSecret], [all[0].accessToken]);
  });

  test("a failure: error with the SehatmuError, then asyncStart and asyncEnd; the status where a response came", async () => {
    const tokens = client({ clientSecret: "wrong-secret-value" });
    const error = await rejection(tokens.getToken());
    assert.equal(error.code, "invalid_credentials");
    assert.deepEqual(
      seen.filter(([event]) => EVENTS.includes(event)).map(([event]) => event),
      ["start", "end", "error", "asyncStart", "asyncEnd"],
    );
    const [context] = of("error");
    assert.equal(context.status, 401);
    assert.equal(context.attempt, 1);
    assert.equal(context.error.name, "SehatmuError");
    assert.equal(context.error.code, "invalid_credentials");
    assertClean(["wrong-secret-value"], []);
  });

  test("no response: network_error, with no status", async () => {
    server.next({ drop: true });
    await rejection(client().getToken());
    const [context] = of("error");
    assert.equal(context.error.code, "network_error");
    assert.equal(context.status, undefined);
  });

  test("each try is a request of its own: attempt 1, 2, …", async () => {
    server.next({ status: 503, body: "busy" }, { status: 503, body: "still busy" });
    const token = await client({ retries: 2 }).getToken();
    assert.deepEqual(
      of("start").map((context) => [context.attempt, context.status, context.error?.code]),
      [
        [1, 503, "server_error"],
        [2, 503, "server_error"],
        [3, 200, undefined],
      ],
    );
    assertClean([SEHATMU.clientSecret], [token.accessToken]);
  });

  test("getToken(): its one request, with its client id", async () => {
    const token = await getToken(SATUSEHAT.clientId, SATUSEHAT.clientSecret, { baseUrl: server.url });
    assert.deepEqual({ ...of("asyncEnd")[0] }, { clientId: SATUSEHAT.clientId, url: tokenUrl(), attempt: 1, status: 200 });
    assertClean([SATUSEHAT.clientSecret], [token.accessToken]);
  });

  test("TokenClients: each tenant's requests carry its own client id", async () => {
    const secrets = new Map(mock.DEMO_CLIENTS.map((c) => [c.clientId, c.clientSecret]));
    const clients = new TokenClients({ baseUrl: server.url, clientSecret: (id) => secrets.get(id) });
    const tokens = await Promise.all([clients.getToken(SEHATMU.clientId), clients.getToken(SATUSEHAT.clientId)]);
    assert.deepEqual(of("start").map((context) => context.clientId).sort(), [SEHATMU.clientId, SATUSEHAT.clientId].sort());
    await clients.getToken(SATUSEHAT.clientId);
    assert.deepEqual(of("token-cached"), [{ clientId: SATUSEHAT.clientId, source: "memory" }]);
    assertClean([...secrets.values()], tokens.map((t) => t.accessToken));
  });
});

describe("sehatmu-auth:token-cached", () => {
  test("memory: each call answered from the cached token (getToken, authorizationHeader, fetch)", async () => {
    const tokens = client();
    const token = await tokens.getToken();
    assert.deepEqual(of("token-cached"), []);
    await tokens.getToken();
    await tokens.authorizationHeader();
    const response = await tokens.fetch(`${server.url}/fhir/Patient`);
    await response.arrayBuffer();
    assert.deepEqual(of("token-cached"), Array(3).fill({ clientId: SEHATMU.clientId, source: "memory" }));
    assert.equal(of("start").length, 1);
    assertClean([SEHATMU.clientSecret], [token.accessToken]);
  });

  test("store: a call answered from the store, with no request", async () => {
    const map = new Map();
    const store = { get: (k) => map.get(k), set: (k, v) => void map.set(k, v), delete: (k) => void map.delete(k) };
    await client({ store }).getToken();
    seen.length = 0;
    const token = await client({ store }).getToken();
    assert.deepEqual(of("token-cached"), [{ clientId: SEHATMU.clientId, source: "store" }]);
    assert.equal(of("start").length, 0);
    assertClean([SEHATMU.clientSecret], [token.accessToken]);
  });
});

describe("sehatmu-auth:retry and sehatmu-auth:refused", () => {
  test("retry: after a 503, with the attempt, the delay and the code", async () => {
    server.next({ status: 503, body: "busy" });
    await client({ retries: 2 }).getToken();
    const retries = of("retry");
    assert.equal(retries.length, 1);
    assert.equal(retries[0].clientId, SEHATMU.clientId);
    assert.equal(retries[0].attempt, 1);
    assert.equal(retries[0].code, "server_error");
    assert.ok(Number.isFinite(retries[0].delayMs) && retries[0].delayMs >= 0);
  });

  test("refused: after a wrong secret, each call the wait refuses, with no request", async () => {
    const tokens = client({ clientSecret: "another-wrong-secret" });
    await rejection(tokens.getToken());
    const refusals = await Promise.all([tokens.getToken(), tokens.authorizationHeader()].map((p) => rejection(p)));
    assert.deepEqual(refusals.map((e) => e.code), ["rate_limited", "rate_limited"]);
    assert.equal(server.requests.length, 1);
    assert.equal(of("start").length, 1);
    const messages = of("refused");
    assert.equal(messages.length, 2);
    for (const message of messages) {
      assert.equal(message.clientId, SEHATMU.clientId);
      assert.ok(message.retryAfterMs > 0 && message.retryAfterMs <= 60_000);
    }
    assertClean(["another-wrong-secret"], []);
  });
});

test("no subscriber: nothing published, the client works as before", async () => {
  tracing.unsubscribe(handlers.tracing);
  for (const name of ["cached", "retry", "refused"]) dc.unsubscribe(channelName(name), handlers[name]);
  assert.equal(dc.channel("sehatmu-auth:token-cached").hasSubscribers, false);
  const tokens = client();
  await Promise.all([tokens.getToken(), tokens.getToken()]);
  await tokens.getToken();
  assert.deepEqual(seen, []);
});
