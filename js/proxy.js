// A backend for front ends: `import { createProxy, toNodeListener } from "sehatmu-auth/proxy"`.
//
// The page calls its own server (`/sehatmu/fhir/Patient`); this handler checks the caller with
// the app's `authorize`, forwards an allow-listed request to the SehatMu API with the
// TokenClient's bearer token, and hands the answer back. Neither the client secret nor the
// token ever reaches the browser: the pattern the IETF's best current practice for
// browser-based OAuth apps calls a backend-for-frontend.
//
// Server-only, and JavaScript of its own: no browser entry imports it, so the web entry's
// .wasm and glue stay as they are. It imports only js/errors.js, so it runs wherever `Request` and
// `Response` do (Node, Deno, Bun, workerd); `toNodeListener` needs no `node:` module either.
//
// Every rule has one home here: `pathRule` (which paths pass), `REQUEST_HEADERS` (which
// request headers pass), `responseHeaders` (which response headers come back).

import { isSehatmuError, sehatmuError } from "./errors.js";

/** An `invalid_argument` SehatmuError, as the .wasm builds them. */
function invalidArgument(field, must) {
  return sehatmuError("invalid_argument", `Invalid ${field}: it must be ${must}.`, { field });
}

const DEFAULT_PATHS = Object.freeze(["/fhir/"]);
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The browser's request headers that reach the API; every other one (Cookie, Authorization, Origin, Host, X-Forwarded-*, …) stays behind. */
const REQUEST_HEADERS = Object.freeze([
  "accept",
  "accept-language",
  "content-type",
  "if-match",
  "if-modified-since",
  "if-none-exist",
  "if-none-match",
  "if-unmodified-since",
  "prefer",
]);

/** Response headers that never come back: hop-by-hop ones, cookies, and the API's own origin policies. */
const DROPPED_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
  "set-cookie2",
  "alt-svc",
  "strict-transport-security",
]);

/** Content codings that every `fetch` (undici, Deno, Bun, workerd) decodes by itself. */
const DECODED_BY_FETCH = new Set(["gzip", "x-gzip", "deflate", "br", "identity"]);

/** Statuses whose response can't have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** `request` → the request-target exactly as the client sent it (toNodeListener records it: a `Request`'s URL is already normalised). */
const rawTargets = new WeakMap();

/** `http:` is allowed on these hosts only, as for `baseUrl`. */
function isLoopback(hostname) {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  const octets = hostname.split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/** The upstream's origin and path (no trailing slash), or `invalid_argument`. */
function parseUpstream(value) {
  const must = "an absolute https: URL (http: only for localhost, 127.0.0.0/8 or [::1]) with no credentials, query or fragment";
  if (typeof value !== "string") throw invalidArgument("upstream", must);
  let url;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument("upstream", must);
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  if (!secure || url.username || url.password || url.search || url.hash || value.includes("?") || value.includes("#")) {
    throw invalidArgument("upstream", must);
  }
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, "") };
}

/**
 * What the path rule says of a raw request path (no query): `{ status: 400 }` for a dot
 * segment, a backslash, an empty segment (a trailing slash excepted) or any `%2e`, `%2f`, `%5c`
 * (or `%25`, which a second decoding would turn into one of them); `{ status: 404 }` outside
 * `prefix` + `paths`, and for anything that names the token endpoint; else `{ path }`, the path
 * to forward (after `prefix`).
 */
function pathRule(raw, prefix, paths) {
  if (!raw.startsWith("/") || raw.includes("\\") || /%(2e|2f|5c|25)/i.test(raw)) return { status: 400 };
  const segments = raw.split("/").slice(1);
  if (segments.some((s, i) => s === "." || s === ".." || (s === "" && i < segments.length - 1))) return { status: 400 };
  if (prefix && !raw.startsWith(`${prefix}/`)) return { status: 404 };
  const path = raw.slice(prefix.length);
  if (!paths.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p || path.startsWith(`${p}/`)))) {
    return { status: 404 };
  }
  if (namesTokenEndpoint(path)) return { status: 404 };
  return { path };
}

/** Whether a path reaches an `/oauth/token` (any case), whatever the prefix or the paths allow. */
function namesTokenEndpoint(path) {
  return /\/oauth\/token(\/|$)/i.test(path);
}

