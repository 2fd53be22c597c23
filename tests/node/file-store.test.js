// Many processes on one machine, one token: TokenClient with the file store (a temporary
// folder per test) against the mock SehatMu server, both started here on 127.0.0.1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { callsAfterRevocation, callsOnCue, entryPath, fileStorePath, load, rejection } from "./helpers.js";

const { TokenClient, isSehatmuError, mock } = await load();
const { createFileStore } = await import(fileStorePath());
const [DEMO] = mock.DEMO_CLIENTS;
const demo = { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret };
const isRoot = process.getuid?.() === 0;

let server;
let root;
let folders = 0;

before(async () => {
  root = fs.mkdtempSync(join(tmpdir(), "sehatmu-file-store-"));
  server = await mock.startMockServer({ rateLimitWindowMs: 0 });
});

after(async () => {
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A folder for one test, not made yet. */
const folder = () => join(root, `store-${++folders}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mode = (path) => fs.statSync(path).mode & 0o777;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** Runs a process with a TokenClient on the file store in `dir`; `body` uses `client` (and `store`) and returns JSON. */
function child(dir, options, body) {
  const source = `
    import { TokenClient } from ${JSON.stringify(entryPath())};
    import { createFileStore } from ${JSON.stringify(fileStorePath())};
    const store = createFileStore({ dir: ${JSON.stringify(dir)} });
    const client = new TokenClient({ baseUrl: ${JSON.stringify(server.url)}, store, ...${JSON.stringify(options)} });
    const result = await (async () => { ${body} })();
    console.log(JSON.stringify(result));
  `;
  const process_ = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  process_.stdout.on("data", (chunk) => (out += chunk));
  /** What the process printed, once it exited normally. */
  process_.result = async () => {
    const [code] = process_.exitCode === null ? await once(process_, "exit") : [process_.exitCode];
    assert.equal(code, 0, out);
    return JSON.parse(out.trim().split("\n").at(-1));
  };
  return process_;
}

/** A body for `child`: the token, or the error's code and fields. */
const outcome = `
  try { return (await client.getToken()).accessToken; }
  catch (e) { return { code: e.code, status: e.status ?? null, retryAfterMs: e.retryAfterMs ?? null }; }
`;

/** The one token entry in `dir`: its path and record. */
function tokenEntry(dir) {
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const record = JSON.parse(fs.readFileSync(join(dir, name), "utf8"));
    if (typeof record.value?.accessToken === "string") return { path: join(dir, name), record };
  }
  throw new Error(`no token entry in ${fs.readdirSync(dir)}`);
}

test("8 processes × 200 concurrent getToken() on a cold cache: one request", async (t) => {
  server.reset();
  server.next({ delayMs: 300 });
  const dir = folder();
  const body = `
    const tokens = await Promise.all(Array.from({ length: 200 }, () => client.getToken()));
    return [...new Set(tokens.map((t) => t.accessToken))];
  `;
  const started = Date.now();
  const children = Array.from({ length: 8 }, () => child(dir, demo, body));
  const results = await Promise.all(children.map((c) => c.result()));
  t.diagnostic(`${server.requests.length} token request(s) for 8 × 200 calls in ${Date.now() - started} ms`);
  assert.equal(server.requests.length, 1);
  const all = new Set(results.flat());
  assert.equal(all.size, 1);
  assert.ok(server.tokens.has([...all][0]));
  const { record } = tokenEntry(dir);
  assert.equal(record.value.accessToken, [...all][0]);
  assert.ok(Math.abs(record.expiresAt - record.value.expiresAt) < 1_000 && record.expiresAt > Date.now(), JSON.stringify(record));
  assert.equal(new Date(record.expires).getTime(), record.expiresAt);
  assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith(".tmp")), "no temporary file is left");
});

test("a 0700 folder made with its parents, 0600 files, a wider folder tightened, whatever the umask", async () => {
  const umask = process.umask(0);
  try {
    const parent = folder();
    const dir = join(parent, "a", "b");
    const store = createFileStore({ dir });
    assert.equal(fs.existsSync(parent), false, "nothing is made before the first write");
    await store.set("k", { retryAt: Date.now() + 60_000 }, 60_000);
    const release = await store.lock("k:lock", 60_000);
    assert.equal(typeof release, "function");
    for (const path of [parent, join(parent, "a"), dir]) assert.equal(mode(path), 0o700, path);
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 2, files.join());
    for (const name of files) assert.equal(mode(join(dir, name)), 0o600, name);
    release();
    for (const name of fs.readdirSync(dir)) assert.equal(mode(join(dir, name)), 0o600, name);

    fs.chmodSync(dir, 0o755);
    await store.set("k", { retryAt: Date.now() + 60_000 }, 60_000);
    assert.equal(mode(dir), 0o700);
    fs.chmodSync(dir, 0o777);
    assert.equal(typeof (await store.lock("other:lock", 1_000)), "function");
    assert.equal(mode(dir), 0o700);
  } finally {
    process.umask(umask);
  }
});

test("another user's folder is refused, and TokenClient then fetches on its own", { skip: !isRoot && "needs root to chown" }, async () => {
  server.reset();
  const dir = folder();
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, 12345, 12345);
  const store = createFileStore({ dir });
  assert.match((await rejection(store.set("k", { retryAt: 1 }, 1000))).message, /another user/);
  const warn = console.warn;
  const warnings = [];
  console.warn = (message) => warnings.push(String(message));
  try {
    const token = await new TokenClient({ ...demo, baseUrl: server.url, store }).getToken();
    assert.ok(server.tokens.has(token.accessToken));
  } finally {
    console.warn = warn;
  }
  assert.equal(server.requests.length, 1);
  assert.ok(warnings.some((w) => /another user/.test(w)), warnings.join("\n"));
  assert.deepEqual(fs.readdirSync(dir), []);
});

test("get honours the entry's ttl; delete removes it; bad options throw", async () => {
  const store = createFileStore({ dir: folder() });
  assert.equal(await store.get("k"), null, "a folder not made yet is an empty store");
  await store.set("k", { retryAt: 1 }, 40);
  assert.deepEqual(await store.get("k"), { retryAt: 1 });
  await sleep(60);
  assert.equal(await store.get("k"), null);
  await store.set("k", { retryAt: 2 }, 60_000);
  await store.delete("k");
  assert.equal(await store.get("k"), null);
  await store.delete("never-set");
  for (const bad of [undefined, {}, { dir: "" }, { dir: 42 }]) {
    assert.throws(() => createFileStore(bad), (error) => isSehatmuError(error) && error.code === "invalid_argument" && error.field === "dir");
  }
});

test("the lock: one holder, expiry after its ttl, release by its holder only", async () => {
  const store = createFileStore({ dir: folder() });
  const first = await store.lock("k:lock", 60);
  assert.equal(typeof first, "function");
  assert.equal(await store.lock("k:lock", 60_000), null);
  assert.equal(typeof (await store.lock("other:lock", 60_000)), "function", "locks of other keys are separate");
  await sleep(90);
  const second = await store.lock("k:lock", 60_000);
  assert.equal(typeof second, "function", "an expired lock is taken over");
  first(); // late: its lock has a successor, which keeps it
  assert.equal(await store.lock("k:lock", 60_000), null);
  second();
  second(); // twice is once
  const third = await store.lock("k:lock", 60_000);
  assert.equal(typeof third, "function", "a released lock is free");
  third();
  const lockFiles = fs.readdirSync(store.dir).filter((n) => n.startsWith(`${sha256("k:lock")}.lock.`));
  assert.ok(lockFiles.length <= 2, `old generations are swept: ${lockFiles}`);
});

test("taking over an expired lock is race-safe: 8 processes, 20 expired locks, one winner each", async () => {
  const dir = folder();
  const store = createFileStore({ dir });
  const keys = Array.from({ length: 20 }, (_, i) => `race-${i}:lock`);
  for (const key of keys) await store.lock(key, 1);
  await sleep(10);
  const startAt = Date.now() + 2500;
  const body = `
    const wins = [];
    for (const [round, key] of ${JSON.stringify(keys)}.entries()) {
      await new Promise((resolve) => setTimeout(resolve, ${startAt} + round * 50 - Date.now()));
      wins.push(typeof (await store.lock(key, 60_000)) === "function");
    }
    return wins;
  `;
  const results = await Promise.all(Array.from({ length: 8 }, () => child(dir, demo, body).result()));
  keys.forEach((key, round) => {
    assert.equal(results.filter((wins) => wins[round]).length, 1, `${key}: ${results.map((w) => w[round])}`);
  });
});

test("writes are atomic: a reader in another process never sees part of an entry", async (t) => {
  const dir = folder();
  const pad = "x".repeat(256 * 1024);
  const done = join(root, `writer-done-${folders}`);
  const writer = child(
    dir,
    demo,
    `
      for (let i = 0; i < 300; i++) {
        await store.set("k", { accessToken: "t" + i, expiresAt: Date.now() + 3_600_000, raw: { pad: "x".repeat(${pad.length}) } }, 60_000);
      }
      (await import("node:fs")).writeFileSync(${JSON.stringify(done)}, "");
      return "written";
    `,
  );
  const store = createFileStore({ dir });
  let reads = 0;
  const seen = new Set();
  const deadline = Date.now() + 60_000;
  try {
    while (!fs.existsSync(done) && Date.now() < deadline) {
      let text;
      try {
        text = fs.readFileSync(join(dir, `${sha256("k")}.json`), "utf8");
      } catch (error) {
        if (error.code === "ENOENT" && seen.size === 0) continue; // not written yet
        throw error;
      }
      const record = JSON.parse(text); // throws on part of a file
      assert.equal(record.value.raw.pad.length, pad.length);
      seen.add(record.value.accessToken);
      const value = await store.get("k");
      assert.equal(value.raw.pad.length, pad.length);
      reads++;
    }
  } finally {
    if (!fs.existsSync(done)) writer.kill();
  }
  assert.equal(await writer.result(), "written");
  t.diagnostic(`${reads} whole reads of ${seen.size} different entries during 300 writes`);
  assert.ok(reads > 10 && seen.size > 1, `${reads} reads, ${seen.size} entries`);
  assert.equal((await store.get("k")).accessToken, "t299");
  assert.deepEqual(fs.readdirSync(dir), [`${sha256("k")}.json`], "no temporary file is left");
});

test("a lock holder killed mid-request: once its lock expires one waiter fetches, and every waiter gets its token though the request takes seconds", async (t) => {
  server.reset();
  // The holder's request never ends; its successor's takes 3 s, within its timeout but past the
  // moment the other waiters would have given up had their patience started when they did.
  server.next({ delayMs: 20_000 }, { delayMs: 3_000 });
  const dir = folder();
  const options = { ...demo, timeoutMs: 4_000, retries: 0 }; // the lock lives 4 s
  const holder = child(dir, options, outcome);
  while (server.requests.length === 0) await sleep(20);
  const waiters = [1, 2, 3].map(() => child(dir, options, outcome));
  await sleep(300);
  holder.kill("SIGKILL");
  await once(holder, "exit");
  const held = fs.readdirSync(dir).filter((n) => /\.lock\.\d+$/.test(n));
  assert.equal(held.length, 1, held.join());
  const { expiresAt } = JSON.parse(fs.readFileSync(join(dir, held[0]), "utf8"));
  while (server.requests.length === 1 && Date.now() < expiresAt + 5_000) await sleep(10);
  const takenOverAt = Date.now();
  const results = await Promise.all(waiters.map((w) => w.result()));
  t.diagnostic(`taken over ${takenOverAt - expiresAt} ms after the lock's expiry; the waiters got ${JSON.stringify(results)}`);
  assert.ok(takenOverAt >= expiresAt - 50, `not before the dead holder's lock expired (${takenOverAt - expiresAt} ms)`);
  assert.equal(server.requests.length, 2);
  const [token] = results;
  assert.equal(typeof token, "string", JSON.stringify(results));
  assert.ok(server.tokens.has(token));
  assert.deepEqual(results, [token, token, token]);
});

test("a 401 seen by one process makes the others reject with rate_limited, sending nothing", async () => {
  server.reset();
  const dir = folder();
  const first = await child(dir, { ...demo, clientSecret: "wrong" }, outcome).result();
  assert.equal(first.code, "invalid_credentials");
  const others = await Promise.all([1, 2, 3].map(() => child(dir, demo, outcome).result()));
  for (const other of others) {
    assert.equal(other.code, "rate_limited");
    assert.equal(other.status, null);
    assert.ok(other.retryAfterMs > 50_000 && other.retryAfterMs <= 60_000, String(other.retryAfterMs));
  }
  assert.equal(server.requests.length, 1);
  const wait = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  assert.equal(wait.length, 1);
  const record = JSON.parse(fs.readFileSync(join(dir, wait[0]), "utf8"));
  assert.ok(record.key.endsWith(":wait") && Math.abs(record.value.retryAt - record.expiresAt) < 1_000, JSON.stringify(record));
});

test("4 processes × 50 calls of the API after a revocation: one new token between them, every call 200", async () => {
  server.reset();
  const dir = folder();
  const children = Array.from({ length: 4 }, () => child(dir, demo, callsOnCue(`${server.url}/fhir/Patient`, 50)));
  const { tokenRequests, statuses } = await callsAfterRevocation(server, children);
  assert.equal(server.requests.length - tokenRequests, 1, "one token for the four before");
  assert.equal(tokenRequests, 1, "one new token request for 200 rejected calls in 4 processes");
  assert.equal(statuses.length, 200);
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.equal(server.apiRequests.length, 400, "each call replayed once");
});

test("unreadable and foreign files are ignored and replaced", async () => {
  const dir = folder();
  const store = createFileStore({ dir });
  server.reset();
  await new TokenClient({ ...demo, baseUrl: server.url, store }).getToken();
  const { path, record } = tokenEntry(dir);
  const valid = JSON.stringify(record);
  const lockName = `${sha256(`${record.key}:lock`)}.lock.`;
  const cases = {
    "not JSON": () => fs.writeFileSync(path, '{"key": '),
    empty: () => fs.writeFileSync(path, ""),
    "an array": () => fs.writeFileSync(path, "[]"),
    "another key's entry": () => fs.writeFileSync(path, JSON.stringify({ ...record, key: `${record.key}x` })),
    "no value": () => fs.writeFileSync(path, JSON.stringify({ ...record, value: null })),
    "a folder": () => fs.mkdirSync(join(path, "inside"), { recursive: true }),
    "a symbolic link": () => {
      fs.writeFileSync(`${path}.elsewhere`, valid);
      fs.symlinkSync(`${path}.elsewhere`, path);
    },
    "another user's file": isRoot
      ? () => {
          fs.writeFileSync(path, valid);
          fs.chownSync(path, 12345, 12345);
        }
      : null,
    "a garbled lock": () => {
      fs.writeFileSync(path, "garbage");
      fs.writeFileSync(join(dir, `${lockName}999`), "garbage");
    },
    "a folder for a lock": () => {
      fs.writeFileSync(path, "garbage");
      fs.mkdirSync(join(dir, `${lockName}5000`));
    },
  };
  for (const [label, spoil] of Object.entries(cases)) {
    if (!spoil) continue;
    fs.rmSync(path, { recursive: true, force: true });
    spoil();
    const before = server.requests.length;
    const token = await new TokenClient({ ...demo, baseUrl: server.url, store }).getToken();
    assert.equal(server.requests.length, before + 1, `${label}: ignored, so a token is fetched`);
    const stat = fs.lstatSync(path);
    assert.ok(stat.isFile(), `${label}: replaced by a file`);
    assert.equal(stat.mode & 0o777, 0o600);
    if (isRoot) assert.equal(stat.uid, 0);
    assert.equal(JSON.parse(fs.readFileSync(path, "utf8")).value.accessToken, token.accessToken, label);
    assert.equal((await store.get(record.key)).accessToken, token.accessToken, label);
  }
  fs.rmSync(`${path}.elsewhere`, { force: true });
});

test("the secret shows in no file name and no file", async () => {
  const dir = folder();
  const store = createFileStore({ dir });
  server.reset();
  const wrong = "WRONG-SECRET-file-store-0123456789";
  await new TokenClient({ ...demo, baseUrl: server.url, store }).getToken();
  const error = await rejection(new TokenClient({ ...demo, clientSecret: wrong, baseUrl: server.url, store }).getToken({ forceRefresh: true }));
  assert.equal(error.code, "invalid_credentials");
  const names = fs.readdirSync(dir);
  const records = names.map((name) => JSON.parse(fs.readFileSync(join(dir, name), "utf8")));
  assert.ok(records.some((r) => typeof r.value?.accessToken === "string"), "a token entry");
  assert.ok(records.some((r) => typeof r.value?.retryAt === "number"), "a wait entry");
  assert.ok(records.some((r) => typeof r.owner === "string"), "a lock");
  for (const name of names) {
    const text = name + fs.readFileSync(join(dir, name), "utf8");
    for (const secret of [DEMO.clientSecret, wrong]) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]) {
        assert.ok(!text.includes(form), `${name} holds a form of the secret`);
      }
    }
    assert.equal(mode(join(dir, name)), 0o600, name);
    assert.match(name, /^[0-9a-f]{64}\.(json|lock\.\d+)$/);
  }
});
