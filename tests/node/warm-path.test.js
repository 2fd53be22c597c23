// The warm path of the server build (src/wasm/warm.rs, scripts/warm-path.mjs): a client whose
// token is fresh answers getToken(), authorizationHeader() and fetch() in its glue. Each test
// is a way its memo could hold an answer the core would no longer give.
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer } from "node:http";
import { inspect } from "node:util";
import { after, before, beforeEach, describe, test } from "node:test";

import { load, rejection } from "./helpers.js";

const { TokenClient, TokenClients, mock } = await load();
const [, , RFC6749] = mock.DEMO_CLIENTS;

let server;
/** A stand-in for the API: 401 for the tokens in `revoked`, else 200 with the header it got. */
let api;
const revoked = new Set();
before(async () => {
  server = await mock.startMockServer({ rateLimitWindowMs: 1, tokenLifetimeSec: 2 });
  api = createServer((req, res) => {
    const header = req.headers.authorization ?? "";
    res.writeHead(revoked.has(header) ? 401 : 200, { "content-type": "text/plain" });
    res.end(header);
  });
  await new Promise((resolve) => api.listen(0, "127.0.0.1", resolve));
  api.url = `http://127.0.0.1:${api.address().port}`;
});
after(async () => {
  await server.close();
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
});
beforeEach(() => {
  server.reset();
  revoked.clear();
});

// The mock's tokens live 2 s here: the refresh is due after half of that, 1 s.
const client = (options = {}) =>
  new TokenClient({ clientId: RFC6749.clientId, clientSecret: RFC6749.clientSecret, baseUrl: server.url, ...options });

describe("the warm path answers as the module would", () => {
  test("warm calls give the cached token's promise and header, and send nothing", async () => {
    const tokens = client();
    const first = await tokens.getToken();
    const promise = tokens.getToken();
    assert.equal(tokens.getToken(), promise, "one promise for every warm call");
    assert.equal((await promise).accessToken, first.accessToken);
    assert.equal(await tokens.authorizationHeader(), `Bearer ${first.accessToken}`);
    const answer = await tokens.fetch(`${api.url}/fhir/Patient`);
    assert.equal(await answer.text(), `Bearer ${first.accessToken}`);
    assert.equal(server.requests.length, 1);
  });

  test("neither util.inspect nor JSON.stringify of a warm client shows its token", async () => {
    const tokens = client();
    const { accessToken } = await tokens.getToken();
    await tokens.getToken();
    await tokens.authorizationHeader();
    for (const view of [inspect(tokens, { depth: 5 }), JSON.stringify(tokens), String(tokens), Object.keys(tokens).join()]) {
      assert.ok(!view.includes(accessToken), view);
    }
  });

  test("once the token is no longer fresh (real clock), the next call starts the refresh", async () => {
    const tokens = client();
    const first = await tokens.getToken();
    const refresh = new Promise((resolve) => tokens.addEventListener("refresh", resolve));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await tokens.getToken()).accessToken, first.accessToken, "the valid token, at once");
    await refresh;
    await new Promise((resolve) => tokens.addEventListener("token", resolve));
    assert.equal(server.requests.length, 2);
    assert.notEqual((await tokens.getToken()).accessToken, first.accessToken);
  });

  test("clear(), forceRefresh and a rejected header each end the memo's answer", async () => {
    const tokens = client();
    const first = await tokens.getToken();
    await tokens.clear();
    const second = await tokens.getToken();
    assert.notEqual(second.accessToken, first.accessToken, "after clear()");
    const third = await tokens.getToken({ forceRefresh: true });
    assert.notEqual(third.accessToken, second.accessToken);
    assert.equal((await tokens.getToken()).accessToken, third.accessToken, "after forceRefresh");
    const header = await tokens.authorizationHeader({ rejected: `Bearer ${third.accessToken}` });
    assert.notEqual(header, `Bearer ${third.accessToken}`);
    assert.equal(await tokens.authorizationHeader(), header, "after a rejected header");
    assert.equal(`Bearer ${(await tokens.getToken()).accessToken}`, header);
    assert.equal(server.requests.length, 4);
  });

  test("fetch() on the warm path replays a 401 once, with a fresh token that later calls get", async () => {
    const tokens = client();
    const first = await tokens.getToken();
    await tokens.getToken(); // the memo is filled in
    revoked.add(`Bearer ${first.accessToken}`);
    const answer = await tokens.fetch(`${api.url}/fhir/Patient`);
    assert.equal(answer.status, 200);
    const fresh = await answer.text();
    assert.notEqual(fresh, `Bearer ${first.accessToken}`);
    assert.equal(await tokens.authorizationHeader(), fresh);
    assert.equal(server.requests.length, 2);
  });

  test("fetch() on the warm path goes through the client's own fetch, and rejects what throws", async () => {
    const seen = [];
    const tokens = client({ fetch: (input, init) => (seen.push(init.headers), fetch(input, init)) });
    await tokens.getToken();
    await tokens.getToken();
    await (await tokens.fetch(`${api.url}/a`)).text();
    assert.equal(seen.length, 2, "the token request and the API call");
    const error = await rejection(tokens.fetch(`${api.url}/b`, { headers: { "bad header": "x" } }));
    assert.equal(error.name, "TypeError");
  });

  test("a subscriber to sehatmu-auth:token-cached gets a message for every warm call", async () => {
    const tokens = client();
    await tokens.getToken();
    await tokens.getToken();
    const messages = [];
    const onMessage = (message) => messages.push(message);
    subscribe("sehatmu-auth:token-cached", onMessage);
    try {
      await tokens.getToken();
      await tokens.authorizationHeader();
      await (await tokens.fetch(`${api.url}/c`)).text();
    } finally {
      unsubscribe("sehatmu-auth:token-cached", onMessage);
    }
    assert.equal(messages.length, 3);
  });

  test("a client with its own clock never answers from the memo", async () => {
    const clock = { t: Date.now() };
    const tokens = client({ now: () => clock.t });
    const first = await tokens.getToken();
    await tokens.getToken();
    clock.t += 2_000;
    const next = await tokens.getToken();
    assert.notEqual(next.accessToken, first.accessToken, "expired on its clock: fetched anew");
  });

  test("a freed client throws as before, and a tenant of TokenClients shares its client's memo", async () => {
    const tokens = client();
    await tokens.getToken();
    await tokens.getToken();
    tokens.free();
    assert.throws(() => tokens.getToken());
    const clients = new TokenClients({
      baseUrl: server.url,
      clientSecret: (clientId) => (clientId === RFC6749.clientId ? RFC6749.clientSecret : ""),
    });
    const token = await clients.getToken(RFC6749.clientId);
    const tenant = clients.get(RFC6749.clientId);
    assert.equal((await tenant.getToken()).accessToken, token.accessToken);
    assert.equal((await clients.get(RFC6749.clientId).getToken()).accessToken, token.accessToken);
    assert.equal(server.requests.length, 2);
  });
});
