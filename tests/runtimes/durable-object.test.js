// sehatmu-auth/durable-object from the packed package, in workerd through miniflare 4: eight
// Workers (eight scripts, eight isolates) bound to one Durable Object namespace, each with its own
// TokenClient on createDurableObjectStore(env.TOKENS), against the mock server on 127.0.0.1.
// The first Worker defines and exports TokenStoreObject, as a single Worker would; the other
// seven bind it by its scriptName. Bundled as wrangler 4 does (see runtimes.test.js).
//
// Needs SEHATMU_TARBALL (scripts/test.sh sets it), this folder's own npm install, and Node >= 22
// (miniflare 4): scripts/test.sh runs it on Node 24.
import assert from "node:assert/strict";
import { execFile as execFileCallback } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { DEMO_CLIENTS, startMockServer } from "../../mock/server.js";

const execFile = promisify(execFileCallback);
const tarball = process.env.SEHATMU_TARBALL;
const WORKERS = Array.from({ length: 8 }, (_, i) => `app-${i + 1}`);
const [DEMO, OTHER] = DEMO_CLIENTS;

/**
 * One Worker of the fleet. `?id&secret&store`: a token from this isolate's TokenClient for that
 * client id (made on first use, on the store named `store`), or the error's code. `?lock&n`: n
 * concurrent tries at the store's lock `lock` (never released: it expires), and how many took
 * it. `?stale`: a release after the lock expired and was taken over. `?put&ttl`: a shared wait
 * stored under `put` for `ttl` ms. `?bad`: what createDurableObjectStore throws for bad
 * arguments. Every answer names the
 * isolate, a random id made on its first request.
 */
const worker = (exportsObject) => `import { TokenClient } from "sehatmu-auth";
import { TokenStoreObject, createDurableObjectStore } from "sehatmu-auth/durable-object";
${exportsObject ? "export { TokenStoreObject };" : "void TokenStoreObject;"}

let isolate; // made in the first request: workerd makes no random values at start-up
const clients = new Map();

export default {
  async fetch(request, env) {
    isolate ??= crypto.randomUUID();
    const params = new URL(request.url).searchParams;
    if (params.has("bad")) {
      const refusals = [[undefined], [{}], [env.TOKENS, { name: "" }], [env.TOKENS, { name: 5 }]].map((args) => {
        try {
          createDurableObjectStore(...args);
          return "accepted";
        } catch (error) {
          return [error.name, error.code, error.field].join(" ");
        }
      });
      return Response.json({ isolate, refusals });
    }
    const store = createDurableObjectStore(env.TOKENS, { name: params.get("store") ?? undefined });
    if (params.has("lock")) {
      const n = Number(params.get("n"));
      const releases = await Promise.all(Array.from({ length: n }, () => store.lock(params.get("lock"), 5_000)));
      const taken = releases.filter((release) => typeof release === "function").length;
      return Response.json({ isolate, taken, refused: releases.filter((release) => release === null).length });
    }
    if (params.has("stale")) {
      // A holder whose lock expired, and a successor: the first one's release must leave the
      // successor's lock alone.
      const key = params.get("stale");
      const first = await store.lock(key, 50);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = await store.lock(key, 5_000);
      await first();
      const whileSecondHolds = await store.lock(key, 5_000);
      await second();
      const afterSecond = await store.lock(key, 5_000);
      return Response.json({ isolate, first: typeof first, second: typeof second, whileSecondHolds, afterSecond: typeof afterSecond });
    }
    if (params.has("put")) {
      await store.set(params.get("put"), { retryAt: 0 }, Number(params.get("ttl")));
      return Response.json({ isolate });
    }
    const id = params.get("id");
    const secret = params.get("secret");
    const key = [id, secret, params.get("store")].join("\\n");
    let client = clients.get(key);
    if (!client) clients.set(key, (client = new TokenClient({ clientId: id, clientSecret: secret, baseUrl: env.BASE, store })));
    try {
      const token = await client.getToken();
      return Response.json({ isolate, token: token.accessToken });
    } catch (error) {
      return Response.json({ isolate, code: error.code, status: error.status ?? null });
    }
  },
};
`;

let project;
let outdir;
let mock;

