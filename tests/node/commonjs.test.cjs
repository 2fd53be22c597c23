// `require("sehatmu-auth")` gets the same API as `import`, with no init call.
const assert = require("node:assert/strict");
const { test } = require("node:test");

test("require() entry gets a token and rejects with a SehatmuError", async () => {
  const { loadCommonJs, load } = await import("./helpers.js");
  const { getToken, isSehatmuError } = loadCommonJs();
  const { mock } = await load();
  const server = await mock.startMockServer();
  try {
    const [client] = mock.DEMO_CLIENTS;
    const token = await getToken(client.clientId, client.clientSecret, { baseUrl: server.url });
    assert.ok(server.tokens.has(token.accessToken));
    const error = await getToken(client.clientId, "wrong", { baseUrl: server.url }).catch((e) => e);
    assert.ok(isSehatmuError(error));
    assert.equal(error.code, "invalid_credentials");
  } finally {
    await server.close();
  }
});

test("import and require share one module instance", async () => {
  const { loadCommonJs, load } = await import("./helpers.js");
  const esm = await load();
  assert.equal(esm.getToken, loadCommonJs().getToken);
});
