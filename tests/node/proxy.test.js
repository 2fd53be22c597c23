// sehatmu-auth/proxy: the rules as units (a stand-in TokenClient, no sockets), then the proxy
// on a Node server (toNodeListener) in front of the mock SehatMu server and of an upstream of
// this test's own that shows what arrives. Every server listens on 127.0.0.1 and stops here.
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import { after, before, beforeEach, describe, test } from "node:test";

import { closedPort, load, loadProxy } from "./helpers.js";

const { TokenClient, isSehatmuError, mock } = await load();
const { createProxy, toNodeListener } = await loadProxy();
const [DEMO] = mock.DEMO_CLIENTS;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Units: a stand-in client that records what the proxy would send, and Node-like req/res
// objects that carry a raw request-target (a `Request`'s URL is already normalised).

/** A TokenClient stand-in: `fetch` answers `answer(url, init)` and records every call. */
function fakeClient(answer = () => new Response("{}", { headers: { "content-type": "application/json" } })) {
  const client = {
    baseUrl: "https://api.example",
    fetches: [],
    tokenCalls: 0,
    async getToken() {
      client.tokenCalls++;
      return { accessToken: "t" };
    },
    async authorizationHeader() {
      client.tokenCalls++;
      return "Bearer t";
    },
    async fetch(url, init) {
      client.tokenCalls++;
      client.fetches.push({ url: String(url), init });
      return answer(url, init);
    },
    async clear() {},
  };
  return client;
}

/** The request-target `target` through `toNodeListener(handler)` on Node-like objects: `{ status, headers, body }`. */
function callRaw(handler, target, { method = "GET", headers = {}, originalUrl } = {}) {
  const rawHeaders = Object.entries(headers).flat();
  const req = {
    method,
    url: target,
    originalUrl,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    rawHeaders,
    complete: true,
    on(event, listener) {
      if (event === "end") queueMicrotask(listener);
      return req;
    },
    pause() {},
    resume() {},
  };
  return new Promise((resolve) => {
    const head = {};
    const chunks = [];
    const res = {
      headersSent: false,
      destroyed: false,
      writableFinished: false,
      status: 0,
      setHeader: (name, value) => (head[name.toLowerCase()] = value),
      writeHead(status) {
        res.status = status;
        res.headersSent = true;
      },
      write: (chunk) => (chunks.push(Buffer.from(chunk)), true),
      end(chunk) {
        if (chunk) chunks.push(Buffer.from(chunk));
        res.writableFinished = true;
        resolve({ status: res.status, headers: head, body: Buffer.concat(chunks).toString("utf8") });
      },
      destroy() {},
      on() {},
      once() {},
    };
    toNodeListener(handler)(req, res);
  });
}

describe("options", () => {
  const client = fakeClient();
  const authorize = () => true;
  const bad = [
    [undefined, "options"],
    [{ authorize }, "client"],
    [{ client: {}, authorize }, "client"],
    [{ client }, "authorize"],
    [{ client, authorize: true }, "authorize"],
    [{ client, authorize, prefix: 1 }, "prefix"],
    [{ client, authorize, prefix: "sehatmu" }, "prefix"],
    [{ client, authorize, prefix: "/a/../b" }, "prefix"],
    [{ client, authorize, paths: "/fhir/" }, "paths"],
    [{ client, authorize, paths: [] }, "paths"],
    [{ client, authorize, paths: ["/fhir/", 3] }, "paths"],
    [{ client, authorize, paths: ["fhir/"] }, "paths"],
    [{ client, authorize, paths: ["/fhir/%2e%2e/"] }, "paths"],
    [{ client, authorize, upstream: "/relative" }, "upstream"],
    [{ client, authorize, upstream: "not a url" }, "upstream"],
    [{ client, authorize, upstream: 42 }, "upstream"],
    [{ client, authorize, upstream: "http://api.example" }, "upstream"],
    [{ client, authorize, upstream: "http://127.0.0.1.nip.io" }, "upstream"],
    [{ client, authorize, upstream: "http://localhost.example.com" }, "upstream"],
    [{ client, authorize, upstream: "ftp://127.0.0.1" }, "upstream"],
    [{ client, authorize, upstream: "https://user:pw@api.example" }, "upstream"],
    [{ client, authorize, upstream: "https://api.example/?q" }, "upstream"],
    [{ client, authorize, upstream: "https://api.example/#f" }, "upstream"],
    [{ client: { ...client, baseUrl: undefined }, authorize }, "upstream"],
    [{ client, authorize, maxBodyBytes: -1 }, "maxBodyBytes"],
    [{ client, authorize, maxBodyBytes: 1.5 }, "maxBodyBytes"],
    [{ client, authorize, maxBodyBytes: Infinity }, "maxBodyBytes"],
    [{ client, authorize, maxBodyBytes: "10" }, "maxBodyBytes"],
  ];
  for (const [options, field] of bad) {
    test(`${JSON.stringify(options, (k, v) => (k === "client" ? "<client>" : v)) ?? "undefined"} throws invalid_argument (${field})`, () => {
      assert.throws(() => createProxy(options), (error) => {
        assert.ok(isSehatmuError(error), "the package's own error");
        assert.equal(error.name, "SehatmuError");
        assert.equal(error.code, "invalid_argument");
        assert.equal(error.field, field);
        return true;
      });
    });
  }

  test("accepted: https anywhere, http on loopback, a prefix with a trailing slash", () => {
    for (const upstream of ["https://api.example", "https://api.example/api/", "http://localhost:1", "http://127.9.8.7", "http://[::1]:8080"]) {
      assert.equal(typeof createProxy({ client, authorize, upstream }), "function", upstream);
    }
    assert.equal(typeof createProxy({ client, authorize, prefix: "/sehatmu/", paths: ["/fhir/", "/fhir"] }), "function");
    assert.equal(typeof createProxy({ client, authorize, maxBodyBytes: 0 }), "function");
    assert.throws(() => toNodeListener("no"), (e) => isSehatmuError(e) && e.code === "invalid_argument");
  });
});