/** A path option (`prefix` or an entry of `paths`) that the path rule itself would pass. */
function checkPathOption(field, value, { empty }) {
  if (typeof value !== "string") throw invalidArgument(field, "a string");
  if (value === "" && empty) return value;
  const probe = value.endsWith("/") ? `${value}x` : value;
  if (!value.startsWith("/") || pathRule(probe, "", ["/"]).status === 400) {
    throw invalidArgument(field, 'a path that starts with "/", with no dot or empty segment, backslash or %2e, %2f, %5c or %25');
  }
  return value;
}

/** The options, checked: throws `invalid_argument` with the option's name as `field`. */
function settings(options) {
  if (typeof options !== "object" || options === null) throw invalidArgument("options", "an object");
  const { client, authorize, prefix = "", upstream, paths = DEFAULT_PATHS, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  if (typeof client !== "object" || client === null || typeof client.fetch !== "function" || typeof client.getToken !== "function") {
    throw invalidArgument("client", "a TokenClient");
  }
  if (typeof authorize !== "function") throw invalidArgument("authorize", "a function that says whether to serve a request");
  const mount = checkPathOption("prefix", prefix, { empty: true }).replace(/\/$/, "");
  if (!Array.isArray(paths) || paths.length === 0) throw invalidArgument("paths", "a non-empty array of path prefixes");
  const reachable = paths.map((p) => checkPathOption("paths", p, { empty: false }));
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw invalidArgument("maxBodyBytes", "a whole number of bytes, 0 or more");
  const base = upstream ?? client.baseUrl;
  if (upstream === undefined && typeof base !== "string") {
    throw invalidArgument("upstream", "given: this client does not tell its baseUrl yet");
  }
  return { client, authorize, prefix: mount, upstream: parseUpstream(base), paths: reachable, maxBodyBytes };
}

/** A JSON `OperationOutcome` answer from the proxy itself. */
function outcome(status, code, text, headers = {}) {
  const body = { resourceType: "OperationOutcome", issue: [{ severity: "error", code, details: { text } }] };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/fhir+json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

const REFUSED = {
  400: ["invalid", "The path is not one the proxy forwards: no dot or empty segments, backslashes or encoded dots, slashes or backslashes."],
  404: ["not-found", "The proxy does not forward this path."],
};

/** The allow-listed headers of the browser's request. */
function requestHeaders(incoming) {
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = incoming.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** The API's response headers as they go back to the browser. */
function responseHeaders(upstream) {
  const headers = new Headers();
  const listed = (upstream.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
  const codings = (upstream.get("content-encoding") ?? "").toLowerCase().split(",").map((t) => t.trim()).filter(Boolean);
  // fetch hands over the decoded body but leaves Content-Encoding (and the encoded length) in place.
  const decoded = codings.length > 0 && codings.every((c) => DECODED_BY_FETCH.has(c));
  for (const [name, value] of upstream) {
    if (DROPPED_RESPONSE_HEADERS.has(name) || listed.includes(name) || name.startsWith("access-control-")) continue;
    if (decoded && (name === "content-encoding" || name === "content-length")) continue;
    headers.append(name, value);
  }
  return headers;
}

/** The request's body, held in memory so that a 401 can be replayed: bytes, `null` for none, or `"too large"`. */
async function readBody(request, max) {
  if (request.body === null) return null;
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) {
    await request.body.cancel().catch(() => {});
    return "too large";
  }
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return "too large";
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The answer when the TokenClient (or the API's connection) failed: never its message, only its code. */
function failure(error) {
  if (!isSehatmuError(error)) return outcome(502, "transient", "The proxy could not reach the SehatMu API (network_error).");
  const { code } = error;
  if (code === "rate_limited") {
    const ms = Number.isFinite(error.retryAfterMs) ? error.retryAfterMs : 60_000;
    const seconds = String(Math.max(1, Math.ceil(ms / 1000)));
    return outcome(503, "throttled", `The proxy can't get a SehatMu access token for now (rate_limited): retry in ${seconds} s.`, {
      "retry-after": seconds,
    });
  }
  return outcome(502, "exception", `The proxy could not get a SehatMu access token (${code}).`);
}

/** @type {import("./proxy.d.ts").createProxy} */
export function createProxy(options) {
  const { client, authorize, prefix, upstream, paths, maxBodyBytes } = settings(options);

  return async function proxy(request) {
    const allowed = await Promise.resolve()
      .then(() => authorize(request))
      .then((answer) => answer === true, () => false);
    if (!allowed) return outcome(401, "login", "The proxy serves signed-in users of this app only.");

    const { pathname, search } = new URL(request.url);
    const target = rawTargets.get(request) ?? pathname + search;
    const query = target.indexOf("?");
    const route = pathRule(query === -1 ? target : target.slice(0, query), prefix, paths);
    if (route.status) return outcome(route.status, ...REFUSED[route.status]);
    const url = `${upstream.origin}${upstream.path}${route.path}${query === -1 ? "" : target.slice(query)}`;
    if (namesTokenEndpoint(new URL(url).pathname)) return outcome(404, ...REFUSED[404]);

    const { method } = request;
    const body = await readBody(request, maxBodyBytes);
    if (body === "too large") return outcome(413, "too-long", `The request body is over the proxy's limit of ${maxBodyBytes} bytes.`);

    let response;
    try {
      // TokenClient.fetch adds the bearer token and, on a 401, gets a fresh one and replays once:
      // the body is bytes in memory, so it can be sent again. The token never passes through here.
      response = await client.fetch(url, {
        method,
        headers: requestHeaders(request.headers),
        body: body ?? undefined,
        redirect: "manual",
        signal: request.signal,
      });
    } catch (error) {
      return failure(error);
    }
    return new Response(NULL_BODY.has(response.status) || method === "HEAD" ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: responseHeaders(response.headers),
    });
  };
}

/** The Node request's body as a web stream; cancelling it reads and drops the rest, so that an answer (413) still reaches the client. */
function nodeBody(req) {
  let open = true;
  return new ReadableStream({
    start(controller) {
      req.on("data", (chunk) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (controller.desiredSize <= 0) req.pause();
      });
      req.on("end", () => open && ((open = false), controller.close()));
      req.on("error", (error) => open && ((open = false), controller.error(error)));
    },
    pull() {
      req.resume();
    },
    cancel() {
      open = false;
      req.resume();
    },
  }, { highWaterMark: 65536, size: (chunk) => chunk.byteLength });
}

/** A `Request` for a Node `IncomingMessage`, its raw target recorded for the path rule. */
function nodeRequest(req, signal) {
  // Express strips its mount path from req.url and keeps the whole one in req.originalUrl.
  const target = typeof req.originalUrl === "string" ? req.originalUrl : req.url ?? "/";
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].startsWith(":")) continue; // HTTP/2 pseudo-headers
    try {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    } catch {
      // a header the Fetch API refuses: not forwarded anyway
    }
  }
  let url;
  try {
    const scheme = req.socket?.encrypted ? "https" : "http";
    url = new URL(target.startsWith("/") ? target : "/", `${scheme}://${req.headers.host ?? "localhost"}`);
  } catch {
    url = new URL(target.startsWith("/") ? target : "/", "http://localhost");
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(url, {
    method,
    headers,
    body: hasBody ? nodeBody(req) : undefined,
    duplex: hasBody ? "half" : undefined,
    signal,
  });
  rawTargets.set(request, target);
  return request;
}

/** Writes a `Response` to a Node `ServerResponse`, streaming its body with backpressure. */
async function writeResponse(response, req, res) {
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  // An answer before the whole body was read (401, 404, 413): the rest is dropped, and the
  // connection closes after it instead of being reused mid-body.
  if (!req.complete) res.setHeader("connection", "close");
  res.writeHead(response.status, response.statusText || undefined);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) {
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
  } finally {
    if (res.destroyed) await reader.cancel().catch(() => {});
    else res.end();
  }
}

/** @type {import("./proxy.d.ts").toNodeListener} */
export function toNodeListener(handler) {
  if (typeof handler !== "function") throw invalidArgument("handler", "a function from Request to Promise<Response>");
  return function listener(req, res) {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    (async () => {
      let request;
      try {
        request = nodeRequest(req, controller.signal);
      } catch {
        // A method the Fetch API refuses (CONNECT, TRACE, TRACK) or a target it can't parse.
        return writeResponse(outcome(405, "not-supported", "The proxy does not forward this request."), req, res);
      }
      await writeResponse(await handler(request), req, res);
    })().catch(() => {
      if (!res.headersSent) {
        res.setHeader("content-type", "application/fhir+json; charset=utf-8");
        res.setHeader("connection", "close");
        res.writeHead(500);
        res.end(
          JSON.stringify({
            resourceType: "OperationOutcome",
            issue: [{ severity: "error", code: "exception", details: { text: "The proxy failed." } }],
          }),
        );
      } else {
        res.destroy();
      }
    });
  };
}
