// `npm run bench`: what sehatmu-auth costs a user, side by side with what they would use instead,
// in one run on one machine against one local token server (the mock, on 127.0.0.1). Prints a
// table and writes it to bench/RESULTS.md. Timings vary between machines; compare the ratios.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { cpus, totalmem, type, release } from "node:os";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import * as oauth from "oauth4webapi";

import { TokenClient, getToken } from "../js/node.mjs";
import { createProxy, toNodeListener } from "../js/proxy.js";
import { DEMO_CLIENTS, startMockServer } from "../mock/server.js";
import { bundle as bundleFrom, webEntry } from "../scripts/size.mjs";

const ROOT = new URL("../", import.meta.url);
const glue = createRequire(import.meta.url)("../pkg/server/sehatmu_auth.cjs");
const RFC = DEMO_CLIENTS.find((c) => c.shape === "rfc6749");
const SEQUENTIAL = Number(process.env.BENCH_CALLS ?? 2000);
const MEMORY_CALLS = Number(process.env.BENCH_MEMORY_CALLS ?? 100_000);
// Fresh processes per cold start contender and per phase row: 15 left medians that moved by
// 1 to 2 ms between runs, more than some targets' margins.
const COLD_PROCESSES = Number(process.env.BENCH_COLD_PROCESSES ?? 41);
const rows = [];
const row = (section, what, value, note = "") => {
  rows.push({ section, what, value, note });
  console.log(`${section.padEnd(18)} ${what.padEnd(44)} ${String(value).padStart(14)}  ${note}`);
};

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** `source`, bundled and minified as the size budget measures, its imports resolved from bench/. */
const bundle = (source) => bundleFrom(source, new URL(".", import.meta.url).pathname);

async function bundleSizes() {
  const { wasm, js: ours } = await webEntry();
  const alternative = await bundle(`
    import * as oauth from "oauth4webapi";
    export async function getToken(clientId, clientSecret, baseUrl) {
      const as = { issuer: baseUrl, token_endpoint: baseUrl + "/oauth/token" };
      const client = { client_id: clientId };
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(clientSecret), new URLSearchParams());
      return oauth.processClientCredentialsResponse(as, client, response);
    }`);
  const floor = await bundle(`
    export async function getToken(clientId, clientSecret, baseUrl) {
      const response = await fetch(baseUrl + "/oauth/token?grant_type=client_credentials", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: "client_credentials" }),
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return JSON.parse(await response.text());
    }`);
  const sized = (label, files) => {
    const gz = files.reduce((n, f) => n + gzip(f), 0);
    const br = files.reduce((n, f) => n + brotli(f), 0);
    row("bundle size", label, `${gz} B gz`, `${br} B brotli, ${files.reduce((n, f) => n + f.length, 0)} B raw`);
    return gz;
  };
  const oursGz = sized("sehatmu-auth web entry: .wasm + JS", [wasm, ours]);
  sized("  of which the .wasm", [wasm]);
  sized("  of which the JS (glue + entry, minified)", [ours]);
  sized("oauth4webapi client credentials (minified)", [alternative]);
  sized("hand-written fetch (the floor)", [floor]);
  return oursGz;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p99: at(0.99) };
}

/** Per-call times of each contender, their calls interleaved so that drift in the machine's
 * load (and the JIT's warm-up) falls on all of them alike. */
async function timeCalls(contenders) {
  for (let i = 0; i < 100; i++) for (const call of contenders) await call(); // warm-up
  const samples = contenders.map(() => []);
  // Each round starts with the next contender: work that a call leaves behind (a collection
  // of its garbage, its connection's bookkeeping) lands in the call after it, which is then
  // each of the others in turn, not always the same one.
  for (let i = 0; i < SEQUENTIAL; i++) {
    for (let k = 0; k < contenders.length; k++) {
      const n = (i + k) % contenders.length;
      const start = performance.now();
      await contenders[n]();
      samples[n].push(performance.now() - start);
    }
  }
  return samples.map(stats);
}

