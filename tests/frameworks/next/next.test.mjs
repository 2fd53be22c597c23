// The packed package in a Next.js 16 app, as a new user would write it, with no Next config at
// all: a route handler (Node runtime, a TokenClient), sehatmu-auth/proxy as another, and a
// client component (getToken in the browser), built with Turbopack (`next build`, the default)
// and with webpack (`next build --webpack`), served by `next start` and checked with HTTP
// requests to the routes and headless Chromium. The app (this folder's app/, package.json and
// lock) is copied into a temporary project with this folder's node_modules, and the tarball
// installed there: the build output stays in that project.
//
// Needs SEHATMU_TARBALL (scripts/test.sh sets it) and this folder's own npm install.
import assert from "node:assert/strict";
import { execFile as execFileCallback, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { chromium } from "playwright-core";

const execFile = promisify(execFileCallback);
const tarball = process.env.SEHATMU_TARBALL;
const HERE = fileURLToPath(new URL(".", import.meta.url));
const EXPECTED = { code: "invalid_credentials", branded: true, name: "SehatmuError" };

let project;
let mock;
let demo;
let browser;

before(async () => {
  assert.ok(tarball, "SEHATMU_TARBALL names the packed package");
  project = await mkdtemp(join(tmpdir(), "sehatmu-next-"));
  for (const entry of ["package.json", "package-lock.json", "app", "node_modules"]) {
    await cp(join(HERE, entry), join(project, entry), { recursive: true, verbatimSymlinks: true });
  }
  await execFile("npm", ["install", "--silent", "--no-save", "--no-audit", "--no-fund", tarball], { cwd: project });
  // The mock server as the app's own tests would use it: from the installed package.
  const { DEMO_CLIENTS, startMockServer } = await import(pathToFileURL(join(project, "node_modules/sehatmu-auth/mock/server.js")).href);
  [demo] = DEMO_CLIENTS;
  mock = await startMockServer({ rateLimitWindowMs: 0 });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await mock?.close();
  if (project) await rm(project, { recursive: true, force: true });
});

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const next = (...args) => [join(project, "node_modules/next/dist/bin/next"), ...args];
const env = () => ({
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  SEHATMU_BASE_URL: mock.url,
  SEHATMU_CLIENT_ID: demo.clientId,
  SEHATMU_CLIENT_SECRET: demo.clientSecret,
});

/** `next start` on 127.0.0.1 and a free port, until it answers; returns its URL and a stop(). */
async function start() {
  const port = await freePort();
  const server = spawn(process.execPath, next("start", "-H", "127.0.0.1", "-p", String(port)), {
    cwd: project,
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  server.stdout.on("data", (chunk) => (log += chunk));
  server.stderr.on("data", (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = once(server, "exit");
      server.kill("SIGTERM");
      await exited;
    }
  };
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode}: ${log}`);
    try {
      await fetch(url, { method: "HEAD" });
      return { url, stop, log: () => log };
    } catch {
      if (i > 300) {
        await stop();
        throw new Error(`next start did not answer: ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function checkApp(url) {
  // The route handler: a token of the mock, the second request from the TokenClient's cache.
  const before = mock.requests.length;
  const first = await fetch(`${url}/api/token`);
  const firstBody = await first.text();
  assert.equal(first.status, 200, firstBody);
  const { accessToken } = JSON.parse(firstBody);
  assert.ok(mock.tokens.has(accessToken), `a token of the mock server: ${firstBody}`);
  assert.ok(!firstBody.includes(demo.clientSecret));
  const second = await (await fetch(`${url}/api/token`)).json();
  assert.equal(second.accessToken, accessToken);
  assert.equal(mock.requests.length - before, 1, "one token request for two route calls");

  // sehatmu-auth/proxy in a route handler: the path rule (from the .wasm), then the API.
  const signedIn = { headers: { "x-signed-in": "yes" } };
  const apiBefore = mock.apiRequests.length;
  const proxied = await fetch(`${url}/sehatmu/fhir/Patient`, signedIn);
  const proxiedBody = await proxied.text();
  assert.equal(proxied.status, 200, proxiedBody);
  assert.ok(!proxiedBody.includes(accessToken) && !proxiedBody.includes(demo.clientSecret));
  assert.equal((await fetch(`${url}/sehatmu/fhir/Patient`)).status, 401);
  assert.equal((await fetch(`${url}/sehatmu/oauth/token`, signedIn)).status, 404);
  assert.equal((await fetch(`${url}/sehatmu/fhir/Patient%2Fx`, signedIn)).status, 400);
  assert.equal(mock.apiRequests.length - apiBefore, 1, "only the allowed path reaches the API");

  // The client component, in headless Chromium.
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(`${url}/`);
  const output = page.getByTestId("browser-result");
  await page.waitForFunction(() => document.querySelector('[data-testid="browser-result"]')?.textContent !== "", null, { timeout: 30_000 });
  const result = JSON.parse(await output.textContent());
  await page.close();
  assert.ok(mock.tokens.has(result.token), `a token of the mock server: ${JSON.stringify(result)}`);
  assert.deepEqual({ code: result.code, branded: result.branded, name: result.name }, EXPECTED);
  assert.deepEqual(errors, []);
}

for (const [bundler, flags] of [
  ["Turbopack (next build, the default)", []],
  ["webpack (next build --webpack)", ["--webpack"]],
]) {
  test(`Next.js 16, ${bundler}: a route handler and a client component, no config`, async (t) => {
    const started = Date.now();
    await execFile(process.execPath, next("build", ...flags), { cwd: project, env: env(), timeout: 600_000, maxBuffer: 16 << 20 });
    t.diagnostic(`next build ${flags.join(" ")} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const app = await start();
    try {
      await checkApp(app.url);
    } finally {
      await app.stop();
    }
  });
}
