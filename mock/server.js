// A mock SehatMu token endpoint that behaves as the API's page documents, for offline
// development and tests: `import { startMockServer } from "sehatmu-auth/mock"`.
//
// Node only, no dependencies. It listens on 127.0.0.1 unless told otherwise.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** The documented text of a failed authentication. */
export const UNAUTHENTICATED_TEXT =
  "The user or system was not able to be authenticated (either client_id or client_secret combination is unacceptable)";

/** The documented text of the rate limit. */
export const RATE_LIMIT_TEXT =
  "Authentication temporarily cannot be performed due to the rate limit policy. Rate limit: 1 request per minute after a failed attempt.";

/** Demo credentials, one per documented success shape. The secrets work against this server only. */
export const DEMO_CLIENTS = Object.freeze([
  Object.freeze({
    clientId: "0d8d0652-3a1d-47c3-97a6-d5a513c5f285.sehatmu.client",
    clientSecret: "5e5a7d2c9b1f4e8a0c3d6b9e2f5a8c1d4e7b0a3f6c9d2e5b8a1c4f7d0e3b6a9c",
    shape: "sehatmu",
    name: "Klinik Demo Muhammadiyah",
    email: "demo@klinik.example",
  }),
  Object.freeze({
    clientId: "7b3e9f21-5c4d-4a8e-9f0b-1d2c3e4f5a6b.sehatmu.client",
    clientSecret: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
    shape: "satusehat",
    name: "SATUSEHAT-style Demo",
    email: "satusehat@klinik.example",
  }),
  Object.freeze({
    clientId: "c4f1a2b3-d4e5-4f60-8a7b-9c0d1e2f3a4b.sehatmu.client",
    clientSecret: "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f",
    shape: "rfc6749",
    name: "RFC 6749 Demo",
    email: "rfc@klinik.example",
  }),
]);

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "Content-Type, Accept, Authorization",
  "access-control-expose-headers": "Date, Retry-After",
  "access-control-max-age": "600",
};

function outcome(text, code = "value") {
  return { resourceType: "OperationOutcome", issue: [{ severity: "invalid", code, details: { text } }] };
}

/** The success body in one of the documented shapes. */
function successBody(shape, client, token, issuedAt, lifetimeSec) {
  const userId = client.userId ?? randomBytes(12).toString("hex");
  switch (shape) {
    case "satusehat":
      return {
        access_token: token,
        expires_in: String(lifetimeSec),
        issued_at: String(issuedAt),
        token_type: "BearerToken",
        client_id: client.clientId,
        developer: { email: client.email },
        status: "approved",
      };
    case "rfc6749":
      return { access_token: token, token_type: "bearer", expires_in: lifetimeSec };
    default:
      return {
        accessToken: token,
        accessTokenExpiresAt: new Date(issuedAt + lifetimeSec * 1000).toISOString(),
        clientId: client.clientId,
        client: { name: client.name, email: client.email },
        userId,
        user: { id: userId, email: client.email, name: client.name },
      };
  }
}

/**
 * Starts the mock server.
 *
 * @param {object} [options]
 * @param {number} [options.port] the port; 0 (default) picks a free one
 * @param {string} [options.host] default "127.0.0.1"
 * @param {number} [options.rateLimitWindowMs] how long a client id is refused after a failed attempt (default 60000)
 * @param {number} [options.rateLimitStatus] the status of a rate-limited answer (default 429)
 * @param {number} [options.tokenLifetimeSec] default 3600
 * @param {Array<{clientId: string, clientSecret: string, shape?: string, name?: string, email?: string}>} [options.clients]
 * @param {() => number} [options.now] the server's clock (default Date.now)
 * @param {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void} [options.fallback]
 *   answers the requests that are not the mock's, their bodies unread (default: a 404 OperationOutcome)
 */
