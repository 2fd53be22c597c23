/**
 * `sehatmu-auth`: SehatMu API tokens (OAuth 2 client credentials), from Rust compiled to
 * WebAssembly. One declaration for every entry: Node (`import` and `require`), browsers and
 * bundlers, and `sehatmu-auth/web`.
 */

/** Options of {@link getToken}. */
export interface GetTokenOptions {
  /**
   * The API's base URL; the token URL is `${baseUrl}/oauth/token`. An absolute `https:` URL
   * (plain `http:` only for `localhost`, `127.0.0.0/8` and `[::1]`), with no credentials,
   * query or fragment. Default: the documented sandbox host `https://istanbul.muhammadiyah.or.id`.
   */
  baseUrl?: string;
  /** Milliseconds for the whole exchange, body included; 0 turns the timeout off. Default 30000. */
  timeoutMs?: number;
  /** The caller's abort: the promise rejects with `aborted`, the signal's reason as `cause`. */
  signal?: AbortSignal | null;
}

/** The token, normalised from any success shape the endpoint documents. Plain and JSON-compatible. */
export interface AccessToken {
  /** The bearer token: never empty. A numeric token is its decimal string. */
  accessToken: string;
  /** Always `"Bearer"` (`"BearerToken"`, `"bearer"` and a missing type normalise to it). */
  tokenType: "Bearer";
  /** The expiry as an ISO 8601 UTC instant, as `Date.prototype.toISOString` writes it. */
  accessTokenExpiresAt: string;
  /** The same instant in ms since the Unix epoch. */
  expiresAt: number;
  /** `clientId` / `client_id`, where the server sent one. */
  clientId?: string;
  /** The body's `client` object as sent, or `{ email }` from a SATUSEHAT-style `developer.email`. */
  client?: { name?: string; email?: string; [key: string]: unknown };
  /** `userId`, where the server sent one. */
  userId?: string;
  /** The body's `user` object as sent. */
  user?: { id?: string; email?: string; name?: string; [key: string]: unknown };
  /** The success body exactly as parsed. */
  raw: Record<string, unknown>;
}

/** The `code` of every {@link SehatmuError}. */
export type SehatmuErrorCode =
  | "invalid_argument"
  | "invalid_credentials"
  | "rate_limited"
  | "request_rejected"
  | "server_error"
  | "network_error"
  | "timeout"
  | "aborted"
  | "invalid_response";

/** One entry of a FHIR `OperationOutcome.issue`, its strings as the server sent them. */
export interface OperationOutcomeIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
}

/** Every failure: an `Error` named `"SehatmuError"` with a stable `code`. Never holds the secret. */
export interface SehatmuError extends Error {
  name: "SehatmuError";
  code: SehatmuErrorCode;
  /** `invalid_argument`: the argument or option at fault (`clientId`, `baseUrl`, …). */
  field?: string;
  /** The HTTP status, where there was a response (absent on a locally raised `rate_limited`). */
  status?: number;
  /** `rate_limited` (and `server_error` with `Retry-After`): ms to wait before trying again. */
  retryAfterMs?: number;
  /** The `OperationOutcome` issues of a 4xx. */
  issues?: OperationOutcomeIssue[];
  /** The OAuth 2 `error` code of a 4xx body, e.g. `"invalid_client"`. */
  oauthError?: string;
  /** `request_rejected`, `server_error`, `invalid_response`: the response text, at most 2 KiB. */
  body?: string;
  /** `timeout`: the `timeoutMs` that passed. */
  timeoutMs?: number;
  /** `network_error`: the platform's error; `aborted`: the signal's reason. */
  cause?: unknown;
}

/**
 * One request to the SehatMu token endpoint (no cache): POST with the client credentials
 * form-encoded in the body. Never throws synchronously: bad arguments reject with
 * `invalid_argument` before any network I/O.
 */
export function getToken(
  clientId: string,
  clientSecret: string,
  options?: GetTokenOptions | null,
): Promise<AccessToken>;

/** Whether `value` is a {@link SehatmuError} from this package (an ordinary `Error` with a `code` is not). */
export function isSehatmuError(value: unknown): value is SehatmuError;

/**
 * Loads the WebAssembly module ahead of the first call. Optional: every call loads it itself.
 * In the web entry, `wasm` says where the `.wasm` is, for bundlers that do not ship it as an
 * asset (esbuild): its URL, a `Response`, its bytes or a compiled module. Node and Workers
 * ignore it. Once loaded, later calls change nothing.
 */
export function init(wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;

/** The server's rate-limit wait, as a store with `lock` shares it (under the key + ":wait"). */
export interface SharedWait {
  /** When requests may be sent again, ms since the epoch. */
  retryAt: number;
}

/** A release function, or `null` when another holder has the lock. */
export type TokenStoreLock = (() => void | Promise<void>) | null;

/** Where a {@link TokenClient} keeps its token, to share it between clients. Sync or async. */
export interface TokenStore {
  get(key: string): AccessToken | null | undefined | Promise<AccessToken | null | undefined>;
  /** `ttlMs` is positive and no more than the time the token has left. */
  set(key: string, token: AccessToken, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/**
 * A store shared by many processes (e.g. Redis): a {@link TokenStore} with `lock`. The client
 * that gets the lock fetches and the others wait for its token in the store (polling with
 * backoff, for at most the lock's lifetime); the server's wait after a failure is shared too,
 * as a {@link SharedWait} under the key + `":wait"`.
 */
export interface SharedTokenStore {
  get(key: string): AccessToken | SharedWait | null | undefined | Promise<AccessToken | SharedWait | null | undefined>;
  /** `ttlMs` is positive and no more than the time the token (or the wait) has left. */
  set(key: string, value: AccessToken | SharedWait, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /** Takes the lock `key` for `ttlMs` if no one holds it. */
  lock(key: string, ttlMs: number): TokenStoreLock | Promise<TokenStoreLock>;
}

/** Options of a {@link TokenClient}. */
export interface TokenClientOptions extends GetTokenOptions {
  clientId: string;
  clientSecret: string;
  /** A token with less than this left is refreshed. Default 60000. */
  refreshSkewMs?: number;
  /** Extra tries after `network_error`, `timeout` or `server_error` (never after a 4xx), 0 to 10. Default 2. */
  retries?: number;
  /** Default: in memory, per client. The key is derived from the base URL and the client id, never the secret. */
  store?: TokenStore | SharedTokenStore;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * The token that the rest of the SehatMu API needs: cached, refreshed before it expires,
 * fetched once for any number of concurrent callers, with bounded retries (exponential backoff,
 * full jitter) for transient failures, and never requested while the server's wait after
 * `invalid_credentials` or `rate_limited` runs (calls then reject at once with `rate_limited`).
 */
export class TokenClient {
  /** Throws `invalid_argument` for a bad option (the web entry rejects the first call instead). */
  constructor(options: TokenClientOptions);
  /** The cached token while more than `refreshSkewMs` is left; else one shared refresh. */
  getToken(options?: { forceRefresh?: boolean; signal?: AbortSignal }): Promise<AccessToken>;
  /** `"Bearer <accessToken>"`. */
  authorizationHeader(): Promise<string>;
  /** The platform's `fetch` with the token; a 401 from the API gets one fresh token and one retry (replayable bodies only). */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Forgets the cached token, in the store too. */
  clear(): Promise<void>;
}