async function oneRequest(baseUrl) {
  const floor = () =>
    fetch(`${baseUrl}/oauth/token?grant_type=client_credentials`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ client_id: RFC.clientId, client_secret: RFC.clientSecret, grant_type: "client_credentials" }),
    }).then(async (r) => JSON.parse(await r.text()));
  const as = { issuer: baseUrl, token_endpoint: `${baseUrl}/oauth/token` };
  const client = { client_id: RFC.clientId };
  const auth = oauth.ClientSecretPost(RFC.clientSecret);
  const alternative = async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), { [oauth.allowInsecureRequests]: true });
    return oauth.processClientCredentialsResponse(as, client, response);
  };
  const ours = () => getToken(RFC.clientId, RFC.clientSecret, { baseUrl });
  const [base, ...others] = await timeCalls([floor, ours, alternative]);
  const fmt = (s) => `${(s.median * 1000).toFixed(0)} µs`;
  row("one request", `plain fetch + JSON.parse (the floor), ${SEQUENTIAL} calls`, fmt(base), `p99 ${(base.p99 * 1000).toFixed(0)} µs`);
  for (const [label, s] of [["sehatmu-auth getToken", others[0]], ["oauth4webapi", others[1]]]) {
    row("one request", label, fmt(s), `p99 ${(s.p99 * 1000).toFixed(0)} µs; ${(s.median / base.median).toFixed(2)}x the floor (p99 ${(s.p99 / base.p99).toFixed(2)}x)`);
  }
}

async function cached(baseUrl) {
  const client = new TokenClient({ clientId: RFC.clientId, clientSecret: RFC.clientSecret, baseUrl });
  await client.getToken();
  const memo = Promise.resolve({ accessToken: "x" });
  const baseline = () => memo;
  // What a hand-written cache does on each call besides: tell whether its token is still good.
  const expiresAt = Date.now() + 3_600_000;
  const checked = () => (Date.now() < expiresAt ? memo : Promise.reject(new Error("expired")));
  // Seven rounds of 100,000 calls each, the contenders alternating, and each one's median
  // round: a collection or a JIT tier-up that lands in one round moves only that round.
  const contenders = [baseline, checked, () => client.getToken()];
  const rounds = contenders.map(() => []);
  for (const call of contenders) for (let i = 0; i < 10_000; i++) await call();
  for (let round = 0; round < 7; round++) {
    for (const [n, call] of contenders.entries()) {
      const start = performance.now();
      for (let i = 0; i < 100_000; i++) await call();
      rounds[n].push(((performance.now() - start) * 1000) / 100_000);
    }
  }
  const [base, withCheck, ours] = rounds.map((micros) => {
    const { median } = stats(micros);
    return { perSecond: Math.round(1e6 / median), micros: median };
  });
  const ratio = (r) => `${(r.micros / base.micros).toFixed(1)}x the baseline`;
  row("cached token", "a memoised promise (JS baseline)", `${base.perSecond.toLocaleString("en")} /s`, `${base.micros.toFixed(3)} µs a call`);
  row("cached token", "a memoised promise, Date.now() expiry check", `${withCheck.perSecond.toLocaleString("en")} /s`, `${withCheck.micros.toFixed(3)} µs a call; ${ratio(withCheck)}`);
  row("cached token", "TokenClient.getToken(), warm", `${ours.perSecond.toLocaleString("en")} /s`, `${ours.micros.toFixed(3)} µs a call; ${ratio(ours)}`);
}

/** Starts `handler` on an HTTP server on 127.0.0.1: its URL and `close`. */
async function listen(handler) {
  const http = createServer(handler);
  http.keepAliveTimeout = 60_000;
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    close: () => new Promise((resolve) => (http.closeAllConnections(), http.close(resolve))),
  };
}

/** A stand-in for the SehatMu API: reads the request's body, answers 200 with a small FHIR Bundle. */
function startApi() {
  const bundle = JSON.stringify({ resourceType: "Bundle", type: "searchset", total: 1, entry: [{ resource: { resourceType: "Patient", id: "p1" } }] });
  return listen((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/fhir+json" });
      res.end(bundle);
    });
  });
}