before(async () => {
  assert.ok(tarball, "SEHATMU_TARBALL names the packed package");
  project = await mkdtemp(join(tmpdir(), "sehatmu-durable-object-"));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await execFile("npm", ["install", "--silent", "--no-audit", "--no-fund", tarball], { cwd: project });
  for (const [i, name] of WORKERS.entries()) await writeFile(join(project, `${name}.js`), worker(i === 0));
  // wrangler 4's resolution (runtimes.test.js): the workerd, worker and browser conditions, the
  // .wasm a module of its own, and cloudflare:* left to workerd.
  const { build } = await import("esbuild");
  outdir = join(project, "dist");
  await build({
    absWorkingDir: project,
    entryPoints: WORKERS.map((name) => `${name}.js`),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    loader: { ".wasm": "copy" },
    outdir,
    logLevel: "error",
  });
  mock = await startMockServer();
});

after(async () => {
  await mock?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

/** The eight Workers in one workerd, the Durable Objects kept in `persist` (a folder) or in memory. */
async function startFleet(persist = false) {
  const { Miniflare } = await import("miniflare");
  const fleet = new Miniflare({
    durableObjectsPersist: persist,
    workers: WORKERS.map((name, i) => ({
      name,
      modules: true,
      scriptPath: join(outdir, `${name}.js`),
      modulesRoot: outdir,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate: "2026-07-01", // workerd refuses a date newer than itself (1.20260730)
      bindings: { BASE: mock.url },
      durableObjects: {
        TOKENS: i === 0 ? { className: "TokenStoreObject", useSQLite: true } : { className: "TokenStoreObject", scriptName: WORKERS[0], useSQLite: true },
      },
    })),
  });
  let fetchers;
  try {
    fetchers = await Promise.all(WORKERS.map((name) => fleet.getWorker(name)));
  } catch (error) {
    await fleet.dispose(); // a workerd that failed to start would keep the test process alive
    throw error;
  }
  return {
    /** `count` concurrent calls to each Worker with `query`: their answers, Worker by Worker. */
    async call(query, count) {
      const url = `http://worker.test/?${new URLSearchParams(query)}`;
      return Promise.all(fetchers.map((fetcher) => Promise.all(Array.from({ length: count }, async () => (await fetcher.fetch(url)).json()))));
    },
    /** One call to Worker number `index` (0 to 7). */
    async one(index, query) {
      return (await fetchers[index].fetch(`http://worker.test/?${new URLSearchParams(query)}`)).json();
    },
    dispose: () => fleet.dispose(),
  };
}

/** Every file under `dir`, as bytes. */
async function filesUnder(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.push({ path: join(entry.parentPath, entry.name), bytes: await readFile(join(entry.parentPath, entry.name)) });
  }
  return files;
}

const workerdSkip = Number.parseInt(process.versions.node, 10) < 22 && "miniflare 4 needs Node >= 22";

describe("sehatmu-auth/durable-object: eight Workers, one Durable Object", { skip: workerdSkip }, () => {
  let fleet;
  before(async () => {
    fleet = await startFleet();
  });
  after(async () => {
    await fleet?.dispose();
  });

  test("400 concurrent cold calls, 50 to each of the eight isolates: one token request, a token for each", async () => {
    mock.reset();
    const answers = await fleet.call({ id: DEMO.clientId, secret: DEMO.clientSecret, store: "cold" }, 50);
    const isolates = new Set(answers.map((perWorker) => perWorker[0].isolate));
    assert.equal(isolates.size, 8, "eight isolates");
    for (const perWorker of answers) assert.equal(new Set(perWorker.map((answer) => answer.isolate)).size, 1, "each Worker one isolate");
    const all = answers.flat();
    assert.equal(all.length, 400);
    assert.equal(mock.requests.length, 1, "one token request for the fleet");
    const [token] = mock.tokens.keys();
    assert.deepEqual(new Set(all.map((answer) => answer.token ?? JSON.stringify(answer))), new Set([token]));
  });

  test("a missing namespace or a bad name is invalid_argument", async () => {
    const { refusals } = await fleet.one(0, { bad: "" });
    assert.deepEqual(refusals, [
      "SehatmuError invalid_argument namespace",
      "SehatmuError invalid_argument namespace",
      "SehatmuError invalid_argument name",
      "SehatmuError invalid_argument name",
    ]);
  });

  test("a wrong secret: one token request; the isolate that sent it gets invalid_credentials, every other call rate_limited", async () => {
    mock.reset();
    const query = { id: OTHER.clientId, secret: "wrong-secret", store: "wrong" };
    const answers = await fleet.call(query, 50);
    assert.equal(mock.requests.length, 1, "one token request for the fleet");
    // The callers of the isolate that took the lock share its one flight, and its answer.
    const refusedByServer = answers.filter((perWorker) => perWorker.some((answer) => answer.code === "invalid_credentials"));
    assert.equal(refusedByServer.length, 1, "one isolate saw the 401");
    for (const answer of answers.flat()) {
      if (answer.code === "invalid_credentials") assert.equal(answer.status, 401);
      else assert.deepEqual({ code: answer.code, status: answer.status }, { code: "rate_limited", status: null }, JSON.stringify(answer));
    }
    // Then every call, in every isolate, is refused at once.
    const again = (await fleet.call(query, 50)).flat();
    assert.equal(again.length, 400);
    for (const answer of again) assert.deepEqual({ code: answer.code, status: answer.status }, { code: "rate_limited", status: null });
    assert.equal(mock.requests.length, 1, "still one token request");
  });

  test("the lock: of 200 concurrent tries from eight isolates, one takes it; a release after it expired frees no successor's", async () => {
    for (let round = 0; round < 3; round++) {
      const answers = (await fleet.call({ lock: `race-${round}`, n: 25, store: "locks" }, 1)).flat();
      assert.equal(answers.reduce((sum, answer) => sum + answer.taken, 0), 1, JSON.stringify(answers));
      assert.equal(answers.reduce((sum, answer) => sum + answer.refused, 0), 199);
    }
    const stale = await fleet.one(5, { stale: "stale", store: "locks" });
    assert.deepEqual(stale, { isolate: stale.isolate, first: "function", second: "function", whileSecondHolds: null, afterSecond: "function" });
  });
});

test("sehatmu-auth/durable-object: the token outlives a restart of the Durable Object (persisted storage), with no secret in it", { skip: workerdSkip }, async () => {
  const persist = await mkdtemp(join(tmpdir(), "sehatmu-durable-object-storage-"));
  try {
    mock.reset();
    const query = { id: DEMO.clientId, secret: DEMO.clientSecret, store: "restart" };
    const first = await startFleet(persist);
    let token;
    try {
      token = (await first.call(query, 5)).flat()[0].token;
      // An entry that expires at once, for the alarm to delete.
      await first.one(3, { put: "sweep-me", ttl: 1, store: "restart" });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await first.dispose();
    }
    assert.ok(mock.tokens.has(token));
    assert.equal(mock.requests.length, 1);

    const second = await startFleet(persist);
    try {
      const answers = (await second.call(query, 5)).flat();
      assert.deepEqual(new Set(answers.map((answer) => answer.token ?? JSON.stringify(answer))), new Set([token]));
    } finally {
      await second.dispose();
    }
    assert.equal(mock.requests.length, 1, "no new token request after the restart");

    const files = await filesUnder(persist);
    // What the object keeps (its key-value API lives in the table _cf_KV of its SQLite file):
    // the token under the token URL and the client id; the released lock and the expired entry
    // deleted.
    const keys = [];
    for (const { path } of files.filter(({ path }) => path.endsWith(".sqlite"))) {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        if (db.prepare("SELECT name FROM sqlite_master WHERE name = '_cf_KV'").get()) keys.push(...db.prepare("SELECT key FROM _cf_KV").all().map((row) => row.key));
      } finally {
        db.close();
      }
    }
    assert.deepEqual(keys, [`sehatmu-auth:${mock.url}/oauth/token?grant_type=client_credentials:${DEMO.clientId}`]);
    assert.ok(files.some(({ bytes }) => bytes.includes(token)), "the token is in the persisted storage");
    for (const { path, bytes } of files) {
      assert.ok(!bytes.includes(DEMO.clientSecret), `the secret in ${path}`);
      assert.ok(!path.includes(DEMO.clientSecret), "the secret in a file name");
    }
  } finally {
    await rm(persist, { recursive: true, force: true });
  }
});