describe("the path rule (raw request-targets, as a Node server receives them)", () => {
  const refused = {
    400: [
      "/sehatmu/fhir/../oauth/token",
      "/sehatmu/fhir/%2e%2e/oauth/token",
      "/sehatmu/fhir/%2E%2E/oauth/token",
      "/sehatmu/fhir/.%2e/oauth/token",
      "/sehatmu/fhir%2f..",
      "/sehatmu/fhir%2F..",
      "/sehatmu/fhir/..",
      "/sehatmu/fhir/./Patient",
      "/sehatmu/fhir/.",
      "/sehatmu/fhir//Patient",
      "/sehatmu//fhir/Patient",
      "//sehatmu/fhir/Patient",
      "/sehatmu/fhir/Patient\\..\\..\\oauth\\token",
      "/sehatmu/fhir/%5c..%5coauth",
      "/sehatmu/fhir/%5C",
      "/sehatmu/fhir/%252e%252e/oauth/token",
      "/sehatmu/fhir/Patient%2Fx",
      "sehatmu/fhir/Patient",
      "http://evil.example/sehatmu/fhir/Patient",
      "*",
      // What the URL parser would drop, strip or end the path at (no Node server delivers these).
      "/sehatmu/fhir/x/.\t./oauth/token",
      "/sehatmu/fhir/Pa\ntient",
      "/sehatmu/fhir/Patient#x",
      "/sehatmu/fhir/Pa tient",
    ],
    404: [
      "/sehatmu/oauth/token",
      "/sehatmu/OAuth/Token",
      "/sehatmu/fhir/oauth/token",
      "/sehatmu/fhir/x/OAUTH/TOKEN/",
      "/sehatmu",
      "/sehatmu/",
      "/sehatmufhir/Patient",
      "/sehatmu/fhirPatient",
      "/sehatmu/fhir",
      "/sehatmu/FHIR/Patient",
      "/fhir/Patient",
      "/",
      "/sehatmu/other/fhir/Patient",
    ],
  };
  for (const [status, targets] of Object.entries(refused)) {
    for (const target of targets) {
      test(`${target} → ${status}, with no token and no upstream request`, async () => {
        const client = fakeClient();
        const answer = await callRaw(createProxy({ client, authorize: () => true, prefix: "/sehatmu" }), target);
        assert.equal(answer.status, Number(status));
        const body = JSON.parse(answer.body);
        assert.equal(body.resourceType, "OperationOutcome");
        assert.match(answer.headers["content-type"], /^application\/fhir\+json/);
        assert.equal(client.fetches.length, 0);
        assert.equal(client.tokenCalls, 0);
      });
    }
  }

  const passed = [
    ["/sehatmu/fhir/Patient", "https://api.example/fhir/Patient"],
    ["/sehatmu/fhir/Patient/123/_history/2", "https://api.example/fhir/Patient/123/_history/2"],
    ["/sehatmu/fhir/Patient/", "https://api.example/fhir/Patient/"],
    ["/sehatmu/fhir/Patient?name=a/../b&x=%2e%2e", "https://api.example/fhir/Patient?name=a/../b&x=%2e%2e"],
    ["/sehatmu/fhir/Patient..x/.well", "https://api.example/fhir/Patient..x/.well"],
  ];
  for (const [target, url] of passed) {
    test(`${target} → ${url}`, async () => {
      const client = fakeClient();
      const answer = await callRaw(createProxy({ client, authorize: () => true, prefix: "/sehatmu" }), target);
      assert.equal(answer.status, 200);
      assert.deepEqual(client.fetches.map((f) => f.url), [url]);
    });
  }

  test("the upstream's own path is kept, the prefix stripped", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true, prefix: "/sehatmu/", upstream: "https://host.example/api/" });
    await callRaw(proxy, "/sehatmu/fhir/Patient?_count=1");
    assert.deepEqual(client.fetches.map((f) => f.url), ["https://host.example/api/fhir/Patient?_count=1"]);
  });

  test("no prefix: the path is forwarded whole; several path prefixes, exact or with their subpaths", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true, paths: ["/fhir/", "/metadata"] });
    for (const target of ["/fhir/Patient", "/metadata", "/metadata/x", "/metadatax", "/fhir"]) await callRaw(proxy, target);
    assert.deepEqual(client.fetches.map((f) => f.url), ["https://api.example/fhir/Patient", "https://api.example/metadata", "https://api.example/metadata/x"]);
  });

  test("the token endpoint stays out of reach even when paths would allow it", async () => {
    const client = fakeClient();
    for (const [options, target] of [
      [{ paths: ["/"] }, "/oauth/token"],
      [{ paths: ["/oauth/"] }, "/oauth/token?grant_type=client_credentials"],
      [{ paths: ["/token"], upstream: "https://api.example/oauth" }, "/token"],
      [{ paths: ["/"] }, "/%6Fauth/%74oken"],
    ]) {
      const answer = await callRaw(createProxy({ client, authorize: () => true, ...options }), target);
      assert.equal(answer.status, 404, target);
    }
    assert.equal(client.fetches.length, 0);
  });

  test("Express: prefix is the whole mount path, read from req.originalUrl", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true, prefix: "/sehatmu" });
    const answer = await callRaw(proxy, "/fhir/Patient", { originalUrl: "/sehatmu/fhir/Patient" });
    assert.equal(answer.status, 200);
    assert.deepEqual(client.fetches.map((f) => f.url), ["https://api.example/fhir/Patient"]);
  });

  test("a fetch-style Request: URLs arrive normalised, and what stays encoded is refused", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true, prefix: "/sehatmu" });
    const status = async (path) => (await proxy(new Request(`http://app.example${path}`))).status;
    // The URL parser has already resolved these dot segments: what is left is outside paths.
    assert.equal(await status("/sehatmu/fhir/../oauth/token"), 404);
    assert.equal(await status("/sehatmu/fhir/%2e%2e/oauth/token"), 404);
    assert.equal(await status("/sehatmu/fhir/..\\oauth\\token"), 404);
    assert.equal(await status("/sehatmu/fhir%2f.."), 400);
    assert.equal(await status("/sehatmu/fhir/%5coauth"), 400);
    assert.equal(await status("/sehatmu/fhir//Patient"), 400);
    assert.equal(client.fetches.length, 0);
    assert.equal(await status("/sehatmu/fhir/Patient?a=1"), 200);
    assert.deepEqual(client.fetches.map((f) => f.url), ["https://api.example/fhir/Patient?a=1"]);
  });

  test("CONNECT and TRACE are not forwarded", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true });
    for (const method of ["TRACE", "CONNECT"]) assert.equal((await callRaw(proxy, "/fhir/x", { method })).status, 405);
    assert.equal(client.fetches.length, 0);
  });

  test("the Request that authorize sees from Node: the target resolved against the Host as `new URL` resolves it, every header the Fetch API takes", async () => {
    const seen = [];
    const proxy = createProxy({ client: fakeClient(), authorize: (request) => (seen.push(request), false) });
    const hosts = ["app.example", "APP.example:80", "u:p@app.example", "app.example/x?y#z", "app.example\\x", "[::1]:3000", "127.1", "bad host", "app.example:99999", ""];
    const targets = ["/fhir/Patient?a=1", "/", "//evil.example/fhir", "/\\evil.example", "/\t/evil.example", "/fhir/a\tb", "/a b/é?c#d", "/fhir/../x", "*", "http://other.example/fhir", "///"];
    for (const host of hosts) {
      for (const target of targets) {
        // What the listener has always made: `new URL(target, scheme://Host)`, else against http://localhost.
        const path = target.startsWith("/") ? target : "/";
        let expected;
        try {
          let url;
          try {
            url = new URL(path, `http://${host}`);
          } catch {
            url = new URL(path, "http://localhost");
          }
          expected = new Request(url).url;
        } catch {
          expected = 405;
        }
        const { status } = await callRaw(proxy, target, { headers: { Host: host, Accept: "a", accept: "b", "X-Bad Name": "v", Prefer: " p " } });
        const request = status === 401 ? seen.pop() : undefined;
        assert.equal(request?.url ?? status, expected, `${JSON.stringify(host)} ${JSON.stringify(target)}`);
        if (request) assert.deepEqual([...request.headers], [["accept", "a, b"], ["host", host], ["prefer", "p"]]);
      }
    }
  });
});

