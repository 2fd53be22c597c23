// A backend for front ends: `import { createProxy, toNodeListener } from "sehatmu-auth/proxy"`.
//
// The page calls its own server (`/sehatmu/fhir/Patient`); this handler checks the caller with
// the app's `authorize`, forwards an allow-listed request to the SehatMu API with the
// TokenClient's bearer token, and hands the answer back. Neither the client secret nor the
// token ever reaches the browser: the pattern the IETF's best current practice for
// browser-based OAuth apps calls a backend-for-frontend.
//
// Server-only: no browser entry imports it, so the web entry's .wasm and glue stay as they are.
// Its rules are the core's (src/core/proxy.rs), in the server build's .wasm: which paths pass
// and to which URL, the option checks, the header lists. It reaches them through the private
// `#proxy-rules` import (package.json "imports"), which loads that .wasm as the runtime's own
// entry does (js/node.cjs, or js/workerd.js for workerd); so it runs on Node, Deno, Bun and
// workerd, and `toNodeListener` needs no `node:` module.
//
// What is left here is plumbing: reading the request's headers with the core's list
// (`requestHeaders`), the response's (`keptResponseHeaders`), the body (`readBody`), the proxy's
// own answers (`outcome`, `failure`), and Node's objects. `createProxy`'s handler and
// `toNodeListener`'s Node path both go through the one `forward` each proxy makes; the Node path
// only skips the web `Response` around the API's answer, writing it straight to Node's
// `ServerResponse` instead.

import { InternalProxyRoutes, internalProxyLists } from "#proxy-rules";
import { invalidArgument, isSehatmuError } from "./errors.js";

// The core's lists (src/core/proxy.rs), read once: the browser's request headers that reach the
// API; the response headers that never come back (hop-by-hop ones, cookies, the API's own
// origin policies) and the prefix of those dropped too; the content codings every `fetch`
// decodes by itself; the statuses whose answer has no body.
const [REQUEST_HEADERS, dropped, [DROPPED_PREFIX], decoded, nullBody] = internalProxyLists();
const DROPPED_RESPONSE_HEADERS = new Set(dropped);
const DECODED_BY_FETCH = new Set(decoded);
const NULL_BODY = new Set(nullBody);

/**
 * A `Request` that `toNodeListener` made → `{ target, signal }`: the request-target exactly as
 * the client sent it (a `Request`'s URL is already normalised), and the signal that aborts when
 * the client goes away, which the API request is sent with. Recorded for every handler, since
 * `authorize` may hand the request on to another proxy's handler.
 */
const nodeSides = new WeakMap();

/**
 * A handler made by `createProxy` → its `forward`, so that `toNodeListener` can serve it without
 * a web `Response` between the API's answer and Node's `ServerResponse` (a module-private map:
 * nothing outside this file can make a handler take that path, or see a proxy's settings).
 */
const forwards = new WeakMap();

/** An answer body up to this size with a known length is read whole and sent in one `res.end`:
 * it comes off the socket in about one read anyway, so streaming it would only add a reader's
 * round trips (a web stream read per chunk) without bringing its first byte any sooner. */
const WHOLE_ANSWER_BYTES = 64 * 1024;

/**
 * The options, checked (the client and `authorize` here, the rest by the core): throws
 * `invalid_argument` with the option's name as `field`.
 */
function settings(options) {
  if (typeof options !== "object" || options === null) throw invalidArgument("options", "an object");
  const { client, authorize, prefix, upstream, paths, maxBodyBytes } = options;
  const picksClient = typeof client === "function";
  if (!picksClient && !isTokenClient(client)) throw invalidArgument("client", "a TokenClient, or a function of the request that gives one");
  if (typeof authorize !== "function") throw invalidArgument("authorize", "a function that says whether to serve a request");
  // A client picked per request has no baseUrl to default the upstream to.
  const routes = new InternalProxyRoutes(prefix, paths, upstream, picksClient ? undefined : client.baseUrl, maxBodyBytes);
  return { client, picksClient, authorize, routes, maxBodyBytes: routes.maxBodyBytes };
}

/** Whether `value` can serve as the proxy's client: a `TokenClient` (or a look-alike with its `fetch` and `getToken`). */
function isTokenClient(value) {
  return typeof value === "object" && value !== null && typeof value.fetch === "function" && typeof value.getToken === "function";
}

