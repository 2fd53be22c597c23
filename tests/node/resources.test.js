// Nothing is left behind: no timer or abort listener after a call, however it ended, and no
// growth of wasm memory or the JS heap over many calls. Each check runs in a child process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";

import { entryPath, gluePath } from "./helpers.js";

/** Runs an ES module in a new Node process; resolves to its stdout and how long it took to exit after printing "done". */
function run(source, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, "--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let doneAt;
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (doneAt === undefined && out.includes("done")) doneAt = Date.now();
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      if (code !== 0) reject(new Error(`child exited with ${code}: ${out}`));
      else resolve({ out, exitMs: Date.now() - doneAt });
    });
  });
}

const SERVER = `
import { createServer } from "node:http";
const server = createServer((req, res) => {
  if (req.url.includes("/hang/")) return; // never answers
  if (req.url.includes("/slow/")) return setTimeout(() => res.end("late"), 300);
  if (req.url.includes("/fail/")) { res.writeHead(500); return res.end("boom"); }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ access_token: "t", expires_in: 3600 }));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = "http://127.0.0.1:" + server.address().port;
const stop = () => { server.closeAllConnections(); server.close(); };
`;

test("timeouts and aborts leave no timer or listener: the process exits right after", async (t) => {
  const { exitMs, out } = await run(`
    import { getEventListeners } from "node:events";
    import { getToken, TokenClient } from ${JSON.stringify(entryPath())};
    ${SERVER}
    const longLived = new AbortController();
    await getToken("c", "s", { baseUrl: base, signal: longLived.signal }); // default 30 s timer
    const timedOut = await getToken("c", "s", { baseUrl: base + "/hang", timeoutMs: 50 }).catch((e) => e.code);
    const early = new AbortController();
    setTimeout(() => early.abort(), 50);
    const aborted = await getToken("c", "s", { baseUrl: base + "/hang", signal: early.signal, timeoutMs: 0 }).catch((e) => e.code);
    const client = new TokenClient({ clientId: "c", clientSecret: "s", baseUrl: base });
    await client.getToken({ signal: longLived.signal });
    const failing = new TokenClient({ clientId: "c", clientSecret: "s", baseUrl: base + "/fail", retries: 1 });
    const failed = await failing.getToken().catch((e) => e.code);
    stop();
    console.log(JSON.stringify({ timedOut, aborted, failed, listeners: getEventListeners(longLived.signal, "abort").length }));
    console.log("done");
  `);
  assert.deepEqual(JSON.parse(out.split("\n")[0]), { timedOut: "timeout", aborted: "aborted", failed: "server_error", listeners: 0 });
  t.diagnostic(`exited ${exitMs} ms after its last call`);
  assert.ok(exitMs < 1000, `the process took ${exitMs} ms to exit: something still holds it`);
});

test("thousands of failing and succeeding calls leave wasm memory and the JS heap flat", async (t) => {
  const { out } = await run(
    `
    import { createRequire } from "node:module";
    import { getToken } from ${JSON.stringify(entryPath())};
    // The glue behind the entry (the same module instance): it exports wasmMemoryBytes().
    const glue = createRequire(import.meta.url)(${JSON.stringify(gluePath())});
    ${SERVER}
    const calls = async (n, path) => {
      for (let i = 0; i < n; i++) await getToken("c", "s", { baseUrl: base + path }).catch((e) => e);
    };
    const measure = () => { gc(); gc(); return { wasm: glue.wasmMemoryBytes(), heap: process.memoryUsage().heapUsed }; };
    await calls(300, "/fail/");
    await calls(300, "");
    const before = measure();
    await calls(2500, "/fail/");
    await calls(2500, "");
    const after = measure();
    stop();
    console.log(JSON.stringify({ before, after }));
    console.log("done");
  `,
    ["--expose-gc"],
  );
  const { before, after } = JSON.parse(out.split("\n")[0]);
  t.diagnostic(`wasm ${before.wasm} -> ${after.wasm} B, JS heap ${before.heap} -> ${after.heap} B`);
  assert.equal(after.wasm, before.wasm, "wasm linear memory grew");
  assert.ok(after.heap - before.heap < 4 * 1024 * 1024, `the JS heap grew by ${after.heap - before.heap} bytes`);
});

test("a request whose client is collected before its answer still gets it; clients made and dropped leave memory flat", async (t) => {
  const { out } = await run(
    `
    import { createRequire } from "node:module";
    import { TokenClient } from ${JSON.stringify(entryPath())};
    const glue = createRequire(import.meta.url)(${JSON.stringify(gluePath())});
    ${SERVER}
    const warm = async () => {
      const client = new TokenClient({ clientId: "c", clientSecret: "s", baseUrl: base });
      await client.getToken();
      return client;
    };
    // Sent with a warm token; nothing but the request holds the client.
    const pending = (await warm()).fetch(base + "/slow/api");
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const late = await pending.then((r) => r.text(), (e) => "rejected: " + e.message);
    // Collected clients are freed by FinalizationRegistry callbacks, which run in later tasks.
    const measure = async () => {
      for (let i = 0; i < 5; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { wasm: glue.wasmMemoryBytes(), heap: process.memoryUsage().heapUsed };
    };
    const clients = async (n) => {
      for (let i = 0; i < n; i++) await (await warm()).fetch(base + "/api").then((r) => r.text());
    };
    // Linear memory never shrinks: it grows to the most that is live at once, so the first
    // rounds set that mark, and a leak shows as growth past it.
    await clients(4000);
    const before = await measure();
    await clients(2000);
    const after = await measure();
    stop();
    console.log(JSON.stringify({ late, before, after }));
    console.log("done");
  `,
    ["--expose-gc"],
  );
  const { late, before, after } = JSON.parse(out.split("\n")[0]);
  t.diagnostic(`wasm ${before.wasm} -> ${after.wasm} B, JS heap ${before.heap} -> ${after.heap} B`);
  assert.equal(late, "late");
  assert.ok(after.wasm - before.wasm <= 65_536, `wasm linear memory grew by ${after.wasm - before.wasm} bytes over 2,000 clients`);
  assert.ok(after.heap - before.heap < 4 * 1024 * 1024, `the JS heap grew by ${after.heap - before.heap} bytes`);
});