/** Calls per second of each contender with `inFlight` calls at a time, in rounds that alternate between them. */
async function throughput(contenders, inFlight, perRound = inFlight * 40, rounds = 6) {
  const totals = contenders.map(() => ({ calls: 0, ms: 0 }));
  const run = async (call) => {
    let left = perRound;
    const worker = async () => {
      while (left-- > 0) await call();
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: inFlight }, worker));
    return performance.now() - start;
  };
  for (const call of contenders) await run(call); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [n, call] of contenders.entries()) {
      totals[n].ms += await run(call);
      totals[n].calls += perRound;
    }
  }
  return totals.map(({ calls, ms }) => (calls / ms) * 1000);
}

/** Every API call: `TokenClient.fetch` with a warm token against a plain `fetch` with the same header. */
async function apiCalls(baseUrl) {
  const api = await startApi();
  try {
    const client = new TokenClient({ clientId: RFC.clientId, clientSecret: RFC.clientSecret, baseUrl });
    const header = await client.authorizationHeader();
    const url = `${api.url}/fhir/Patient?identifier=x`;
    const plain = () => fetch(url, { headers: { authorization: header } }).then((r) => r.text());
    const ours = () => client.fetch(url).then((r) => r.text());
    const withHeader = async () => fetch(url, { headers: { authorization: await client.authorizationHeader() } }).then((r) => r.text());
    const [base, viaFetch, viaHeader] = await timeCalls([plain, ours, withHeader]);
    const fmt = (s) => `${(s.median * 1000).toFixed(0)} µs`;
    row("API call", `plain fetch with the header (the floor), ${SEQUENTIAL} calls`, fmt(base), `p99 ${(base.p99 * 1000).toFixed(0)} µs`);
    for (const [label, s] of [["TokenClient.fetch, warm token", viaFetch], ["fetch with await authorizationHeader()", viaHeader]]) {
      const over = ((s.median - base.median) * 1000).toFixed(0);
      row("API call", label, fmt(s), `${(s.median / base.median).toFixed(2)}x the floor (+${over} µs; p99 ${(s.p99 / base.p99).toFixed(2)}x)`);
    }
    const [plainRate, oursRate] = await throughput([plain, ours], 64);
    row("API call", "plain fetch, 64 in flight", `${Math.round(plainRate).toLocaleString("en")} /s`, "");
    row("API call", "TokenClient.fetch, 64 in flight", `${Math.round(oursRate).toLocaleString("en")} /s`, `${(oursRate / plainRate).toFixed(2)}x the floor's throughput`);
  } finally {
    await api.close();
  }
}

