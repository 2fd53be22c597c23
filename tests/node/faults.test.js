// The fault matrix: whatever a token server or the network does, getToken answers with the
// right SehatmuError (code and fields), within its timeout, and the module keeps working.
// Every server here is a raw TCP server on 127.0.0.1 that writes exactly the bytes a case needs.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";

import { assertNoSecret, closedPort, load, rejection } from "./helpers.js";

const { getToken, isSehatmuError, mock } = await load();
const [DEMO] = mock.DEMO_CLIENTS;
const FUTURE = new Date(Date.now() + 3_600_000).toISOString();

/** A TCP server whose `answer(socket, request)` runs once a whole request has arrived. */
async function rawServer() {
  const state = { answer: null, requests: 0, written: 0, sockets: new Set() };
  const server = createServer((socket) => {
    state.sockets.add(socket);
    socket.on("close", () => state.sockets.delete(socket));
    socket.on("error", () => {});
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk;
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(data)?.[1] ?? 0);
      if (Buffer.byteLength(data) < end + 4 + length) return;
      state.requests += 1;
      const request = data;
      data = "";
      state.answer(socket, request);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.close = () => {
    for (const socket of state.sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return state;
}

/** An HTTP/1.1 response as bytes. */
function http(status, body = "", headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const head = {
    "Content-Type": typeof body === "string" ? "text/plain" : "application/json",
    "Content-Length": Buffer.byteLength(text),
    Connection: "close",
    ...headers,
  };
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status} Status\r\n${lines.join("\r\n")}\r\n\r\n${text}`;
}

let faults;
let healthy;
before(async () => {
  faults = await rawServer();
  healthy = await mock.startMockServer();
});
after(async () => {
  await faults.close();
  await healthy.close();
});

// A recognisable secret: every error of the matrix is checked for it.
const SECRET = "FAULT-SECRET-9f2c4e6a8b0d/+=";
const call = (options = {}) => getToken("client", SECRET, { baseUrl: faults.url, ...options });

/** The module still answers a normal request correctly after the fault. */
async function assertStillWorks() {
  const token = await getToken(DEMO.clientId, DEMO.clientSecret, { baseUrl: healthy.url });
  assert.ok(healthy.tokens.has(token.accessToken));
}

async function expectError(answer, code, fields = {}, options = {}) {
  faults.answer = answer;
  const error = await rejection(call(options));
  assert.ok(isSehatmuError(error), String(error));
  assert.equal(error.code, code, error.message);
  assertNoSecret(error, SECRET);
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "function") value(error[key]);
    else assert.deepEqual(error[key], value, key);
  }
  await assertStillWorks();
  return error;
}

const reply = (bytes) => (socket) => socket.end(bytes);

describe("the network", () => {
  test("connection refused: network_error", async () => {
    const error = await rejection(getToken("c", "s", { baseUrl: `http://127.0.0.1:${await closedPort()}` }));
    assert.equal(error.code, "network_error");
    assert.ok(error.cause instanceof Error);
    await assertStillWorks();
  });

  test("reset before the status line: network_error", () =>
    expectError((socket) => socket.resetAndDestroy(), "network_error", { status: undefined, cause: (c) => assert.ok(c) }));

  test("reset in the middle of the body: network_error", () =>
    expectError(
      (socket) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"accessToken\":");
        setTimeout(() => socket.resetAndDestroy(), 20);
      },
      "network_error",
    ));

  test("a server that accepts and never answers: timeout at timeoutMs", async () => {
    const started = Date.now();
    await expectError(() => {}, "timeout", { timeoutMs: 300, status: undefined }, { timeoutMs: 300 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 1000, `${elapsed} ms`);
  });

  test("a body that trickles one byte at a time: timeout covers the body", async () => {
    let timer;
    const started = Date.now();
    await expectError(
      (socket) => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n");
        timer = setInterval(() => socket.writable && socket.write(" "), 100);
        socket.on("close", () => clearInterval(timer));
      },
      "timeout",
      { timeoutMs: 600 },
      { timeoutMs: 600 },
    );
    clearInterval(timer);
    assert.ok(Date.now() - started < 1500);
  });
});

