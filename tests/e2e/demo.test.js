// The demo page as a person uses it, in Debian's headless Chromium driven by playwright-core:
// served by the README's main command (www/server.js), against its mock SehatMu server.
// Screenshots go to test-results/ (not committed).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { once } from "node:events";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { DEMO_CLIENTS } from "../../mock/server.js";

const ROOT = new URL("../../", import.meta.url);
const SHOTS = new URL("test-results/", ROOT);
const [DEMO, SATUSEHAT] = DEMO_CLIENTS;

let serverProcess;
let pageUrl;
let browser;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  serverProcess = spawn(process.execPath, ["www/server.js"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  pageUrl = await new Promise((resolve, reject) => {
    let out = "";
    serverProcess.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/Demo page:\s+(\S+)/);
      if (match) resolve(match[1]);
    });
    serverProcess.once("exit", (code) => reject(new Error(`www/server.js exited with ${code}: ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (serverProcess?.exitCode === null) serverProcess.kill("SIGKILL");
});

/** A page at `width` px that records its token requests and its uncaught errors. */
async function open(width, url = pageUrl) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const tokenRequests = [];
  const errors = [];
  page.on("request", (request) => request.url().includes("/oauth/token") && tokenRequests.push(request));
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('[name="clientId"]').value !== "");
  return { page, tokenRequests, errors };
}

async function press(page) {
  await page.getByTestId("get-token").click();
  await page.waitForFunction(() => {
    const button = document.querySelector('[data-testid="get-token"]');
    return !button.disabled && document.querySelector('[data-testid="result"]').className !== "";
  });
}

test("gets a token, then serves the second press from the TokenClient cache (1280 px)", async () => {
  const { page, tokenRequests, errors } = await open(1280);
  for (const name of ["baseUrl", "clientId", "clientSecret"]) {
    const input = page.locator(`[name="${name}"]`);
    assert.equal(await page.locator(`label[for="${await input.getAttribute("id")}"]`).count(), 1, `${name} has a label`);
  }
  assert.equal(await page.locator('[name="clientSecret"]').getAttribute("type"), "password");
  assert.equal(await page.locator('[name="clientSecret"]').inputValue(), DEMO.clientSecret, "prefilled");

  await press(page);
  const token = await page.getByTestId("access-token").textContent();
  assert.match(token, /^[0-9a-f]{40}$/);
  assert.equal(tokenRequests.length, 1);
  assert.match(await page.getByTestId("result").innerText(), /Klinik Demo Muhammadiyah/);
  assert.match(await page.getByTestId("countdown").textContent(), /^in 59 min \d+ s$/);

  await press(page);
  assert.equal(await page.getByTestId("access-token").textContent(), token);
  assert.match(await page.getByTestId("source").textContent(), /cache/);
  assert.equal(tokenRequests.length, 1, "the second press sends nothing");

  const body = await page.locator("body").innerText();
  assert.ok(!body.includes(DEMO.clientSecret), "the secret is not in the page's text");
  await page.screenshot({ path: new URL("demo-1280.png", SHOTS).pathname, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("works with the keyboard alone and reads at 375 px", async () => {
  const { page, tokenRequests, errors } = await open(375);
  await page.locator('[name="clientSecret"]').focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "get-token");
  await page.keyboard.press("Enter");
  await page.getByTestId("access-token").waitFor();
  assert.equal(tokenRequests.length, 1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
  await page.screenshot({ path: new URL("demo-375.png", SHOTS).pathname, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a page on another origin can call the mock server (CORS)", async () => {
  const otherOrigin = pageUrl.replace("127.0.0.1", "localhost");
  const { page, tokenRequests, errors } = await open(1280, otherOrigin);
  assert.notEqual(new URL(otherOrigin).origin, new URL(await page.locator('[name="baseUrl"]').inputValue()).origin);
  await page.locator('[name="clientId"]').fill(SATUSEHAT.clientId);
  await page.locator('[name="clientSecret"]').fill(SATUSEHAT.clientSecret);
  await press(page);
  assert.match(await page.getByTestId("access-token").textContent(), /^[0-9a-f]{40}$/);
  assert.equal(tokenRequests.length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the same page at /www/, the repository's own layout, is prefilled too and gets a token", async () => {
  const { page, tokenRequests, errors } = await open(1280, new URL("www/", pageUrl).href);
  assert.match(await page.getByTestId("defaults").textContent(), /Prefilled from demo-defaults\.json/);
  await press(page);
  assert.match(await page.getByTestId("access-token").textContent(), /^[0-9a-f]{40}$/);
  assert.equal(tokenRequests.length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a wrong secret shows invalid_credentials and no stale token", async () => {
  const { page, tokenRequests, errors } = await open(1280);
  await press(page);
  await page.getByTestId("access-token").waitFor();
  await page.locator('[name="clientSecret"]').fill("not-the-secret");
  await press(page);
  assert.equal(await page.getByTestId("error-code").textContent(), "invalid_credentials");
  assert.equal(await page.getByTestId("access-token").count(), 0);
  assert.match(await page.getByTestId("result").innerText(), /not able to be authenticated/);
  assert.equal(tokenRequests.length, 2);

  await press(page);
  assert.equal(await page.getByTestId("error-code").textContent(), "rate_limited");
  assert.equal(tokenRequests.length, 2, "the client's guard sends nothing during the wait");
  await page.screenshot({ path: new URL("demo-error-1280.png", SHOTS).pathname, fullPage: true });
  assert.ok(!(await page.locator("body").innerText()).includes("not-the-secret"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("through your server: the proxy answers, with no secret or token in the page or its requests", async () => {
  const { page, tokenRequests, errors } = await open(1280);
  const requests = [];
  const scripts = [];
  page.on("request", (request) => requests.push(request));
  page.on("response", (response) => response.request().resourceType() === "script" && scripts.push(response));
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[name="clientId"]').value !== "");
  await page.getByTestId("proxy-call").click();
  await page.getByTestId("proxy-status").waitFor();
  assert.equal(await page.getByTestId("proxy-status").textContent(), "200");
  const shown = await page.getByTestId("proxy-body").textContent();
  assert.equal(JSON.parse(shown).resourceType, "Bundle");
  assert.equal(JSON.parse(shown).path, "/fhir/Patient");

  const call = requests.find((r) => new URL(r.url()).pathname === "/sehatmu/fhir/Patient");
  assert.ok(call, "the page called its own server");
  assert.equal(new URL(call.url()).origin, new URL(pageUrl).origin);
  assert.equal((await call.allHeaders()).authorization, undefined, "the page sends no token");
  const answer = await call.response();
  const answerText = JSON.stringify(await answer.allHeaders()) + (await answer.text());
  assert.doesNotMatch(answerText, /[0-9a-f]{40}/, "no token in what the proxy answered");
  assert.equal(tokenRequests.length, 0, "the page asked no token endpoint");

  for (const request of requests) {
    const seen = request.url() + JSON.stringify(await request.allHeaders()) + (request.postData() ?? "");
    assert.ok(!seen.includes(DEMO.clientSecret), `the secret is in a request: ${request.url()}`);
  }
  assert.ok(scripts.length >= 2, "the page's scripts were seen");
  for (const script of scripts) assert.ok(!(await script.text()).includes(DEMO.clientSecret), `the secret is in ${script.url()}`);
  const text = await page.locator("body").innerText();
  assert.ok(!text.includes(DEMO.clientSecret), "the secret is not in the page's text");
  assert.doesNotMatch(text, /[0-9a-f]{40}/, "no token in the page's text");
  await page.screenshot({ path: new URL("demo-proxy-1280.png", SHOTS).pathname, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("through your server: a page on another site gets 401 and can't read it", async () => {
  const otherOrigin = pageUrl.replace("127.0.0.1", "localhost");
  const { page, errors } = await open(1280, otherOrigin);
  const target = new URL("sehatmu/fhir/Patient", pageUrl).href;
  const outcome = await page.evaluate((url) => fetch(url).then((r) => `read ${r.status}`, (e) => `refused: ${e.name}`), target);
  assert.equal(outcome, "refused: TypeError", "no CORS header lets another site read the answer");
  // What the server answered it (the browser hides that from the page): the demo's authorize.
  const status = async (site) => (await fetch(target, { headers: site ? { "sec-fetch-site": site } : {} })).status;
  assert.deepEqual([await status("cross-site"), await status("same-site"), await status(undefined), await status("same-origin")], [401, 401, 401, 200]);
  // Its own origin's proxy serves it.
  await page.getByTestId("proxy-call").click();
  await page.getByTestId("proxy-status").waitFor();
  assert.equal(await page.getByTestId("proxy-status").textContent(), "200");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the server stops cleanly on Ctrl-C (SIGINT)", async () => {
  const exited = once(serverProcess, "exit");
  serverProcess.kill("SIGINT");
  const [code, signal] = await exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null });
});