/**
 * The client that `pick` (the `client` option as a function) gives for `request`: the client as
 * it is where `pick` answers with one synchronously, so that the usual pick costs no turn of the
 * microtask queue; else a promise of it. `null` (or a promise of `null`) for a throw, a
 * rejection or anything that is not a client.
 */
function pickedClient(pick, request) {
  let answer;
  try {
    answer = pick(request);
  } catch {
    return null;
  }
  if (isTokenClient(answer)) return answer;
  if (typeof answer?.then !== "function") return null;
  return Promise.resolve(answer).then((value) => (isTokenClient(value) ? value : null), () => null);
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

/**
 * The allow-listed headers of the browser's request, as `[name, value]` pairs: TokenClient.fetch
 * copies what it is given into a `Headers` of its own (with the bearer token) anyway, so a
 * `Headers` made here would only be one more copy for each request.
 */
function requestHeaders(incoming) {
  const headers = [];
  for (const name of REQUEST_HEADERS) {
    const value = incoming.get(name);
    if (value !== null) headers.push([name, value]);
  }
  return headers;
}

/** The comma-separated tokens of a header's value, lower-cased and trimmed. */
function tokens(value) {
  return value.toLowerCase().split(",").map((t) => t.trim());
}

/**
 * The API's response headers as they go back to the browser: `[name, value]` pairs, one per
 * name (a `Headers`' own iteration, which joins repeated ones; `Set-Cookie`, the one it keeps
 * apart, is dropped). Both ways out use this list: `createProxy`'s `Response` and the Node path's
 * `setHeader` calls.
 */
function keptResponseHeaders(upstream) {
  // One walk over the headers (a `Headers`' iteration gives each name once, its values joined
  // as `get` joins them), noting the two whose values rule the others out.
  const all = [];
  let connection = null;
  let encoding = null;
  for (const entry of upstream) {
    all.push(entry);
    if (entry[0] === "connection") connection = entry[1];
    else if (entry[0] === "content-encoding") encoding = entry[1];
  }
  const listed = connection === null ? [] : tokens(connection);
  // fetch hands over the decoded body but leaves Content-Encoding (and the encoded length) in place.
  const codings = encoding === null ? [] : tokens(encoding).filter(Boolean);
  const decoded = codings.length > 0 && codings.every((c) => DECODED_BY_FETCH.has(c));
  const kept = [];
  for (const [name, value] of all) {
    if (DROPPED_RESPONSE_HEADERS.has(name) || name.startsWith(DROPPED_PREFIX) || listed.includes(name)) continue;
    if (decoded && (name === "content-encoding" || name === "content-length")) continue;
    // fetch keeps the whitespace around a value as it came (`x-a:  v \t `); a `Headers` strips
    // it, so the value is stripped here and both ways out send the same bytes.
    const last = value.length - 1;
    kept.push([name, last >= 0 && (value.charCodeAt(0) <= 0x20 || value.charCodeAt(last) <= 0x20) ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "") : value]);
  }
  return kept;
}

/**
 * Throws what `new Response` throws for the API's status line: a status outside 200–599 or a
 * reason phrase with a control character (fetch passes on both). `createProxy`'s handler can't
 * build its `Response` then, and the listener answers 500; the Node path checks it before it
 * sets a header, so that it gives the very same 500.
 */
function assertRelayable(status, statusText) {
  if (status < 200 || status > 599) throw new RangeError(`The API answered with status ${status}.`);
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(statusText)) throw new TypeError("The API answered with an invalid reason phrase.");
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

/**
 * Whether `authorize` says yes to `request`: only a `true` (or a promise of one) does; a throw
 * or a rejection is a no. A synchronous `true` is returned as it is, so that the usual
 * `authorize` costs no turn of the microtask queue; anything else, a promise of the answer.
 */
function isAuthorized(authorize, request) {
  let answer;
  try {
    answer = authorize(request);
  } catch {
    return false;
  }
  if (answer === true) return true;
  return Promise.resolve(answer).then((value) => value === true, () => false);
}

/** Whether the answer to `method` with `status` goes back without a body. */
function bodiless(status, method) {
  return NULL_BODY.has(status) || method === "HEAD";
}