describe("2xx answers without a usable token: invalid_response", () => {
  const cases = [
    ["an empty body", ""],
    ["invalid JSON", "{not json"],
    ["truncated JSON", '{"accessToken": "abc", "accessTokenExp'],
    ["a JSON array", [{ accessToken: "a" }]],
    ["a JSON string", JSON.stringify("a token")],
    ["an OperationOutcome", { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "x", details: { text: "nope" } }] }],
    ["a token of the wrong type", { accessToken: true, accessTokenExpiresAt: FUTURE }],
    ["no token", { accessTokenExpiresAt: FUTURE }],
    ["an unparseable expiry", { accessToken: "a", accessTokenExpiresAt: "next Tuesday" }],
    ["an expiry far in the past", { accessToken: "a", accessTokenExpiresAt: "1999-12-31T23:59:59Z" }],
    ["an expiry past the year 9999", { access_token: "a", expires_in: 1e15 }],
    ["a token nested 100,000 levels deep", `{"accessToken": ${"[".repeat(100_000)}${"]".repeat(100_000)}, "expires_in": 60}`],
  ];
  for (const [label, body] of cases) {
    test(label, async () => {
      const error = await expectError(reply(http(200, body)), "invalid_response", { status: 200 });
      const text = typeof body === "string" ? body : JSON.stringify(body);
      assert.equal(error.body, Buffer.from(text).subarray(0, 2048).toString());
    });
  }

  test("a 204: invalid_response", () => expectError(reply("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"), "invalid_response", { status: 204 }));

  test("a 50 MB body is refused after 1 MiB, without reading the rest", async () => {
    let sent = 0;
    const started = Date.now();
    await expectError(
      (socket) => {
        const total = 50 * 1024 * 1024;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n{"x":"`);
        const chunk = Buffer.alloc(64 * 1024, "a");
        const pump = () => {
          while (sent < total && socket.writable) {
            sent += chunk.length;
            if (!socket.write(chunk)) return socket.once("drain", pump);
          }
        };
        pump();
      },
      "invalid_response",
      { status: 200, body: (body) => assert.equal(body.length, 2048) },
    );
    assert.ok(sent < 20 * 1024 * 1024, `the server got to write ${sent} bytes`);
    assert.ok(Date.now() - started < 5000);
  });
});

describe("other answers", () => {
  test("an expiry far in the future (year 2900) is a token", async () => {
    faults.answer = reply(http(200, { accessToken: "far", accessTokenExpiresAt: "2900-01-01T00:00:00Z" }));
    const token = await call();
    assert.equal(token.expiresAt, Date.parse("2900-01-01T00:00:00Z"));
  });

  test("deep nesting in a member the client passes on is kept as parsed", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    faults.answer = reply(http(200, `{"access_token": "t", "expires_in": 60, "client": {"deep": ${deep}}}`));
    const token = await call();
    assert.equal(token.accessToken, "t");
    assert.ok(Array.isArray(token.client.deep));
  });

  test("application/fhir+json is read like application/json", async () => {
    const fhir = { "Content-Type": "application/fhir+json" };
    const outcome = { resourceType: "OperationOutcome", issue: [{ severity: "invalid", code: "value", details: { text: mock.UNAUTHENTICATED_TEXT } }] };
    await expectError(reply(http(401, outcome, fhir)), "invalid_credentials", { status: 401, issues: outcome.issue });
    faults.answer = reply(http(200, { accessToken: "f", accessTokenExpiresAt: FUTURE }, fhir));
    assert.equal((await call()).accessToken, "f");
  });

  test("HTML error pages: 4xx request_rejected, 5xx server_error", async () => {
    const page = (n) => `<!doctype html><html><head><title>${n}</title></head><body><h1>${n} Error</h1>${"<p>padding</p>".repeat(300)}</body></html>`;
    const html = { "Content-Type": "text/html" };
    const rejected = await expectError(reply(http(404, page(404), html)), "request_rejected", { status: 404 });
    assert.equal(rejected.body, page(404).slice(0, 2048));
    assert.match(rejected.message, /404 Error/);
    const failed = await expectError(reply(http(502, page(502), html)), "server_error", { status: 502 });
    assert.equal(failed.body.length, 2048);
  });

  for (const status of [301, 302, 303, 307, 308]) {
    test(`a ${status} is invalid_response and is never followed`, async () => {
      const target = await rawServer();
      target.answer = reply(http(200, { accessToken: "stolen", accessTokenExpiresAt: FUTURE }));
      try {
        await expectError(reply(http(status, "", { Location: `${target.url}/oauth/token` })), "invalid_response", { status });
        assert.equal(target.requests, 0, "the redirect target never received the form body");
      } finally {
        await target.close();
      }
    });
  }
});

describe("abort", () => {
  test("a signal aborted before the call: aborted, no request", async () => {
    const before = faults.requests;
    const signal = AbortSignal.abort("early");
    const error = await rejection(call({ signal }));
    assert.equal(error.code, "aborted");
    assert.equal(error.cause, "early");
    assert.equal(faults.requests, before);
  });

  test("aborted while waiting for the answer, and while the body arrives: aborted at once", async () => {
    for (const answer of [() => {}, (socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")]) {
      faults.answer = answer;
      const controller = new AbortController();
      const pending = call({ signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const abortedAt = Date.now();
      controller.abort(new Error("stop"));
      const error = await rejection(pending);
      assert.equal(error.code, "aborted");
      assert.equal(error.cause.message, "stop");
      assert.ok(Date.now() - abortedAt < 100, "at once");
      await assertStillWorks();
    }
  });
});