/** `sehatmu-auth/proxy` behind `toNodeListener`, against a hand-written pass-through. */
async function proxy(baseUrl) {
  const api = await startApi();
  const client = new TokenClient({ clientId: RFC.clientId, clientSecret: RFC.clientSecret, baseUrl });
  const header = await client.authorizationHeader();
  const ours = await listen(toNodeListener(createProxy({ client, authorize: () => true, upstream: api.url })));
  const hand = await listen(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const upstream = await fetch(api.url + req.url, {
      method: req.method,
      headers: { authorization: header, accept: req.headers.accept ?? "application/fhir+json" },
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  try {
    const through = (origin) => () => fetch(`${origin}/fhir/Patient?identifier=x`).then((r) => r.text());
    const [base, s] = await timeCalls([through(hand.url), through(ours.url)]);
    const fmt = (t) => `${(t.median * 1000).toFixed(0)} µs`;
    row("proxy", `hand-written pass-through (the floor), ${SEQUENTIAL} requests`, fmt(base), `p99 ${(base.p99 * 1000).toFixed(0)} µs`);
    row("proxy", "createProxy + toNodeListener", fmt(s), `${(s.median / base.median).toFixed(2)}x the floor (p99 ${(s.p99 / base.p99).toFixed(2)}x)`);
    const [handRate, oursRate] = await throughput([through(hand.url), through(ours.url)], 64);
    row("proxy", "hand-written pass-through, 64 in flight", `${Math.round(handRate).toLocaleString("en")} /s`, "");
    row("proxy", "createProxy, 64 in flight", `${Math.round(oursRate).toLocaleString("en")} /s`, `${(oursRate / handRate).toFixed(2)}x the floor's throughput`);
  } finally {
    await Promise.all([ours.close(), hand.close(), api.close()]);
  }
  await uploads(baseUrl);
}

/** The peak memory that 64 concurrent 1 MiB uploads add to a process serving the proxy (a child of its own, so that the bodies sent count only once). */
async function uploads(baseUrl) {
  const api = await startApi();
  const source = `
    import { createServer } from "node:http";
    import { TokenClient } from ${JSON.stringify(new URL("js/node.mjs", ROOT).pathname)};
    import { createProxy, toNodeListener } from ${JSON.stringify(new URL("js/proxy.js", ROOT).pathname)};
    const client = new TokenClient({ clientId: ${JSON.stringify(RFC.clientId)}, clientSecret: ${JSON.stringify(RFC.clientSecret)}, baseUrl: ${JSON.stringify(baseUrl)} });
    await client.getToken();
    const http = createServer(toNodeListener(createProxy({ client, authorize: () => true, upstream: ${JSON.stringify(api.url)} })));
    http.listen(0, "127.0.0.1", () => console.log(http.address().port));
    process.stdin.on("data", () => {
      globalThis.gc?.();
      console.log(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss);
    });
  `;
  const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", source], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = [];
  let waiting;
  child.stdout.on("data", (chunk) => {
    lines.push(...String(chunk).trim().split("\n"));
    waiting?.();
  });
  const nextLine = async () => {
    while (lines.length === 0) await new Promise((resolve) => (waiting = resolve));
    return lines.shift();
  };
  try {
    const url = `http://127.0.0.1:${await nextLine()}/fhir/Binary`;
    const body = new Uint8Array(1 << 20);
    const upload = () => fetch(url, { method: "POST", headers: { "content-type": "application/octet-stream" }, body }).then((r) => r.text());
    await Promise.all(Array.from({ length: 8 }, upload)); // warm-up
    child.stdin.write("\n");
    const [peakBefore] = (await nextLine()).split(" ").map(Number);
    await Promise.all(Array.from({ length: 64 }, upload));
    child.stdin.write("\n");
    const [peakAfter] = (await nextLine()).split(" ").map(Number);
    const raised = peakAfter - peakBefore;
    row("proxy", "64 concurrent 1 MiB uploads: peak memory raised", `${(raised / 2 ** 20).toFixed(1)} MiB`, `${(raised / (64 * 2 ** 20)).toFixed(2)}x the 64 MiB uploaded`);
  } finally {
    child.kill();
    await api.close();
  }
}

async function burst(server) {
  server.reset();
  const client = new TokenClient({ clientId: RFC.clientId, clientSecret: RFC.clientSecret, baseUrl: server.url });
  const start = performance.now();
  const tokens = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken()));
  const ms = performance.now() - start;
  const distinct = new Set(tokens.map((t) => t.accessToken)).size;
  row("burst", "10,000 concurrent getToken(), cold client", `${ms.toFixed(1)} ms`, `${server.requests.length} request(s) seen, ${distinct} distinct token(s)`);
}

/** What a new Node process (this one's Node) running the ES module `source` prints. */
function runNode(source) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
  });
}