/** @type {import("./proxy.d.ts").createProxy} */
export function createProxy(options) {
  const config = settings(options);
  const { picksClient, authorize, routes, maxBodyBytes } = config;
  const refused = () => ({ answer: outcome(401, "login", "The proxy serves signed-in users of this app only.") });

  /**
   * Everything the proxy decides about `request`, whose raw request-target is `target`:
   * `{ answer }`, the proxy's own `Response` (401, 400, 404, 413, 502, 503), or `{ response }`,
   * the API's, to go back to the browser with `keptResponseHeaders`. The API request is sent
   * with `signal`: it aborts when the client goes away.
   */
  async function forward(request, target, signal) {
    const allowed = isAuthorized(authorize, request);
    if (allowed !== true && !(await allowed)) return refused();
    let { client } = config;
    if (picksClient) {
      const picked = pickedClient(client, request);
      client = isTokenClient(picked) ? picked : await picked;
      if (client === null) return refused();
    }

    const url = routes.route(target);
    if (typeof url === "number") return { answer: outcome(url, ...REFUSED[url]) };

    const { method } = request;
    // No await at all for a request without a body (every GET): readBody would answer null.
    const body = request.body === null ? null : await readBody(request, maxBodyBytes);
    if (body === "too large") return { answer: outcome(413, "too-long", `The request body is over the proxy's limit of ${maxBodyBytes} bytes.`) };

    try {
      // TokenClient.fetch adds the bearer token and, on a 401, gets a fresh one and replays once:
      // the body is bytes in memory, so it can be sent again. The token never passes through here.
      const response = await client.fetch(url, {
        method,
        headers: requestHeaders(request.headers),
        body: body ?? undefined,
        redirect: "manual",
        signal,
      });
      return { response };
    } catch (error) {
      return { answer: failure(error) };
    }
  }

  /** The fetch-style handler: the API's answer in a `Response` of the proxy's own. */
  async function proxy(request) {
    const side = nodeSides.get(request);
    let target = side?.target;
    if (target === undefined) {
      const { pathname, search } = new URL(request.url);
      target = pathname + search;
    }
    const { answer, response } = await forward(request, target, side?.signal ?? request.signal);
    if (answer) return answer;
    return new Response(bodiless(response.status, request.method) ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: keptResponseHeaders(response.headers),
    });
  }
  forwards.set(proxy, forward);
  return proxy;
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

/** The request-target as the client sent it; Express strips its mount path from `req.url` and keeps the whole one in `req.originalUrl`. */
function nodeTarget(req) {
  return typeof req.originalUrl === "string" ? req.originalUrl : req.url ?? "/";
}

/** The URL of a Node request's `Request`: its target resolved against `scheme://Host` (`http://localhost` where that is no URL). */
function nodeUrl(req, target) {
  const path = target.startsWith("/") ? target : "/";
  try {
    return new URL(path, `${req.socket?.encrypted ? "https" : "http"}://${req.headers.host ?? "localhost"}`).href;
  } catch {
    return new URL(path, "http://localhost").href;
  }
}

/** A `Request` for a Node `IncomingMessage` whose request-target is `target`. */
function nodeRequest(req, target, signal) {
  const url = nodeUrl(req, target);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const body = hasBody ? nodeBody(req) : undefined;
  const duplex = hasBody ? "half" : undefined;
  const raw = req.rawHeaders;
  const pairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!raw[i].startsWith(":")) pairs.push([raw[i], raw[i + 1]]); // not HTTP/2 pseudo-headers
  }
  try {
    return new Request(url, { method, headers: pairs, body, duplex, signal });
  } catch {
    // A header the Fetch API refuses (it is not forwarded anyway), or a method it refuses
    // (CONNECT, TRACE, TRACK), which throws again below. The constructor reads the body only
    // after the headers, so the stream is still unread.
  }
  const headers = new Headers();
  for (const [name, value] of pairs) {
    try {
      headers.append(name, value);
    } catch {
      // a header the Fetch API refuses: not forwarded anyway
    }
  }
  return new Request(url, { method, headers, body, duplex, signal });
}

/** Sets the status line and `headers` (`[name, value]` pairs, `Set-Cookie` with an array value) on `res`, and sends them. */
function writeHead(req, res, status, statusText, headers) {
  for (const [name, value] of headers) res.setHeader(name, value);
  // An answer before the whole body was read (401, 404, 413): the rest is dropped, and the
  // connection closes after it instead of being reused mid-body.
  if (!req.complete) res.setHeader("connection", "close");
  res.writeHead(status, statusText || undefined);
}

