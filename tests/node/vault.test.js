// `clientSecret` as a function (a secret from a vault): asked for each token request, never
// cached; a function that gives no secret is `invalid_argument` for `clientSecret`, with no
// request sent and the value in no error.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { assertNoSecret, load, rejection } from "./helpers.js";

const { TokenClient, getToken, mock } = await load();

let server;
before(async () => {
  server = await mock.startMockServer({ clients: [{ clientId: "clinic", clientSecret: "first" }] });
});
after(() => server.close());

const sentSecrets = () => server.requests.map((request) => request.form.client_secret);

test("a secret changed in the vault is sent on the next token request, with no new client", async () => {
  server.reset();
  let secret = "first";
  let asked = 0;
  const client = new TokenClient({
    clientId: "clinic",
    clientSecret: () => {
      asked += 1;
      return secret;
    },
    baseUrl: server.url,
  });
  const first = await client.getToken();
  assert.equal((await client.getToken()).accessToken, first.accessToken, "a cached token asks the vault nothing");
  assert.equal(asked, 1);
  // The vault rotates the secret, and the server takes the new one.
  server.clients[0].clientSecret = "second";
  secret = "second";
  await client.getToken({ forceRefresh: true });
  assert.deepEqual(sentSecrets(), ["first", "second"]);
  assert.equal(asked, 2);
  server.clients[0].clientSecret = "first";
});

test("an async vault function's secret is sent, and it is called once for any number of concurrent callers", async () => {
  server.reset();
  let asked = 0;
  const client = new TokenClient({
    clientId: "clinic",
    clientSecret: async () => {
      asked += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return "first";
    },
    baseUrl: server.url,
  });
  const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
  assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
  assert.deepEqual(sentSecrets(), ["first"]);
  assert.equal(asked, 1);
});

const refusals = [
  ["throws", () => {
    throw new Error("vault unreachable");
  }],
  ["rejects", () => Promise.reject(new Error("vault unreachable"))],
  ["returns an empty string", () => ""],
  ["resolves to an empty string", async () => ""],
  ["returns a number", () => 42],
  ["returns undefined", () => undefined],
];

for (const [label, clientSecret] of refusals) {
  test(`a vault function that ${label}: invalid_argument for clientSecret, no request, no event`, async () => {
    server.reset();
    const client = new TokenClient({ clientId: "clinic", clientSecret, baseUrl: server.url });
    const events = [];
    for (const type of ["token", "retry", "error"]) client.addEventListener(type, () => events.push(type));
    const error = await rejection(client.getToken());
    assert.equal(error.code, "invalid_argument");
    assert.equal(error.field, "clientSecret");
    assert.equal(error.message, "Invalid clientSecret: it must be a function that returns (or resolves to) a non-empty string.");
    assert.equal(server.requests.length, 0);
    assert.deepEqual(events, []);
    // Nothing is held against the client: the next call asks the vault again.
    const again = await rejection(client.getToken());
    assert.equal(again.code, "invalid_argument");
  });
}

test("what the vault function threw is the error's cause; the client recovers once it gives a secret", async () => {
  server.reset();
  const thrown = new Error("vault unreachable");
  let fail = true;
  const client = new TokenClient({
    clientId: "clinic",
    clientSecret: () => {
      if (fail) throw thrown;
      return "first";
    },
    baseUrl: server.url,
  });
  const error = await rejection(client.getToken());
  assert.equal(error.cause, thrown);
  fail = false;
  assert.equal(typeof (await client.getToken()).accessToken, "string");
  assert.deepEqual(sentSecrets(), ["first"]);
});

test("the vault's secret shows in no error, even where the server echoes it", async () => {
  server.reset();
  const SECRET = "V4ULT+canary/Ω=value";
  const echo = `client_secret=${encodeURIComponent(SECRET)} ${SECRET}`;
  const client = new TokenClient({ clientId: "clinic", clientSecret: async () => SECRET, baseUrl: server.url, retries: 0 });
  server.next({ status: 400, body: { error: "invalid_request", error_description: echo } });
  const rejected = await rejection(client.getToken());
  assert.equal(rejected.code, "request_rejected");
  assertNoSecret(rejected, SECRET);
  const wrong = await rejection(client.getToken());
  assert.equal(wrong.code, "invalid_credentials");
  assertNoSecret(wrong, SECRET);
});

test("getToken takes a secret only as a string", async () => {
  const error = await rejection(getToken("clinic", () => "first", { baseUrl: server.url }));
  assert.equal(error.code, "invalid_argument");
  assert.equal(error.field, "clientSecret");
});
