// The `sehatmu-auth` command as installed from the tarball: token, mock, help, exit statuses.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, beforeEach, test } from "node:test";

import { binPath, closedPort, load } from "./helpers.js";

const { getToken, mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;

let server;
before(async () => {
  server = await mock.startMockServer();
});
after(() => server.close());
beforeEach(() => server.reset());

/** Runs the command; resolves to { code, stdout, stderr } whatever the exit status. */
function run(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(binPath(), args, { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
    child.stdin.end(input);
  });
}

const credentials = (secret = DEMO.clientSecret) => ({
  SEHATMU_CLIENT_ID: DEMO.clientId,
  SEHATMU_CLIENT_SECRET: secret,
  SEHATMU_BASE_URL: server.url,
});

test("--help for the command and each subcommand", async () => {
  for (const args of [["--help"], [], ["token", "--help"], ["mock", "-h"]]) {
    const { code, stdout } = await run(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(stdout, /^Usage: sehatmu-auth/);
  }
  const unknown = await run(["frobnicate"]);
  assert.equal(unknown.code, 2);
});

test("token from the environment prints the AccessToken as JSON", async () => {
  const { code, stdout, stderr } = await run(["token"], { env: credentials() });
  assert.equal(code, 0, stderr);
  const token = JSON.parse(stdout);
  assert.ok(server.tokens.has(token.accessToken));
  assert.equal(token.tokenType, "Bearer");
});

test("token with --client-id, --base-url, the secret on stdin and --header", async () => {
  const args = ["token", "--client-id", DEMO.clientId, "--base-url", server.url, "--secret-stdin", "--header"];
  const { code, stdout } = await run(args, { input: `${DEMO.clientSecret}\n` });
  assert.equal(code, 0);
  const [, token] = stdout.match(/^Authorization: Bearer ([0-9a-f]{40})\n$/);
  assert.ok(server.tokens.has(token));
});

test("the secret is never taken from an argument", async () => {
  for (const flag of ["--client-secret", "--secret", "--client-secret=abc"]) {
    const { code, stderr } = await run(["token", flag, "abc"], { env: credentials() });
    assert.equal(code, 2);
    assert.match(stderr, /never taken|not taken/);
  }
  assert.equal(server.requests.length, 0);
});

test("errors go to stderr with their code and an exit status per family", async () => {
  const secret = "WRONG-SECRET-0123456789";
  const cases = [
    [{ ...credentials(), SEHATMU_BASE_URL: "http://example.com" }, 2, "invalid_argument"],
    [credentials(secret), 3, "invalid_credentials"],
    [credentials(secret), 4, "rate_limited"],
    [{ ...credentials(), SEHATMU_BASE_URL: `http://127.0.0.1:${await closedPort()}` }, 7, "network_error"],
  ];
  for (const [env, status, codeName] of cases) {
    const { code, stdout, stderr } = await run(["token"], { env });
    assert.equal(code, status, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, new RegExp(`^sehatmu-auth: ${codeName}`));
    assert.ok(!stderr.includes(secret));
  }
  server.reset();
  server.next({ status: 503, body: "Service Unavailable" });
  const busy = await run(["token"], { env: credentials() });
  assert.equal(busy.code, 6);
  assert.match(busy.stderr, /^sehatmu-auth: server_error: .*Service Unavailable/);
});

test("mock runs the mock server, prints its URL and demo credentials, and stops on Ctrl-C", async () => {
  const child = spawn(binPath(), ["mock", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const url = await new Promise((resolve) => {
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/Mock SehatMu server: (\S+)/);
      if (match && out.includes("Ctrl-C")) resolve(match[1]);
    });
  });
  assert.ok(out.includes(DEMO.clientId) && out.includes(DEMO.clientSecret));
  const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: url });
  assert.ok(token.accessToken);
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
});