describe("authorize", () => {
  for (const [label, authorize] of [
    ["false", () => false],
    ["a rejected promise", async () => Promise.reject(new Error("no session"))],
    ["a throw", () => {
      throw new Error("no session");
    }],
    ["undefined (a forgotten return)", () => {}],
    ["a truthy non-boolean", () => "yes"],
  ]) {
    test(`${label} → 401 OperationOutcome, no token, no upstream request`, async () => {
      const client = fakeClient();
      const proxy = createProxy({ client, authorize });
      const response = await proxy(new Request("http://app.example/fhir/Patient"));
      assert.equal(response.status, 401);
      const body = await response.json();
      assert.equal(body.resourceType, "OperationOutcome");
      assert.equal(body.issue[0].code, "login");
      assert.equal(client.fetches.length + client.tokenCalls, 0);
    });
  }

  test("comes before the path rule, and sees the browser's request", async () => {
    const client = fakeClient();
    const seen = [];
    const proxy = createProxy({
      client,
      authorize: async (request) => (seen.push(request), request.headers.get("cookie") === "session=ok"),
    });
    assert.equal((await callRaw(proxy, "/fhir/../oauth/token")).status, 401);
    assert.equal((await callRaw(proxy, "/fhir/Patient", { headers: { Cookie: "session=ok" } })).status, 200);
    assert.equal(seen.length, 2);
    assert.ok(seen[1] instanceof Request);
  });
});