/**
 * Writes a web stream to `res` with backpressure, then ends it; cancels the stream if the client
 * has gone. Where `res` can cork (Node's), the first chunk waits corked until the next read
 * settles or the event loop turns: a body that ends at once, as most small answers of unknown
 * length do, then leaves in one write with the head and the closing chunk instead of two, and
 * one that doesn't is held back by no more than a turn of the loop.
 */
async function writeStream(body, res) {
  const reader = body.getReader();
  let corked = false;
  let turn;
  /** Sends what the cork holds, once (from the next chunk, the turn's end or the client's going away). */
  const uncork = () => {
    if (!corked) return;
    corked = false;
    clearImmediate(turn);
    res.uncork();
  };
  try {
    for (let first = true; ; first = false) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      uncork();
      if (first && typeof res.cork === "function" && typeof res.uncork === "function" && typeof setImmediate === "function") {
        res.cork();
        corked = true;
        turn = setImmediate(uncork);
      }
      if (!res.write(value)) {
        uncork();
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
  } finally {
    if (res.destroyed) {
      uncork();
      await reader.cancel().catch(() => {});
    } else {
      // end() uncorks all the way by itself, sending what is held with the closing chunk.
      if (corked) clearImmediate(turn);
      corked = false;
      res.end();
    }
  }
}

/** Writes a `Response` to a Node `ServerResponse`, streaming its body with backpressure. */
async function writeResponse(response, req, res) {
  const headers = [];
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") headers.push([name, value]);
  }
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 0) headers.push(["set-cookie", cookies]);
  writeHead(req, res, response.status, response.statusText, headers);
  if (!response.body) return void res.end();
  await writeStream(response.body, res);
}

/**
 * Writes the API's `response` to `method` straight to `res`: what `writeResponse` would write of
 * the `Response` that `createProxy`'s handler makes of it, without making that `Response`. A body
 * of a known length up to `WHOLE_ANSWER_BYTES` goes in one `res.end`; a larger one, or one of
 * unknown length, streams, so that memory stays bounded and its first bytes go out at once.
 */
async function writeUpstream(response, method, req, res) {
  assertRelayable(response.status, response.statusText);
  const headers = keptResponseHeaders(response.headers);
  writeHead(req, res, response.status, response.statusText, headers);
  // `createProxy`'s handler answers these with a null body, leaving the API's unread.
  if (bodiless(response.status, method) || response.body === null) return void res.end();
  // A length that was kept is the body's own (the rule drops the encoded length of a body that
  // fetch decodes, which may be far smaller than what comes out).
  const length = headers.find(([name]) => name === "content-length")?.[1];
  if (length !== undefined && /^\d+$/.test(length) && Number(length) <= WHOLE_ANSWER_BYTES) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (res.destroyed) return;
    return void res.end(bytes.byteLength > 0 ? bytes : undefined);
  }
  await writeStream(response.body, res);
}

/** @type {import("./proxy.d.ts").toNodeListener} */
export function toNodeListener(handler) {
  if (typeof handler !== "function") throw invalidArgument("handler", "a function from Request to Promise<Response>");
  // A handler of createProxy's takes the Node path: the same forward, with the API's answer
  // written to `res` as it is instead of through a `Response` of the handler's.
  const forward = forwards.get(handler);
  return function listener(req, res) {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    (async () => {
      const target = nodeTarget(req);
      let request;
      try {
        // A createProxy handler's Request has no signal: its API request is sent with the
        // connection's own (`forward`'s argument, and `nodeSides` for a hand-over). A Request
        // made with a signal follows it (listeners and a finaliser), which cost each request
        // 25 µs of CPU on Node 20.
        request = nodeRequest(req, target, forward === undefined ? controller.signal : undefined);
      } catch {
        // A method the Fetch API refuses (CONNECT, TRACE, TRACK) or a target it can't parse.
        return writeResponse(outcome(405, "not-supported", "The proxy does not forward this request."), req, res);
      }
      nodeSides.set(request, { target, signal: controller.signal });
      if (forward === undefined) return writeResponse(await handler(request), req, res);
      const { answer, response } = await forward(request, target, controller.signal);
      if (answer) return writeResponse(answer, req, res);
      await writeUpstream(response, request.method, req, res);
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