/** Median ms from `import` to the first resolved token, over fresh Node processes. */
async function coldStart(baseUrl) {
  const ours = `const t0 = performance.now();
    const { getToken } = await import(${JSON.stringify(new URL("js/node.mjs", ROOT).pathname)});
    await getToken(${JSON.stringify(RFC.clientId)}, ${JSON.stringify(RFC.clientSecret)}, { baseUrl: ${JSON.stringify(baseUrl)} });
    console.log(performance.now() - t0);`;
  const alternative = `const t0 = performance.now();
    const oauth = await import(${JSON.stringify(createRequire(import.meta.url).resolve("oauth4webapi"))});
    const as = { issuer: ${JSON.stringify(baseUrl)}, token_endpoint: ${JSON.stringify(`${baseUrl}/oauth/token`)} };
    const client = { client_id: ${JSON.stringify(RFC.clientId)} };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(${JSON.stringify(RFC.clientSecret)}), new URLSearchParams(), { [oauth.allowInsecureRequests]: true });
    await oauth.processClientCredentialsResponse(as, client, response);
    console.log(performance.now() - t0);`;
  const floor = `const t0 = performance.now();
    const response = await fetch(${JSON.stringify(`${baseUrl}/oauth/token?grant_type=client_credentials`)}, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ client_id: ${JSON.stringify(RFC.clientId)}, client_secret: ${JSON.stringify(RFC.clientSecret)}, grant_type: "client_credentials" }),
    });
    JSON.parse(await response.text());
    console.log(performance.now() - t0);`;
  const run = async (source) => Number(await runNode(source));
  const contenders = [["plain fetch (the floor: Node loads its fetch on first use)", floor], ["sehatmu-auth (Node entry)", ours], ["oauth4webapi", alternative]];
  const times = contenders.map(() => []);
  for (let i = 0; i < COLD_PROCESSES; i++) for (const [n, [, source]] of contenders.entries()) times[n].push(await run(source));
  const floorMs = stats(times[0]).median;
  for (const [n, [label]] of contenders.entries()) {
    const ms = stats(times[n]).median;
    row("cold start", `${label}, median of ${COLD_PROCESSES} processes`, `${ms.toFixed(1)} ms`, n === 0 ? "first fetch to first token" : `import to first token: ${(ms - floorMs).toFixed(1)} ms over the floor`);
  }
}

/**
 * Where the cold start of the Node entry goes, median ms of each phase over fresh processes:
 * compiling the .wasm's bytes (read from the shipped file beforehand), the rest of loading the
 * entry (reading and compiling its one JavaScript file, decoding the base64 bytes it holds, and
 * instantiating: its compile finds the module V8 already compiled), and the first `getToken()`
 * (Node's first `fetch` included, as in the floor's first call).
 */
async function coldStartPhases(baseUrl) {
  const path = (file) => JSON.stringify(new URL(file, ROOT).pathname);
  const source = `const { createRequire } = await import("node:module");
    const { readFileSync } = await import("node:fs");
    const require = createRequire(import.meta.url);
    const bytes = readFileSync(${path("pkg/server/sehatmu_auth_bg.wasm")});
    const t0 = performance.now();
    new WebAssembly.Module(bytes);
    const t1 = performance.now();
    const { getToken } = require(${path("js/node.cjs")});
    const t2 = performance.now();
    await getToken(${JSON.stringify(RFC.clientId)}, ${JSON.stringify(RFC.clientSecret)}, { baseUrl: ${JSON.stringify(baseUrl)} });
    const t3 = performance.now();
    console.log(JSON.stringify([t1 - t0, t2 - t1, t3 - t2]));`;
  const phases = [[], [], []];
  for (let i = 0; i < COLD_PROCESSES; i++) for (const [n, ms] of JSON.parse(await runNode(source)).entries()) phases[n].push(ms);
  const labels = [
    "compile the .wasm (new WebAssembly.Module)",
    "load the entry: its JavaScript, the base64 bytes it holds, instantiate",
    "first getToken(), Node's first fetch included",
  ];
  for (const [n, label] of labels.entries()) row("cold start phases", `${label}, median of ${COLD_PROCESSES} processes`, `${stats(phases[n]).median.toFixed(1)} ms`);
}

