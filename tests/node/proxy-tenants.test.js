// sehatmu-auth/proxy for many tenants: `client` as a function of the request picks each
// request's TokenClient (a clinic's, of TokenClients), so one proxy serves the signed-in users
// of several clinics, each with its own clinic's token. Servers listen on 127.0.0.1 only.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { load, loadProxy } from "./helpers.js";

const { TokenClient, TokenClients, mock } = await load();
const { createProxy, toNodeListener } = await loadProxy();

const CLINICS = { "klinik-a": "secret-a", "klinik-b": "secret-b" };
/** The signed-in user's clinic, as an app's session would tell it. */
const clinicOf = (request) => request.headers.get("x-test-clinic");

let api;
before(async () => {
  api = await mock.startMockServer({ clients: Object.entries(CLINICS).map(([clientId, clientSecret]) => ({ clientId, clientSecret })) });
});
after(() => api.close());

const tenants = () => new TokenClients({ clientSecret: (id) => CLINICS[id], baseUrl: api.url });
const get = (handler, clinic, path = "/fhir/Patient") =>
  handler(new Request(`http://app.test${path}`, { headers: clinic ? { "x-test-clinic": clinic } : {} }));

test("one proxy, two clinics' users: each request goes out with its own clinic's token", async () => {
  api.reset();
  const clients = tenants();
  const handler = createProxy({ client: (request) => clients.get(clinicOf(request)), authorize: () => true, upstream: api.url });
  const order = ["klinik-a", "klinik-b", "klinik-b", "klinik-a", "klinik-a", "klinik-b"];
  const answers = await Promise.all(order.map((clinic) => get(handler, clinic).then((r) => r.json())));
  assert.deepEqual(
    answers.map((a) => a.clientId),
    order,
  );
  assert.deepEqual(api.requests.map((r) => r.form.client_id).sort(), ["klinik-a", "klinik-b"]);
});

test("through toNodeListener too, and with a client picked asynchronously", async () => {
  api.reset();
  const clients = tenants();
  const handler = createProxy({
    client: async (request) => clients.get(clinicOf(request)),
    authorize: async () => true,
    upstream: api.url,
  });
  const server = createServer(toNodeListener(handler));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const call = (clinic) => fetch(`${base}/fhir/Observation`, { headers: { "x-test-clinic": clinic } }).then((r) => r.json());
    const answers = await Promise.all(["klinik-b", "klinik-a", "klinik-b"].map(call));
    assert.deepEqual(
      answers.map((a) => a.clientId),
      ["klinik-b", "klinik-a", "klinik-b"],
    );
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("a pick that throws, rejects or gives no TokenClient answers 401 before any I/O", async () => {
  api.reset();
  const clients = tenants();
  const picks = [
    () => {
      throw new Error("no session");
    },
    () => Promise.reject(new Error("no session")),
    () => undefined,
    async () => null,
    () => ({ fetch: "not a function" }),
    (request) => clients.get(clinicOf(request)), // no clinic header: get() throws invalid_argument
  ];
  for (const client of picks) {
    const handler = createProxy({ client, authorize: () => true, upstream: api.url });
    const answer = await get(handler, undefined);
    assert.equal(answer.status, 401, String(client));
    assert.equal((await answer.json()).issue[0].code, "login");
  }
  assert.equal(api.requests.length, 0);
  assert.equal(api.apiRequests.length, 0);
});

test("authorize is asked first: a refused request never reaches the pick", async () => {
  let picked = 0;
  const handler = createProxy({
    client: () => {
      picked += 1;
      return new TokenClient({ clientId: "klinik-a", clientSecret: "secret-a", baseUrl: api.url });
    },
    authorize: () => false,
    upstream: api.url,
  });
  assert.equal((await get(handler, "klinik-a")).status, 401);
  assert.equal(picked, 0);
});

test("a client picked per request needs an upstream", () => {
  assert.throws(() => createProxy({ client: () => undefined, authorize: () => true }), {
    code: "invalid_argument",
    field: "upstream",
    message: "Invalid upstream: it must be given where the client is picked for each request, or does not tell its baseUrl yet.",
  });
  assert.throws(() => createProxy({ client: 42, authorize: () => true, upstream: api.url }), { code: "invalid_argument", field: "client" });
});