describe("header rules", () => {
  test("only the allow-list reaches the API; Cookie, Authorization, Origin, Host, X-Forwarded-* never", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true });
    const sent = {
      Accept: "application/fhir+json",
      "Accept-Language": "id, en;q=0.5",
      "Content-Type": "application/fhir+json",
      "If-Match": 'W/"1"',
      "If-None-Match": 'W/"2"',
      "If-None-Exist": "identifier=x",
      "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT",
      "If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT",
      Prefer: "return=minimal",
      Cookie: "session=secret-session",
      Authorization: "Bearer the-browsers-own",
      Origin: "https://app.example",
      Host: "app.example",
      Referer: "https://app.example/page",
      "X-Forwarded-For": "10.0.0.1",
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Proto": "http",
      Forwarded: "for=10.0.0.1",
      "X-Real-IP": "10.0.0.1",
      "Proxy-Authorization": "Basic eA==",
      "Accept-Encoding": "zstd",
      "User-Agent": "browser",
      "X-Custom": "1",
    };
    await callRaw(proxy, "/fhir/Patient", { method: "PUT", headers: sent });
    const [{ init }] = client.fetches;
    assert.deepEqual(Object.fromEntries(init.headers), {
      accept: "application/fhir+json",
      "accept-language": "id, en;q=0.5",
      "content-type": "application/fhir+json",
      "if-match": 'W/"1"',
      "if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
      "if-none-exist": "identifier=x",
      "if-none-match": 'W/"2"',
      "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT",
      prefer: "return=minimal",
    });
    assert.equal(init.method, "PUT");
    assert.equal(init.redirect, "manual");
  });

  test("back: hop-by-hop headers, Set-Cookie and the API's CORS and HSTS are dropped; the rest kept", async () => {
    const upstreamHeaders = new Headers([
      ["content-type", "application/fhir+json"],
      ["etag", 'W/"3"'],
      ["location", "https://api.example/fhir/Patient/1"],
      ["last-modified", "Sat, 01 Jan 2000 00:00:00 GMT"],
      ["x-request-id", "abc"],
      ["cache-control", "no-store"],
      ["www-authenticate", 'Bearer error="invalid_token"'],
      ["set-cookie", "api=1"],
      ["set-cookie", "api=2"],
      ["connection", "keep-alive, x-hop"],
      ["x-hop", "1"],
      ["keep-alive", "timeout=5"],
      ["proxy-authenticate", "Basic"],
      ["trailer", "x-t"],
      ["upgrade", "h2c"],
      ["access-control-allow-origin", "*"],
      ["access-control-allow-credentials", "true"],
      ["strict-transport-security", "max-age=1"],
      ["alt-svc", 'h3=":443"'],
    ]);
    const client = fakeClient(() => new Response("{}", { status: 201, headers: upstreamHeaders }));
    const response = await createProxy({ client, authorize: () => true })(new Request("http://app.example/fhir/Patient", { method: "POST", body: "{}" }));
    assert.equal(response.status, 201);
    assert.deepEqual(Object.fromEntries(response.headers), {
      "cache-control": "no-store",
      "content-type": "application/fhir+json",
      etag: 'W/"3"',
      "last-modified": "Sat, 01 Jan 2000 00:00:00 GMT",
      location: "https://api.example/fhir/Patient/1",
      "www-authenticate": 'Bearer error="invalid_token"',
      "x-request-id": "abc",
    });
  });

  test("Content-Encoding and Content-Length go when fetch decoded the body, and stay when it could not", async () => {
    const answer = (encoding) => () =>
      new Response("{}", { headers: { "content-type": "application/json", "content-encoding": encoding, "content-length": "99" } });
    const headersFor = async (encoding) => {
      const proxy = createProxy({ client: fakeClient(answer(encoding)), authorize: () => true });
      return Object.fromEntries((await proxy(new Request("http://app.example/fhir/x"))).headers);
    };
    for (const decoded of ["gzip", "GZIP", "x-gzip", "br", "deflate", "deflate, gzip"]) {
      assert.deepEqual(await headersFor(decoded), { "content-type": "application/json" }, decoded);
    }
    assert.deepEqual(await headersFor("zstd"), { "content-type": "application/json", "content-encoding": "zstd", "content-length": "99" });
  });
});

// ---------------------------------------------------------------------------------------------
// On the wire: the proxy on http.createServer(toNodeListener(…)), the mock SehatMu server, and
// an upstream that records what reaches it.

async function listen(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * One raw HTTP request (no decoding, no URL normalisation): `{ status, headers, body }`.
 * `body` is sent with its Content-Length; `chunks` is sent chunked, one write each.
 */
function send(base, path, { method = "GET", headers = {}, body, chunks } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, headers }, (res) => {
      const parts = [];
      res.on("data", (chunk) => parts.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (chunks) {
      (async () => {
        for (const chunk of chunks) {
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
      })().catch(reject);
    } else {
      req.end(body);
    }
  });
}

let tokenServer;
/** What reached the recording upstream, one entry per request. */
const arrived = [];
let upstream;
let upstreamUrl;
let releaseStream;
let onceFailed = false;
/** The size of /api/fhir/big's body: over the Node path's 64 KiB read in one piece. */
const BIG = 256 * 1024;

function recordingUpstream() {
  return createServer((req, res) => {
    let size = 0;
    const parts = [];
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= 64 * 1024) parts.push(chunk);
    });
    req.on("end", () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, size, body: Buffer.concat(parts).toString("utf8") };
      arrived.push(entry);
      const path = new URL(req.url, "http://x").pathname;
      if (path === "/api/fhir/gzip") {
        const json = gzipSync(JSON.stringify({ resourceType: "Bundle", total: 42, filler: "x".repeat(5000) }));
        res.writeHead(200, { "content-type": "application/fhir+json", "content-encoding": "gzip", "content-length": json.length });
        return res.end(json);
      }
      if (path === "/api/fhir/always401" || (path === "/api/fhir/once401" && !onceFailed)) {
        onceFailed = true;
        res.writeHead(401, { "content-type": "application/fhir+json", "www-authenticate": 'Bearer error="invalid_token"' });
        return res.end(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login", details: { text: "upstream says no" } }] }));
      }
      if (path === "/api/fhir/stream") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first\n");
        releaseStream = () => res.end("second\n");
        return;
      }
      if (path === "/api/fhir/sized") {
        const json = JSON.stringify({ resourceType: "Bundle", total: 1 });
        res.writeHead(200, { "content-type": "application/fhir+json", "content-length": Buffer.byteLength(json), etag: 'W/"1"' });
        return res.end(json);
      }
      if (path === "/api/fhir/big") {
        // A known length over the Node path's whole-body size: half now, the rest on release.
        const half = Buffer.alloc(BIG / 2, 0x62);
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": BIG });
        res.write(half);
        entry.finished = new Promise((resolve) => res.on("close", () => resolve(res.writableFinished)));
        releaseStream = () => res.end(half);
        return;
      }
      if (path === "/api/fhir/hang") {
        // Never answers: the test watches the request end when the proxy's client goes away.
        entry.finished = new Promise((resolve) => res.on("close", () => resolve(res.writableFinished)));
        return;
      }
      if (path === "/api/fhir/redirect") {
        res.writeHead(302, { location: "/api/fhir/elsewhere" });
        return res.end();
      }
      res.writeHead(200, {
        "content-type": "application/json",
        "set-cookie": ["upstream=1; HttpOnly", "other=2"],
        connection: "keep-alive, x-hop",
        "x-hop": "dropped",
        "x-upstream": "kept",
        etag: 'W/"7"',
        "access-control-allow-origin": "*",
      });
      res.end(JSON.stringify({ method: entry.method, url: entry.url, size, body: entry.body }));
    });
  });
}