async function memory() {
  const server = createServer((req, res) => {
    if (req.url.includes("/fail/")) {
      res.writeHead(500);
      return res.end("boom");
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"access_token":"t","token_type":"bearer","expires_in":3600}');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const calls = async (n, path) => {
    for (let i = 0; i < n; i++) await getToken("c", "s", { baseUrl: base + path }).catch(() => {});
  };
  await calls(500, "/fail/");
  await calls(500, "");
  const before = glue.wasmMemoryBytes();
  const start = performance.now();
  await calls(MEMORY_CALLS, "/fail/");
  await calls(MEMORY_CALLS, "");
  const after = glue.wasmMemoryBytes();
  server.closeAllConnections();
  server.close();
  row(
    "memory",
    `wasm memory, ${MEMORY_CALLS.toLocaleString("en")} server_error + ${MEMORY_CALLS.toLocaleString("en")} successes`,
    `${before} → ${after} B`,
    `${after === before ? "no growth" : `grew ${after - before} B`} after the first 1,000 calls (${((performance.now() - start) / 1000).toFixed(0)} s)`,
  );
}

function machine() {
  const cpu = cpus();
  return `${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${type()} ${release()}, Node ${process.version}`;
}

// `--cold-start` runs only the cold start rows (scripts/bench.sh does so on the Node lines the
// tests run on besides the full runs' own).
// BENCH_ONLY="proxy api" runs only the sections named (bundle, request, cached, burst, api, proxy,
// cold, memory), prints them and writes nothing: for working on one row.
const coldOnly = process.argv.includes("--cold-start");
const only = process.env.BENCH_ONLY?.split(/[\s,]+/).filter(Boolean);
const runs = (name) => (only ? only.includes(name) : !coldOnly || name === "cold");
const server = await startMockServer();
try {
  if (runs("bundle")) await bundleSizes();
  if (runs("request")) await oneRequest(server.url);
  if (runs("cached")) await cached(server.url);
  if (runs("burst")) await burst(server);
  if (runs("api")) await apiCalls(server.url);
  if (runs("proxy")) await proxy(server.url);
  if (runs("cold")) {
    await coldStart(server.url);
    await coldStartPhases(server.url);
  }
  if (runs("memory")) await memory();
} finally {
  await server.close();
}

if (only) process.exit(0);
// RESULTS.md holds one section per Node line (scripts/bench.sh runs this file on each); a run
// replaces its own line's section and keeps the others.
const major = Number.parseInt(process.versions.node, 10);
const table = [
  "| section | what | value | note |",
  "|---|---|---|---|",
  ...rows.map((r) => `| ${r.section} | ${r.what} | ${r.value} | ${r.note} |`),
].join("\n");
const section =
  `<!-- node ${major} -->\n## Node ${process.versions.node}\n\n` +
  `Written by \`npm run bench\`${coldOnly ? " (the cold start rows only)" : ""} on ${new Date().toISOString().slice(0, 10)}: ${machine()}.\n\n${table}\n`;
const resultsUrl = new URL("RESULTS.md", import.meta.url);
const previous = await readFile(resultsUrl, "utf8").catch(() => "");
const sections = new Map(
  previous
    .split(/^(?=<!-- node \d+ -->$)/m)
    .slice(1)
    .map((text) => [Number(text.match(/^<!-- node (\d+) -->/)[1]), text.trimEnd() + "\n"]),
);
sections.set(major, section);
await writeFile(
  resultsUrl,
  `# Benchmark results\n\n` +
    `One section per Node line, each written by \`npm run bench\` (scripts/bench.sh runs bench/bench.js on the machine's Node and on Node 24, and its cold start rows on Node 22 and 26: every line the tests run on). ` +
    `Every row ran against one local token server (the mock, on 127.0.0.1) that the run started; the cold starts in new Node processes, the rest in the benchmark's own. Absolute times vary between machines, the ratios less.\n\n` +
    [...sections.entries()].sort(([a], [b]) => a - b).map(([, text]) => text).join("\n"),
);
console.log(`\nWrote the Node ${major} section of bench/RESULTS.md`);
