// The wasm-bindgen module itself, loaded without the package's entries: it exports getToken
// and TokenClient, and a token request's fetch is called from the .wasm, through the glue's
// import of the global fetch (looked up at each call).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import { gluePath, load } from "./helpers.js";

const { mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;
const glue = createRequire(import.meta.url)(gluePath());

let server;
before(async () => {
  server = await mock.startMockServer();
});
after(() => server.close());

/** Runs `call` with `globalThis.fetch` wrapped: the stack of each call of it. */
async function fetchStacks(call) {
  const real = globalThis.fetch;
  const stacks = [];
  globalThis.fetch = (input, init) => {
    // The frames below this stub's own.
    stacks.push(new Error("fetch called").stack.split("\n").slice(2));
    return real(input, init);
  };
  try {
    return { result: await call(), stacks };
  } finally {
    globalThis.fetch = real;
  }
}

/** Asserts that fetch was called by the glue's import function, which the .wasm called. */
function assertFromWasm(stack) {
  const fromWasm = stack.findIndex((frame) => /wasm:\/\/wasm\/|wasm-function/.test(frame));
  assert.ok(fromWasm > 0, `a frame of the .wasm below fetch: ${stack.join("\n")}`);
  for (const frame of stack.slice(0, fromWasm)) {
    assert.match(frame, /sehatmu_auth\.cjs/, `only the glue between fetch and the .wasm: ${stack.join("\n")}`);
  }
}

test("the glue exports getToken and TokenClient", () => {
  assert.equal(typeof glue.getToken, "function");
  assert.equal(typeof glue.TokenClient, "function");
});

test("getToken's fetch comes from the .wasm through the glue's import", async () => {
  const { result, stacks } = await fetchStacks(() => glue.getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: server.url }));
  assert.ok(server.tokens.has(result.accessToken));
  assert.equal(stacks.length, 1);
  assertFromWasm(stacks[0]);
});

test("TokenClient's token request and its fetch() come from the .wasm too", async () => {
  const client = new glue.TokenClient({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, baseUrl: server.url });
  const { result, stacks } = await fetchStacks(() => client.fetch(`${server.url}/fhir/Patient`));
  assert.equal(result.status, 200);
  assert.equal(stacks.length, 2, "one token request, one API request");
  stacks.forEach(assertFromWasm);
});
