// The client secret must never appear in an error: not in its message, fields, cause, stack,
// JSON form or inspected form, even where the server echoes it back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { assertNoSecret, closedPort, load, rejection } from "./helpers.js";

const { getToken, mock } = await load();
const SECRET = "S3CRET+canary/Ω=value";
const ENCODED = new URLSearchParams({ s: SECRET }).toString().slice(2);

let server;
before(async () => {
  server = await mock.startMockServer({ clients: [{ clientId: "known", clientSecret: "other" }] });
});
after(() => server.close());

const assertNoSecretIn = (error, label) => assertNoSecret(error, SECRET, label);

const echo = `client_id=known&client_secret=${ENCODED}&grant_type=client_credentials ${SECRET}`;
const cases = [
  ["401 unknown client", {}],
  ["429 rate limit", {}],
  ["400 echoing OperationOutcome", { status: 400, body: { resourceType: "OperationOutcome", issue: [{ severity: SECRET, code: SECRET, details: { text: echo } }] } }],
  ["400 echoing OAuth error", { status: 400, body: { error: SECRET, error_description: echo } }],
  ["403 echoing HTML", { status: 403, body: `<pre>${echo}</pre>` }],
  ["500 echoing text", { status: 500, body: echo }],
  ["200 echoing non-token", { status: 200, body: { echo } }],
  ["200 echoing text", { status: 200, body: echo }],
  ["dropped connection", { drop: true }],
];

for (const [label, answer] of cases) {
  test(`no secret in the error: ${label}`, async () => {
    if (Object.keys(answer).length) server.next(answer);
    const error = await rejection(getToken("known", SECRET, { baseUrl: server.url }));
    assert.equal(error.name, "SehatmuError");
    assertNoSecretIn(error, label);
  });
}

test("no secret in network, timeout, abort and argument errors", async () => {
  const errors = [
    await rejection(getToken("c", SECRET, { baseUrl: `http://127.0.0.1:${await closedPort()}` })),
    await rejection((server.next({ delayMs: 1000 }), getToken("known", SECRET, { baseUrl: server.url, timeoutMs: 50 }))),
    await rejection(getToken("c", SECRET, { baseUrl: server.url, signal: AbortSignal.abort() })),
    await rejection(getToken("", SECRET)),
    await rejection(getToken("c", SECRET, { baseUrl: "http://example.com" })),
    await rejection(getToken("c", SECRET, { timeoutMs: -1 })),
  ];
  for (const error of errors) assertNoSecretIn(error, error.code);
});
