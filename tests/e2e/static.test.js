// The demo page from any static host: a plain static server (files only, no demo-defaults.json,
// no mock) serves the repository root, at / and under a sub-path, and the page runs from
// …/www/ against a mock SehatMu server on another origin (it sends CORS headers). Needs pkg/
// (npm run build).
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { DEMO_CLIENTS, startMockServer } from "../../mock/server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const [DEMO] = DEMO_CLIENTS;
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
};
const SUB_PATH = "/static/host/sub-path";

let site;
let siteUrl;
let mock;
let browser;
const served = [];

/** What any static host does: `prefix` + a path inside the root is that file, a folder is its index.html. */
function staticServer(prefix) {
  return createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    try {
      if (!path.startsWith(`${prefix}/`)) throw new Error("outside the prefix");
      let file = normalize(join(ROOT, path.slice(prefix.length)));
      if (file !== ROOT && !file.startsWith(ROOT + sep)) throw new Error("outside the root");
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      served.push({ path, status: 200 });
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      served.push({ path, status: 404 });
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not found");
    }
  });
}

before(async () => {
  mock = await startMockServer({ rateLimitWindowMs: 0 });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await mock?.close();
  await new Promise((resolve) => (site ? site.close(resolve) : resolve()));
});

async function serve(prefix) {
  if (site) await new Promise((resolve) => site.close(resolve));
  site = staticServer(prefix);
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://127.0.0.1:${site.address().port}${prefix}`;
  served.length = 0;
}

async function open(url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const tokenRequests = [];
  page.on("pageerror", (error) => errors.push(error));
  page.on("request", (request) => request.url().includes("/oauth/token") && tokenRequests.push(request));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[data-testid="defaults"]').textContent !== "");
  return { page, errors, tokenRequests };
}

async function press(page) {
  await page.getByTestId("get-token").click();
  await page.waitForFunction(() => {
    const button = document.querySelector('[data-testid="get-token"]');
    return !button.disabled && document.querySelector('[data-testid="result"]').className !== "";
  });
}

async function fill(page, clientSecret = DEMO.clientSecret) {
  await page.locator('[name="baseUrl"]').fill(mock.url);
  await page.locator('[name="clientId"]').fill(DEMO.clientId);
  await page.locator('[name="clientSecret"]').fill(clientSecret);
}

/** Every file the page asked for was there (a browser's own favicon.ico request aside). */
function assertAllServed() {
  const missing = served.filter((r) => r.status !== 200 && !r.path.endsWith("/favicon.ico") && !r.path.endsWith("/demo-defaults.json"));
  assert.deepEqual(missing, []);
  assert.ok(served.some((r) => r.path.endsWith("/pkg/sehatmu_auth_bg.wasm") && r.status === 200), "the .wasm came from the static host");
}

test("served from the repository root: /www/index.html starts empty, says why, and gets a token", async () => {
  await serve("");
  const { page, errors, tokenRequests } = await open(`${siteUrl}/www/index.html`);
  for (const name of ["baseUrl", "clientId", "clientSecret"]) {
    assert.equal(await page.locator(`[name="${name}"]`).inputValue(), "", `${name} starts empty`);
  }
  assert.match(await page.getByTestId("defaults").textContent(), /No demo-defaults\.json/);
  await fill(page);
  await press(page);
  assert.match(await page.getByTestId("access-token").textContent(), /^[0-9a-f]{40}$/);
  assert.ok(mock.tokens.has(await page.getByTestId("access-token").textContent()));
  assert.equal(tokenRequests.length, 1);
  assertAllServed();
  assert.deepEqual(errors, []);
  await page.close();
});

test("served under a sub-path: …/www/ gets a token, then a wrong secret shows the error and no stale token", async () => {
  await serve(SUB_PATH);
  const { page, errors, tokenRequests } = await open(`${siteUrl}/www/`);
  assert.match(await page.getByTestId("defaults").textContent(), /No demo-defaults\.json/);
  await fill(page);
  await press(page);
  assert.match(await page.getByTestId("access-token").textContent(), /^[0-9a-f]{40}$/);
  await fill(page, "not-the-secret");
  await press(page);
  assert.equal(await page.getByTestId("error-code").textContent(), "invalid_credentials");
  assert.equal(await page.getByTestId("access-token").count(), 0);
  assert.equal(tokenRequests.length, 2);
  assert.ok(served.every((r) => r.path.startsWith(SUB_PATH) || r.path === "/favicon.ico"), JSON.stringify(served));
  assertAllServed();
  assert.ok(!(await page.locator("body").innerText()).includes("not-the-secret"));
  assert.deepEqual(errors, []);
  await page.close();
});
