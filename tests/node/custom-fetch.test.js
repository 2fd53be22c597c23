// The `fetch` option: it sends every request of getToken and TokenClient (token and API
// alike), the global fetch none; through it, a token request goes through an HTTP proxy.
// Node is never refused by the browser guard.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { after, before, beforeEach, test } from "node:test";

import { ProxyAgent, fetch as undiciFetch } from "undici";

import { load, rejection } from "./helpers.js";

const { getToken, TokenClient, isSehatmuError, mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer({ rateLimitWindowMs: 0 });
});
after(() => server.close());
beforeEach(() => server.reset());

/** Runs `call` with the global fetch replaced by one that fails the test if called. */
async function withoutGlobalFetch(call) {
  const real = globalThis.fetch;
  let globalCalls = 0;
  globalThis.fetch = (...args) => {
    globalCalls++;
    return real(...args);
  };
  try {
    await call();
  } finally {
    globalThis.fetch = real;
  }
  return globalCalls;
}

test("the custom fetch sends every request, token and API; the global fetch none", async () => {
  const seen = [];
  const realFetch = globalThis.fetch;
  const fetch = (input, init) => {
    seen.push(String(input instanceof Request ? input.url : input));
    return realFetch(input, init);
  };
  const globalCalls = await withoutGlobalFetch(async () => {
    const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: server.url, fetch });
    assert.ok(server.tokens.has(token.accessToken));
    const tokens = new TokenClient({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, baseUrl: server.url, fetch });
    server.revokeTokens();
    const response = await tokens.fetch(`${server.url}/fhir/Patient`);
    assert.equal(response.status, 200);
    await tokens.getToken();
  });
  assert.equal(globalCalls, 0);
  assert.deepEqual(
    seen.map((url) => new URL(url).pathname),
    ["/oauth/token", "/oauth/token", "/fhir/Patient"],
  );
});

test("a fetch that is not a function is invalid_argument; what it throws is network_error, with it as cause", async () => {
  for (const fetch of [1, "fetch", {}, null]) {
    const error = await rejection(getToken("c", "s", { baseUrl: server.url, fetch }));
    assert.ok(isSehatmuError(error));
    assert.deepEqual([error.code, error.field], ["invalid_argument", "fetch"]);
    assert.throws(() => new TokenClient({ clientId: "c", clientSecret: "s", fetch }), (e) => e.field === "fetch");
  }
  const thrown = new Error("no route");
  const error = await rejection(getToken("c", "s", { baseUrl: server.url, fetch: () => { throw thrown; } }));
  assert.equal(error.code, "network_error");
  assert.equal(error.cause, thrown);
  const rejected = await rejection(getToken("c", "s", { baseUrl: server.url, fetch: () => Promise.reject(thrown) }));
  assert.equal(rejected.cause, thrown);
  assert.equal(server.requests.length, 0);
});

test("a token request through an HTTP proxy on 127.0.0.1 (undici's ProxyAgent): the proxy sees it, the target answers", async () => {
  const tunnels = [];
  const proxy = createServer();
  proxy.on("connect", (req, client, head) => {
    tunnels.push(req.url);
    const [host, port] = req.url.split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const dispatcher = new ProxyAgent(`http://127.0.0.1:${proxy.address().port}`);
  try {
    const fetch = (input, init) => undiciFetch(input, { ...init, dispatcher });
    const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: server.url, fetch });
    assert.ok(server.tokens.has(token.accessToken));
    assert.deepEqual(tunnels, [`127.0.0.1:${server.port}`]);
    assert.equal(server.requests.length, 1);
  } finally {
    await dispatcher.close();
    proxy.closeAllConnections?.();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test("Node is never refused by the browser guard, whatever the base URL", async () => {
  const sent = [];
  const fetch = (input) => {
    sent.push(String(input));
    return Promise.resolve(Response.json({ access_token: "t", expires_in: 60 }));
  };
  const token = await getToken("c", "s", { baseUrl: "https://sehatmu.example", fetch });
  assert.equal(token.accessToken, "t");
  const tokens = new TokenClient({ clientId: "c", clientSecret: "s", baseUrl: "https://sehatmu.example", fetch });
  assert.equal((await tokens.getToken()).accessToken, "t");
  assert.equal(sent.length, 2);
});
