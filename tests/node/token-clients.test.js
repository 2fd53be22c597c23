// `TokenClients`: one client per client id, made on first use, bounded by `maxClients` and
// `idleMs`; each tenant's token goes with its own calls only; events of every tenant carry
// its client id.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";

import { entryPath, gluePath, load, rejection } from "./helpers.js";

const { TokenClient, TokenClients, mock } = await load();

const TENANTS = 1000;
const ids = Array.from({ length: TENANTS }, (_, i) => `clinic-${i}`);
const secretOf = (id) => `secret-of-${id}`;

let server;
before(async () => {
  server = await mock.startMockServer({ clients: ids.map((id) => ({ clientId: id, clientSecret: secretOf(id) })) });
});
after(() => server.close());

const clients = (options = {}) => new TokenClients({ clientSecret: secretOf, baseUrl: server.url, ...options });

test("each tenant's calls carry its own token; a warm tenant makes no token request", async () => {
  server.reset();
  const tenants = clients();
  const answers = await Promise.all(
    ids.slice(0, 20).flatMap((id) => [0, 1, 2].map(() => tenants.fetch(id, `${server.url}/fhir/Patient`).then((r) => r.json()))),
  );
  assert.deepEqual(
    answers.map((a) => a.clientId),
    ids.slice(0, 20).flatMap((id) => [id, id, id]),
  );
  assert.equal(server.requests.length, 20, "one token request per tenant");
  assert.deepEqual(
    server.requests.map((r) => [r.form.client_id, r.form.client_secret]).sort(),
    ids.slice(0, 20).map((id) => [id, secretOf(id)]).sort(),
  );
  assert.equal(tenants.size, 20);
  const token = await tenants.getToken("clinic-3");
  assert.equal(server.tokens.get(token.accessToken).clientId, "clinic-3");
  assert.equal(server.requests.length, 20);
});

test("get() gives the tenant's client: its cache and listeners are the ones TokenClients uses", async () => {
  server.reset();
  const tenants = clients();
  const client = tenants.get("clinic-1");
  assert.ok(client instanceof TokenClient);
  const seen = [];
  client.addEventListener("token", (event) => seen.push(event.detail.source));
  const first = await tenants.getToken("clinic-1");
  assert.equal((await client.getToken()).accessToken, first.accessToken);
  assert.equal((await tenants.get("clinic-1").getToken()).accessToken, first.accessToken);
  assert.deepEqual(seen, ["network"]);
  assert.equal(server.requests.length, 1);
});

test("events of every tenant reach TokenClients' listeners, with detail.clientId", async () => {
  server.reset();
  const tenants = clients({ retries: 1 });
  const seen = [];
  const listener = (event) => seen.push([event.type, event.detail.clientId, event.detail.source ?? event.detail.code ?? event.detail.error?.code]);
  for (const type of ["token", "retry", "error"]) tenants.addEventListener(type, listener);
  await tenants.getToken("clinic-1");
  server.next({ status: 503, body: "down" }, { status: 503, body: "down" });
  assert.equal((await rejection(tenants.getToken("clinic-2"))).code, "server_error");
  tenants.removeEventListener("token", listener);
  await tenants.getToken("clinic-4");
  assert.deepEqual(seen, [
    ["token", "clinic-1", "network"],
    ["retry", "clinic-2", "server_error"],
    ["error", "clinic-2", "server_error"],
  ]);
});

test("maxClients lets go of the least recently used; delete() lets go of one; a kept reference still works", async () => {
  server.reset();
  const tenants = clients({ maxClients: 2 });
  const kept = tenants.get("clinic-1");
  await tenants.getToken("clinic-1");
  await tenants.getToken("clinic-2");
  await tenants.getToken("clinic-1"); // clinic-2 is now the least recently used
  await tenants.getToken("clinic-3");
  assert.equal(tenants.size, 2);
  assert.equal(server.requests.length, 3);
  await tenants.getToken("clinic-1"); // still held: no request
  assert.equal(server.requests.length, 3);
  await tenants.getToken("clinic-2"); // let go: a new client, a new token request
  assert.equal(server.requests.length, 4);
  assert.equal(tenants.size, 2);
  assert.equal(tenants.delete("clinic-2"), true);
  assert.equal(tenants.delete("clinic-2"), false);
  assert.equal(tenants.size, 1);
  // clinic-1 was let go when clinic-2 came back; the app's reference still has its token.
  assert.equal(typeof (await kept.getToken()).accessToken, "string");
  assert.equal(server.requests.length, 4);
});

test("idleMs lets go of a client unused that long", async () => {
  server.reset();
  let now = Date.now();
  const tenants = clients({ idleMs: 1000, now: () => now });
  await tenants.getToken("clinic-1");
  now += 500;
  await tenants.getToken("clinic-2");
  assert.equal(tenants.size, 2);
  now += 600; // clinic-1 unused for 1,100 ms, clinic-2 for 600
  await tenants.getToken("clinic-2");
  assert.equal(tenants.size, 1);
  await tenants.getToken("clinic-1");
  assert.equal(server.requests.length, 3);
});

