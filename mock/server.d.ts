/** The mock SehatMu token endpoint, for offline development and tests (Node only). */

/** The documented text of a failed authentication. */
export const UNAUTHENTICATED_TEXT: string;
/** The documented text of the rate limit. */
export const RATE_LIMIT_TEXT: string;

/** A client the mock server knows. */
export interface MockClient {
  clientId: string;
  clientSecret: string;
  /** The success shape it answers with. Default "sehatmu". */
  shape?: "sehatmu" | "satusehat" | "rfc6749";
  name?: string;
  email?: string;
}

/** Demo credentials, one per documented success shape. */
export const DEMO_CLIENTS: readonly MockClient[];

/** A token request as the mock server received it. */
export interface MockRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  form: Record<string, string>;
}

/** A scripted answer to one token request. */
export interface MockAnswer {
  status?: number;
  /** A string is sent as text/plain, anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  shape?: MockClient["shape"];
  delayMs?: number;
  /** Close the connection without an answer. */
  drop?: boolean;
}

export interface MockServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** How long a client id is refused after a failed attempt. Default 60000. */
  rateLimitWindowMs?: number;
  /** The status of a rate-limited answer. Default 429. */
  rateLimitStatus?: number;
  /** Default 3600. */
  tokenLifetimeSec?: number;
  clients?: readonly MockClient[];
  /** The server's clock. Default Date.now. */
  now?: () => number;
  /** Answers the requests that are not the mock's (Node's `IncomingMessage`, `ServerResponse`), their bodies unread. Default: a 404 OperationOutcome. */
  fallback?: (req: unknown, res: unknown) => void;
}

export interface MockServer {
  /** The base URL to pass as `baseUrl`. */
  url: string;
  port: number;
  requests: MockRequest[];
  /** Every request to the protected `GET /fhir/…` endpoints, which answer 401 without a live token. */
  apiRequests: { method: string; path: string; authorization?: string }[];
  tokens: Map<string, { clientId: string; expiresAt: number }>;
  clients: readonly MockClient[];
  /** Scripts the answers to the next token requests, one each. */
  next(...answers: MockAnswer[]): void;
  /** Makes every token issued so far unknown to the `/fhir/…` endpoints. */
  revokeTokens(): void;
  /** Forgets requests, scripted answers and rate-limit windows. */
  reset(): void;
  /** Stops the server and closes every open connection. */
  close(): Promise<void>;
}

export function startMockServer(options?: MockServerOptions): Promise<MockServer>;