export async function startMockServer(options = {}) {
  const {
    port = 0,
    host = "127.0.0.1",
    rateLimitWindowMs = 60_000,
    rateLimitStatus = 429,
    tokenLifetimeSec = 3600,
    clients = DEMO_CLIENTS,
    now = Date.now,
    fallback,
  } = options;
  /** Every token request as received. */
  const requests = [];
  /** One-off answers for the next token requests, consumed in order. */
  const scripted = [];
  /** client id → the moment its rate-limit window ends. */
  const blockedUntil = new Map();
  /** token → { clientId, expiresAt } of every token issued (and not revoked). */
  const tokens = new Map();
  /** Every request to the protected `/fhir/…` endpoints. */
  const apiRequests = [];
  const sockets = new Set();

  function send(res, status, body, headers = {}) {
    const json = typeof body !== "string";
    res.writeHead(status, {
      ...CORS_HEADERS,
      "content-type": json ? "application/json" : "text/plain; charset=utf-8",
      date: new Date(now()).toUTCString(),
      ...headers,
    });
    res.end(json ? JSON.stringify(body) : body);
  }

  function tokenEndpoint(req, res, text) {
    const url = new URL(req.url, "http://mock");
    const form = new URLSearchParams(text);
    requests.push({
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body: text,
      form: Object.fromEntries(form),
    });
    const next = scripted.shift();
    const respond = () => {
      if (next?.drop) {
        req.socket.destroy();
      } else if (next?.status !== undefined || next?.body !== undefined) {
        send(res, next.status ?? 200, next.body ?? "", next.headers);
      } else {
        realAnswer(req, res, url, form, next?.shape);
      }
    };
    if (next?.delayMs) setTimeout(respond, next.delayMs);
    else respond();
  }

  function realAnswer(req, res, url, form, shapeOverride) {
    if (req.method !== "POST") {
      return send(res, 400, outcome(`The HTTP method ${req.method} is not allowed: use POST.`, "not-supported"));
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") {
      return send(res, 400, outcome("The Content-Type must be application/x-www-form-urlencoded.", "structure"));
    }
    const grant = form.get("grant_type") ?? url.searchParams.get("grant_type");
    if (grant !== "client_credentials") {
      return send(res, 400, outcome("The grant_type must be client_credentials.", "value"));
    }
    const clientId = form.get("client_id") ?? "";
    const until = blockedUntil.get(clientId) ?? 0;
    if (now() < until) {
      const seconds = Math.ceil((until - now()) / 1000);
      return send(res, rateLimitStatus, outcome(RATE_LIMIT_TEXT, "throttled"), { "retry-after": String(seconds) });
    }
    const client = clients.find((c) => c.clientId === clientId);
    if (!client || client.clientSecret !== form.get("client_secret")) {
      blockedUntil.set(clientId, now() + rateLimitWindowMs);
      return send(res, 401, outcome(UNAUTHENTICATED_TEXT));
    }
    const token = randomBytes(20).toString("hex");
    const issuedAt = now();
    tokens.set(token, { clientId, expiresAt: issuedAt + tokenLifetimeSec * 1000 });
    send(res, 200, successBody(shapeOverride ?? client.shape, client, token, issuedAt, tokenLifetimeSec));
  }

  /** A stand-in for the rest of the API: answers only with a live token of this server. */
  function protectedEndpoint(req, res, path) {
    apiRequests.push({ method: req.method, path, authorization: req.headers.authorization });
    const [scheme, token] = (req.headers.authorization ?? "").split(" ");
    const issued = scheme === "Bearer" ? tokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= now()) {
      return send(res, 401, outcome("The access token is missing, unknown or expired.", "login"));
    }
    send(res, 200, { resourceType: "Bundle", type: "searchset", total: 0, path, clientId: issued.clientId });
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://mock").pathname;
    const mine = req.method === "OPTIONS" || path.endsWith("/oauth/token") || path.startsWith("/fhir/");
    // The fallback gets the request with its body unread (a proxy mounted there forwards it).
    if (!mine && fallback) return fallback(req, res);
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (req.method === "OPTIONS") {
        res.writeHead(204, CORS_HEADERS);
        res.end();
      } else if (path.endsWith("/oauth/token")) {
        tokenEndpoint(req, res, text);
      } else if (path.startsWith("/fhir/")) {
        protectedEndpoint(req, res, path);
      } else {
        send(res, 404, outcome(`No route ${path} on the mock SehatMu server.`, "not-found"));
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    /** The base URL to pass as `baseUrl`. */
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    requests,
    apiRequests,
    tokens,
    clients,
    /**
     * Scripts the answers to the next token requests, one object each: `{ status, body, headers }`
     * (a string body is sent as text/plain, anything else as JSON), `{ shape }` for another
     * documented success shape, `{ delayMs }` to answer late, `{ drop: true }` to close the
     * connection without an answer. Fields combine: `{ delayMs: 50, status: 503, body: "…" }`.
     */
    next(...answers) {
      scripted.push(...answers);
    },
    /** Makes every token issued so far unknown to the `/fhir/…` endpoints. */
    revokeTokens() {
      tokens.clear();
    },
    /** Forgets requests, scripted answers and rate-limit windows. */
    reset() {
      requests.length = 0;
      apiRequests.length = 0;
      scripted.length = 0;
      blockedUntil.clear();
    },
    /** Stops the server and closes every open connection. */
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