test("a client in the middle of a token request is not let go: concurrent callers still share one request", async () => {
  server.reset();
  const tenants = clients({ maxClients: 1 });
  server.next({ delayMs: 100 });
  const slow = tenants.getToken("clinic-1");
  await tenants.getToken("clinic-2"); // past the cap, but clinic-1 is busy
  assert.equal(tenants.size, 2);
  const joined = tenants.getToken("clinic-1");
  assert.equal((await slow).accessToken, (await joined).accessToken);
  assert.equal(server.requests.filter((r) => r.form.client_id === "clinic-1").length, 1);
  await tenants.getToken("clinic-2");
  assert.equal(tenants.size, 1);
});

test("a bad clientId, and bad options, are invalid_argument", async () => {
  const tenants = clients();
  for (const bad of ["", undefined, 42, null]) {
    assert.equal((await rejection(tenants.getToken(bad))).field, "clientId");
    assert.equal((await rejection(tenants.fetch(bad, `${server.url}/fhir/Patient`))).field, "clientId");
    assert.throws(() => tenants.get(bad), { code: "invalid_argument", field: "clientId" });
    assert.throws(() => tenants.delete(bad), { code: "invalid_argument", field: "clientId" });
  }
  const options = [
    [{ clientSecret: "one secret for all" }, "clientSecret"],
    [{ clientSecret: secretOf, maxClients: 0 }, "maxClients"],
    [{ clientSecret: secretOf, maxClients: 1.5 }, "maxClients"],
    [{ clientSecret: secretOf, idleMs: 0 }, "idleMs"],
    [{ clientSecret: secretOf, idleMs: "1000" }, "idleMs"],
    [{ clientSecret: secretOf, retries: 11 }, "retries"],
    [{ clientSecret: secretOf, baseUrl: "http://example.com" }, "baseUrl"],
  ];
  for (const [bad, field] of options) {
    assert.throws(() => new TokenClients(bad), { code: "invalid_argument", field }, JSON.stringify(bad));
  }
  assert.throws(() => new TokenClients(), { code: "invalid_argument", field: "options" });
});

test("a tenant whose vault function gives no secret is refused alone", async () => {
  server.reset();
  const tenants = new TokenClients({
    clientSecret: (id) => (id === "clinic-1" ? "" : secretOf(id)),
    baseUrl: server.url,
  });
  const error = await rejection(tenants.getToken("clinic-1"));
  assert.equal(error.field, "clientSecret");
  assert.equal(typeof (await tenants.getToken("clinic-2")).accessToken, "string");
  assert.deepEqual(
    server.requests.map((r) => r.form.client_id),
    ["clinic-2"],
  );
});

/** Runs an ES module in a new Node process with --expose-gc: its first line of output, parsed. */
function run(source) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.split("\n")[0])) : reject(new Error(`child exited with ${code}: ${out}`))));
  });
}

test("1,000 client ids, maxClients 100, 10 rounds: own tokens only, size never past 100, memory flat after the first round", async (t) => {
  server.reset();
  const result = await run(`
    import { createRequire } from "node:module";
    import { TokenClients } from ${JSON.stringify(entryPath())};
    const glue = createRequire(import.meta.url)(${JSON.stringify(gluePath())});
    const base = ${JSON.stringify(server.url)};
    const tenants = new TokenClients({ clientSecret: (id) => "secret-of-" + id, baseUrl: base, maxClients: 100 });
    const ids = Array.from({ length: ${TENANTS} }, (_, i) => "clinic-" + i);
    let wrong = 0;
    let calls = 0;
    let largest = 0;
    const measure = async () => {
      for (let i = 0; i < 5; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { wasm: glue.wasmMemoryBytes(), heap: process.memoryUsage().heapUsed };
    };
    const round = async () => {
      // 50 tenants at a time, each with two calls at once.
      for (let at = 0; at < ids.length; at += 50) {
        const batch = ids.slice(at, at + 50);
        const answers = await Promise.all(batch.flatMap((id) => [id, id]).map((id) =>
          tenants.fetch(id, base + "/fhir/Patient").then((r) => r.json()).then((body) => [id, body.clientId])));
        for (const [id, owner] of answers) {
          calls += 1;
          if (id !== owner) wrong += 1;
        }
        largest = Math.max(largest, tenants.size);
      }
    };
    await round();
    const first = await measure();
    for (let i = 1; i < 10; i++) await round();
    const last = await measure();
    console.log(JSON.stringify({ wrong, calls, largest, size: tenants.size, first, last }));
  `);
  t.diagnostic(`wasm ${result.first.wasm} -> ${result.last.wasm} B, JS heap ${result.first.heap} -> ${result.last.heap} B`);
  assert.equal(result.calls, 10 * 2 * TENANTS);
  assert.equal(result.wrong, 0, "a call went out with another tenant's token");
  assert.ok(result.largest <= 100, `size reached ${result.largest}`);
  assert.equal(result.size, 100);
  // Each tenant is let go before its turn comes again: one token request per tenant per round.
  assert.equal(server.requests.length, 10 * TENANTS);
  assert.equal(result.last.wasm, result.first.wasm, "wasm linear memory grew");
  assert.ok(result.last.heap - result.first.heap < 4 * 1024 * 1024, `the JS heap grew by ${result.last.heap - result.first.heap} bytes`);
});