/** A TokenClient on the mock, and the proxy in front of `upstream` (default: the mock itself) on a server of its own. */
async function proxyServer({ client, upstream: to, ...options } = {}) {
  const tokens = client ?? new TokenClient({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, baseUrl: tokenServer.url, retries: 0 });
  const handler = createProxy({ client: tokens, authorize: () => true, prefix: "/sehatmu", ...(to ? { upstream: to } : {}), ...options });
  const server = createServer(toNodeListener(handler));
  const url = await listen(server);
  return { url, handler, tokens, close: () => close(server) };
}

before(async () => {
  tokenServer = await mock.startMockServer({ rateLimitWindowMs: 60_000 });
  upstream = recordingUpstream();
  upstreamUrl = await listen(upstream);
});
after(async () => {
  await tokenServer.close();
  await close(upstream);
});
beforeEach(() => {
  tokenServer.reset();
  arrived.length = 0;
  onceFailed = false;
});

describe("through a Node server", () => {
  test("GET /sehatmu/fhir/Patient reaches the mock's /fhir/Patient with a live bearer token", async () => {
    const proxy = await proxyServer();
    try {
      const answer = await send(proxy.url, "/sehatmu/fhir/Patient?name=siti", { headers: { accept: "application/fhir+json" } });
      assert.equal(answer.status, 200);
      const bundle = JSON.parse(answer.body);
      assert.equal(bundle.resourceType, "Bundle");
      assert.equal(bundle.path, "/fhir/Patient");
      assert.equal(tokenServer.requests.length, 1);
      const [{ authorization }] = tokenServer.apiRequests;
      assert.ok(tokenServer.tokens.has(authorization.replace(/^Bearer /, "")), "a token of the mock's");
    } finally {
      await proxy.close();
    }
  });

  test("method, path under the upstream's own, query and body arrive; headers both ways filtered", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const answer = await send(proxy.url, "/sehatmu/fhir/Patient/1?_format=json&a=%20b", {
        method: "PATCH",
        headers: {
          "content-type": "application/json-patch+json",
          "if-match": 'W/"6"',
          prefer: "return=representation",
          cookie: "session=abc",
          authorization: "Basic dXNlcjpwYXNz",
          origin: "http://evil.example",
          "x-forwarded-for": "10.1.2.3",
          "x-forwarded-host": "evil.example",
          "x-custom": "no",
        },
        body: '[{"op":"replace","path":"/active","value":true}]',
      });
      assert.equal(answer.status, 200);
      const [seen] = arrived;
      assert.equal(seen.method, "PATCH");
      assert.equal(seen.url, "/api/fhir/Patient/1?_format=json&a=%20b");
      assert.equal(seen.body, '[{"op":"replace","path":"/active","value":true}]');
      assert.equal(seen.headers["content-type"], "application/json-patch+json");
      assert.equal(seen.headers["if-match"], 'W/"6"');
      assert.equal(seen.headers.prefer, "return=representation");
      assert.equal(seen.headers.host, new URL(upstreamUrl).host, "the API's own host, not the app's");
      assert.match(seen.headers.authorization, /^Bearer [0-9a-f]{40}$/);
      assert.ok(tokenServer.tokens.has(seen.headers.authorization.slice(7)));
      for (const name of ["cookie", "origin", "x-forwarded-for", "x-forwarded-host", "x-custom"]) assert.equal(seen.headers[name], undefined, name);

      assert.equal(answer.headers["set-cookie"], undefined);
      assert.equal(answer.headers["x-hop"], undefined);
      assert.equal(answer.headers["access-control-allow-origin"], undefined);
      assert.equal(answer.headers["x-upstream"], "kept");
      assert.equal(answer.headers.etag, 'W/"7"');
    } finally {
      await proxy.close();
    }
  });

  test("a gzip answer reaches a client that decodes nothing as plain, correctly labelled bytes", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const answer = await send(proxy.url, "/sehatmu/fhir/gzip");
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["content-encoding"], undefined);
      assert.ok(answer.headers["content-length"] === undefined || Number(answer.headers["content-length"]) === answer.body.length);
      assert.equal(JSON.parse(answer.body).total, 42);
      // …and fetch, which would reject a body that claims gzip but is not.
      const viaFetch = await fetch(`${proxy.url}/sehatmu/fhir/gzip`);
      assert.equal((await viaFetch.json()).total, 42);
    } finally {
      await proxy.close();
    }
  });

  test("the body streams back: the first bytes arrive before the API has finished", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const response = await fetch(`${proxy.url}/sehatmu/fhir/stream`);
      const reader = response.body.getReader();
      const first = await reader.read();
      assert.equal(new TextDecoder().decode(first.value), "first\n");
      releaseStream();
      let rest = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      assert.equal(rest, "second\n");
    } finally {
      await proxy.close();
    }
  });

  test("a redirect is handed back, not followed", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const answer = await send(proxy.url, "/sehatmu/fhir/redirect");
      assert.equal(answer.status, 302);
      assert.equal(answer.headers.location, "/api/fhir/elsewhere");
      assert.equal(arrived.length, 1);
    } finally {
      await proxy.close();
    }
  });

  test("attacks on the wire: 400 or 404, and neither a token request nor an upstream request", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      for (const [path, status] of [
        ["/sehatmu/fhir/../oauth/token", 400],
        ["/sehatmu/fhir/%2e%2e/oauth/token", 400],
        ["/sehatmu/fhir%2f..", 400],
        ["/sehatmu/fhir/..%5c..%5coauth/token", 400],
        ["/sehatmu/oauth/token", 404],
        ["/sehatmu/fhir/oauth/token", 404],
        ["/oauth/token", 404],
      ]) {
        for (const method of ["GET", "POST"]) {
          const answer = await send(proxy.url, path, { method, body: method === "POST" ? "client_id=x" : undefined });
          assert.equal(answer.status, status, `${method} ${path}`);
        }
      }
      assert.equal(tokenServer.requests.length, 0);
      assert.equal(arrived.length, 0);
    } finally {
      await proxy.close();
    }
  });
});

