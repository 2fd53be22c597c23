import type { TokenClient } from "../pkg/index.js";

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  /**
   * Gets the token (and a fresh one after a 401 from the API); its `baseUrl` is the default
   * upstream. Or a function that picks the client for each request (a clinic's, of
   * `TokenClients`: `(request) => clients.get(clinicOf(request))`); then `upstream` is required,
   * and a throw or a value that is not a `TokenClient` answers 401 as `authorize` does.
   */
  client: TokenClient | ((request: Request) => TokenClient | Promise<TokenClient>);
  /**
   * Whether to serve this request (a session cookie, the app's own sign-in): anything but
   * `true`, or a throw, answers 401 before any I/O. Required: there is no open proxy.
   */
  authorize(request: Request): boolean | Promise<boolean>;
  /** Where the proxy is mounted (`"/sehatmu"`): stripped before forwarding. Default `""`. */
  prefix?: string;
  /**
   * The API's base URL; its own path is kept (`https://host/api` + `/fhir/Patient`). An absolute
   * `https:` URL (plain `http:` only for `localhost`, `127.0.0.0/8` and `[::1]`). Default: the
   * client's `baseUrl`; required where `client` is a function.
   */
  upstream?: string;
  /** The upstream path prefixes the proxy may reach. Default `["/fhir/"]`. The token endpoint never is. */
  paths?: readonly string[];
  /** The largest request body forwarded, in bytes; one byte more answers 413. Default 10 MiB. */
  maxBodyBytes?: number;
}

/** A fetch-style handler: Workers, Deno.serve, Bun.serve, Next.js route handlers, Hono. */
export type ProxyHandler = (request: Request) => Promise<Response>;

/**
 * A backend-for-frontend in front of the SehatMu API: the browser calls the app's own server,
 * which adds the `TokenClient`'s bearer token, so neither the secret nor the token reaches the
 * page. Refused before any I/O: `authorize` not true (401), a dot or empty segment, a backslash
 * or an encoded `.`, `/`, `\` or `%` in the path (400), a path outside `prefix` + `paths` (404).
 * Token failures answer 502 (`rate_limited`: 503 with `Retry-After`), each with a JSON
 * `OperationOutcome` naming the error's code.
 *
 * Throws a `SehatmuError` `invalid_argument` (with `field`) for a missing or bad option.
 */
export function createProxy(options: ProxyOptions): ProxyHandler;

/** The part of Node's `IncomingMessage` (or Express's request) the listener reads. */
export interface NodeRequestLike {
  method?: string;
  url?: string;
  /** Express's: the URL before its mount path was stripped. */
  originalUrl?: string;
  headers: { host?: string };
  rawHeaders: string[];
  /** Whether the whole body has been received. */
  complete: boolean;
  socket?: unknown;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** The part of Node's `ServerResponse` (or Express's response) the listener writes. */
export interface NodeResponseLike {
  setHeader(name: string, value: string | string[]): unknown;
  writeHead(status: number, statusMessage?: string): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  /** Node's: the listener corks the first chunk of a streamed body, so that a body that ends at once leaves in one write. */
  cork?(): void;
  uncork?(): void;
  destroy(): unknown;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  on(event: "close", listener: () => void): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * `handler` as a Node listener, for `http.createServer(listener)` and Express
 * (`app.use("/sehatmu", listener)`, mounted before any body parser: it reads the body itself).
 * With Express, `prefix` is the whole mount path: the listener reads `req.originalUrl`.
 * A client that goes away aborts the API request; the `Request` that a `createProxy` handler's
 * `authorize` receives has no signal of the connection (one that a handler of your own
 * receives has).
 */
export function toNodeListener(handler: ProxyHandler): (req: NodeRequestLike, res: NodeResponseLike) => void;