describe("body limit", () => {
  const exactly = Buffer.alloc(10 * MiB, 0x61);
  const oneMore = Buffer.alloc(10 * MiB + 1, 0x61);
  const chunked = (buffer) => Array.from({ length: Math.ceil(buffer.length / (256 * 1024)) }, (_, i) => buffer.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));

  test("default 10 MiB: exactly that is forwarded, with Content-Length and chunked", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const sized = await send(proxy.url, "/sehatmu/fhir/Binary", { method: "POST", body: exactly, headers: { "content-type": "application/octet-stream" } });
      assert.equal(sized.status, 200);
      const streamed = await send(proxy.url, "/sehatmu/fhir/Binary", { method: "POST", chunks: chunked(exactly) });
      assert.equal(streamed.status, 200);
      assert.deepEqual(arrived.map((a) => a.size), [10 * MiB, 10 * MiB]);
      assert.equal(arrived[1].headers["transfer-encoding"], undefined, "sent with its length, as held");
      assert.equal(arrived[1].headers["content-length"], String(10 * MiB));
    } finally {
      await proxy.close();
    }
  });

  test("one byte more answers 413, with Content-Length and chunked, before any token or upstream request", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const sized = await send(proxy.url, "/sehatmu/fhir/Binary", { method: "POST", body: oneMore });
      assert.equal(sized.status, 413);
      assert.equal(JSON.parse(sized.body).issue[0].code, "too-long");
      const streamed = await send(proxy.url, "/sehatmu/fhir/Binary", { method: "POST", chunks: chunked(oneMore) });
      assert.equal(streamed.status, 413);
      assert.equal(tokenServer.requests.length, 0);
      assert.equal(arrived.length, 0);
    } finally {
      await proxy.close();
    }
  });

  test("a fetch-style Request with a streamed body: the limit holds at its edge", async () => {
    const client = fakeClient();
    const proxy = createProxy({ client, authorize: () => true, maxBodyBytes: 1000 });
    const stream = (size) =>
      new ReadableStream({
        start(controller) {
          for (let left = size; left > 0; left -= 300) controller.enqueue(new Uint8Array(Math.min(300, left)));
          controller.close();
        },
      });
    const post = (size) => proxy(new Request("http://app.example/fhir/Binary", { method: "POST", body: stream(size), duplex: "half" }));
    assert.equal((await post(1000)).status, 200);
    assert.equal((await post(1001)).status, 413);
    const declared = await proxy(new Request("http://app.example/fhir/Binary", { method: "POST", body: "x", headers: { "content-length": "1001" } }));
    assert.equal(declared.status, 413, "a Content-Length over the limit is refused unread");
    assert.equal(client.fetches.length, 1);
    assert.equal(client.fetches[0].init.body.byteLength, 1000);
  });
});

describe("the TokenClient behind it", () => {
  test("a 401 from the API: one fresh token, one replay (GET, against the mock)", async () => {
    const proxy = await proxyServer();
    try {
      assert.equal((await send(proxy.url, "/sehatmu/fhir/Patient")).status, 200);
      tokenServer.revokeTokens();
      assert.equal((await send(proxy.url, "/sehatmu/fhir/Patient")).status, 200);
      assert.equal(tokenServer.requests.length, 2);
      assert.deepEqual(tokenServer.apiRequests.map((r) => r.authorization === tokenServer.apiRequests[0].authorization), [true, true, false]);
    } finally {
      await proxy.close();
    }
  });

  test("the replay carries the same body; a second 401 is handed back as it came", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const body = JSON.stringify({ resourceType: "Patient", name: [{ text: "Siti" }] });
      const replayed = await send(proxy.url, "/sehatmu/fhir/once401", { method: "POST", body, headers: { "content-type": "application/fhir+json" } });
      assert.equal(replayed.status, 200);
      assert.deepEqual(arrived.map((a) => a.body), [body, body]);
      assert.notEqual(arrived[0].headers.authorization, arrived[1].headers.authorization, "a fresh token");
      assert.equal(tokenServer.requests.length, 2);

      arrived.length = 0;
      const refused = await send(proxy.url, "/sehatmu/fhir/always401", { method: "POST", body });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers["www-authenticate"], 'Bearer error="invalid_token"');
      assert.equal(JSON.parse(refused.body).issue[0].details.text, "upstream says no");
      assert.equal(arrived.length, 2, "one replay, no more");
      assert.equal(tokenServer.requests.length, 3);
    } finally {
      await proxy.close();
    }
  });

  test("token failures: 502 naming the code; rate_limited 503 with Retry-After in whole seconds", async () => {
    const wrong = new TokenClient({ clientId: DEMO.clientId, clientSecret: "not-the-secret", baseUrl: tokenServer.url, retries: 0 });
    const proxy = await proxyServer({ client: wrong, upstream: `${upstreamUrl}/api` });
    try {
      const first = await send(proxy.url, "/sehatmu/fhir/Patient");
      assert.equal(first.status, 502);
      const outcome = JSON.parse(first.body);
      assert.equal(outcome.resourceType, "OperationOutcome");
      assert.match(outcome.issue[0].details.text, /\binvalid_credentials\b/);
      // The client's guard now refuses locally for the server's wait (60 s).
      const second = await send(proxy.url, "/sehatmu/fhir/Patient");
      assert.equal(second.status, 503);
      assert.match(JSON.parse(second.body).issue[0].details.text, /\brate_limited\b/);
      assert.match(second.headers["retry-after"], /^\d+$/);
      assert.ok(Number(second.headers["retry-after"]) > 55 && Number(second.headers["retry-after"]) <= 60, second.headers["retry-after"]);
      assert.equal(tokenServer.requests.length, 1);
      assert.equal(arrived.length, 0);
    } finally {
      await proxy.close();
    }
  });

  test("the server's 429 Retry-After comes back as the 503's", async () => {
    tokenServer.next({ status: 429, body: { resourceType: "OperationOutcome", issue: [] }, headers: { "retry-after": "7" } });
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const answer = await send(proxy.url, "/sehatmu/fhir/Patient");
      assert.equal(answer.status, 503);
      assert.ok(["6", "7"].includes(answer.headers["retry-after"]), answer.headers["retry-after"]);
    } finally {
      await proxy.close();
    }
  });

  test("no token endpoint, or no API: 502 naming network_error", async () => {
    const offline = new TokenClient({ clientId: "id", clientSecret: "secret", baseUrl: `http://127.0.0.1:${await closedPort()}`, retries: 0 });
    const noTokens = await proxyServer({ client: offline, upstream: `${upstreamUrl}/api` });
    const noApi = await proxyServer({ upstream: `http://127.0.0.1:${await closedPort()}` });
    try {
      for (const proxy of [noTokens, noApi]) {
        const answer = await send(proxy.url, "/sehatmu/fhir/Patient");
        assert.equal(answer.status, 502);
        assert.match(JSON.parse(answer.body).issue[0].details.text, /\bnetwork_error\b/);
      }
    } finally {
      await noTokens.close();
      await noApi.close();
    }
  });

  test("100 concurrent proxied calls on a cold client make one token request", async () => {
    const proxy = await proxyServer();
    try {
      const statuses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${proxy.url}/sehatmu/fhir/Patient`).then((r) => r.status)));
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(tokenServer.requests.length, 1);
      assert.equal(tokenServer.apiRequests.length, 100);
    } finally {
      await proxy.close();
    }
  });
});

describe("toNodeListener's Node path (a createProxy handler) and its generic path (any other)", () => {
  /** Waits until `check()` is true, polling: for what the upstream sees of a request that has gone. */
  async function until(check, what) {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(check(), what);
  }

  /** `promise`'s value, or a failure naming `what` after 5 s (a fetch that was not aborted would otherwise hang the test). */
  function within(promise, what) {
    let timer;
    const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within 5 s`)), 5000)));
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  /** The proxy on two servers: `direct`, the Node path, and `wrapped`, the generic one (a handler toNodeListener does not know). */
  async function bothPaths(options) {
    const direct = await proxyServer(options);
    const wrapped = createServer(toNodeListener((request) => direct.handler(request)));
    const wrappedUrl = await listen(wrapped);
    return { direct: direct.url, wrapped: wrappedUrl, close: () => Promise.all([direct.close(), close(wrapped)]) };
  }

  /** An answer as a comparable value: the status, every header but the date, and the body. */
  function comparable({ status, headers, body }) {
    const { date, ...rest } = headers;
    return { status, headers: rest, body: body.toString("latin1") };
  }

  test("the same status, headers and body either way: filtered headers, gzip, redirect, 401, HEAD, sized and streamed bodies", async () => {
    const paths = await bothPaths({ upstream: `${upstreamUrl}/api` });
    try {
      for (const [path, method] of [
        ["/sehatmu/fhir/Patient", "GET"],
        ["/sehatmu/fhir/Patient", "HEAD"],
        ["/sehatmu/fhir/gzip", "GET"],
        ["/sehatmu/fhir/redirect", "GET"],
        ["/sehatmu/fhir/always401", "POST"],
        ["/sehatmu/fhir/sized", "GET"],
        ["/sehatmu/fhir/../oauth/token", "GET"],
      ]) {
        const body = method === "POST" ? "{}" : undefined;
        const viaNode = await send(paths.direct, path, { method, body });
        const viaGeneric = await send(paths.wrapped, path, { method, body });
        assert.deepEqual(comparable(viaNode), comparable(viaGeneric), `${method} ${path}`);
      }
      const sized = await send(paths.direct, "/sehatmu/fhir/sized");
      assert.equal(sized.headers["content-length"], String(sized.body.length), "a known length is kept");
      assert.equal(sized.headers["transfer-encoding"], undefined);
      const filtered = await send(paths.direct, "/sehatmu/fhir/Patient");
      for (const name of ["set-cookie", "x-hop", "access-control-allow-origin"]) assert.equal(filtered.headers[name], undefined, name);
      assert.equal(filtered.headers["x-upstream"], "kept");
    } finally {
      await paths.close();
    }
  });

  test("an API status line that a Response can't hold answers 500 either way; whitespace around a header value is stripped either way", async () => {
    const net = await import("node:net");
    const lines = {
      "/api/fhir/status999": "HTTP/1.1 999 Odd\r\nx-a: 1\r\nContent-Length: 2\r\n\r\nhi",
      "/api/fhir/reason": "HTTP/1.1 200 O\x01K\r\nx-a: 1\r\nContent-Length: 2\r\n\r\nhi",
      "/api/fhir/spaces": "HTTP/1.1 200 OK\r\nx-a:  v \t \r\nContent-Length: 2\r\n\r\nhi",
    };
    const raw = net.createServer((socket) => {
      socket.once("data", (chunk) => socket.end(lines[String(chunk).split(" ")[1]]));
    });
    const rawUrl = await listen(raw);
    const paths = await bothPaths({ upstream: `${rawUrl}/api` });
    try {
      for (const [path, status] of [["/sehatmu/fhir/status999", 500], ["/sehatmu/fhir/reason", 500], ["/sehatmu/fhir/spaces", 200]]) {
        const viaNode = await send(paths.direct, path);
        const viaGeneric = await send(paths.wrapped, path);
        assert.equal(viaNode.status, status, path);
        assert.deepEqual(comparable(viaNode), comparable(viaGeneric), path);
        if (status === 500) assert.equal(viaNode.headers["x-a"], undefined, "no header of the API's on the 500");
        else assert.equal(viaNode.headers["x-a"], "v");
      }
    } finally {
      await paths.close();
      await close(raw);
    }
  });

  test("a body over 64 KiB with a Content-Length streams: its first bytes arrive before the API has finished", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    try {
      const response = await fetch(`${proxy.url}/sehatmu/fhir/big`);
      assert.equal(response.headers.get("content-length"), String(BIG));
      const reader = response.body.getReader();
      let size = 0;
      while (size < BIG / 2) size += (await reader.read()).value.byteLength;
      assert.equal(size, BIG / 2, "the first half, before the API sent the rest");
      releaseStream();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
      }
      assert.equal(size, BIG);
    } finally {
      await proxy.close();
    }
  });

  test("a client that goes away aborts the API request, whether it is waiting for the answer or reading its body", async () => {
    const proxy = await proxyServer({ upstream: `${upstreamUrl}/api` });
    const { hostname, port } = new URL(proxy.url);
    try {
      // Waiting: the API has the request and has not answered.
      const waiting = httpRequest({ hostname, port, path: "/sehatmu/fhir/hang" });
      waiting.on("error", () => {});
      waiting.end();
      await until(() => arrived.length === 1, "the request reached the API");
      waiting.destroy();
      assert.equal(await within(arrived[0].finished, "the API's request ended"), false, "the API's request was dropped before an answer");

      // Reading: half of a large body has come back.
      const reading = httpRequest({ hostname, port, path: "/sehatmu/fhir/big" });
      reading.on("error", () => {});
      const firstBytes = new Promise((resolve) => reading.on("response", (res) => res.once("data", resolve)));
      reading.end();
      await firstBytes;
      reading.destroy();
      assert.equal(await within(arrived[1].finished, "the API's answer ended"), false, "the API's answer was cut off mid-body");
    } finally {
      await proxy.close();
    }
  });

  test("a handler that is not createProxy's: its Response goes out as it is, cookies and all", async () => {
    const server = createServer(
      toNodeListener(async (request) =>
        new Response(`${request.method} ${new URL(request.url).pathname}`, {
          status: 201,
          headers: [["x-a", "1"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]],
        }),
      ),
    );
    const url = await listen(server);
    try {
      const answer = await send(url, "/any/path", { method: "PUT", body: "x" });
      assert.equal(answer.status, 201);
      assert.equal(answer.headers["x-a"], "1");
      assert.deepEqual(answer.headers["set-cookie"], ["a=1", "b=2"]);
      assert.equal(answer.body.toString(), "PUT /any/path");
    } finally {
      await close(server);
    }
  });

  test("a createProxy handler wrapped in another function still gets the raw request-target: the path rule holds", async () => {
    const client = fakeClient();
    const handler = createProxy({ client, authorize: () => true, prefix: "/sehatmu" });
    const wrapped = (request) => handler(request);
    for (const target of ["/sehatmu/fhir/../oauth/token", "/sehatmu/fhir/%2e%2e/oauth/token", "/sehatmu/fhir//Patient"]) {
      assert.equal((await callRaw(wrapped, target)).status, 400, target);
    }
    assert.equal((await callRaw(wrapped, "/sehatmu/fhir/Patient?a=1")).status, 200);
    assert.deepEqual(client.fetches.map((f) => f.url), ["https://api.example/fhir/Patient?a=1"]);
  });
});

test("a secret canary and every token issued appear in no response of the proxy", async () => {
  const canary = `canary-${"5ecre7".repeat(8)}`;
  const clients = [{ clientId: "canary.sehatmu.client", clientSecret: canary, shape: "sehatmu", name: "Canary" }];
  const server = await mock.startMockServer({ clients, rateLimitWindowMs: 60_000 });
  const seen = [];
  const check = async (proxy, path, options) => {
    const answer = await send(proxy.url, path, options);
    seen.push(JSON.stringify(answer.headers) + answer.body.toString("utf8"));
    return answer;
  };
  const good = new TokenClient({ ...clients[0], baseUrl: server.url, retries: 0 });
  const bad = new TokenClient({ clientId: clients[0].clientId, clientSecret: `${canary}-wrong`, baseUrl: server.url, retries: 0 });
  const proxies = [
    await proxyServer({ client: good }),
    await proxyServer({ client: good, upstream: `${upstreamUrl}/api` }),
    await proxyServer({ client: bad }),
  ];
  try {
    const [mockProxy, echoProxy, badProxy] = proxies;
    assert.equal((await check(mockProxy, "/sehatmu/fhir/Patient")).status, 200);
    assert.equal((await check(echoProxy, "/sehatmu/fhir/echo", { method: "POST", body: "{}" })).status, 200);
    server.revokeTokens();
    assert.equal((await check(mockProxy, "/sehatmu/fhir/Patient")).status, 200);
    assert.equal((await check(echoProxy, "/sehatmu/fhir/always401")).status, 401);
    assert.equal((await check(mockProxy, "/sehatmu/fhir/../oauth/token")).status, 400);
    assert.equal((await check(mockProxy, "/sehatmu/oauth/token", { method: "POST", body: `client_secret=${canary}` })).status, 404);
    assert.equal((await check(badProxy, "/sehatmu/fhir/Patient")).status, 502);
    assert.equal((await check(badProxy, "/sehatmu/fhir/Patient")).status, 503);
    const tokens = new Set([...arrived.map((a) => a.headers.authorization?.slice(7)), ...server.apiRequests.map((r) => r.authorization?.slice(7))].filter(Boolean));
    assert.ok(tokens.size >= 2, "tokens were used");
    for (const text of seen) {
      assert.ok(!text.includes(canary) && !text.includes(encodeURIComponent(canary)), `the secret shows in ${text}`);
      for (const token of tokens) assert.ok(!text.includes(token), `a token shows in ${text}`);
    }
  } finally {
    for (const proxy of proxies) await proxy.close();
    await server.close();
  }
});
