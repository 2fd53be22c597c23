// Compiled with `tsc --strict --noEmit` against the installed package: the declarations type
// every export, with no `any`, and reject wrong calls.
import {
  TokenClient,
  TokenClients,
  getToken,
  init,
  isSehatmuError,
  type AccessToken,
  type GetTokenOptions,
  type OperationOutcomeIssue,
  type SehatmuError,
  type SehatmuErrorCode,
  type TokenClientOptions,
  type TokenClientsOptions,
  type TokenStore,
} from "sehatmu-auth";
import { getToken as getTokenOnTheWeb } from "sehatmu-auth/web";
import { DEMO_CLIENTS, startMockServer, type MockServer } from "sehatmu-auth/mock";
import { createRedisStore, type NodeRedisClientLike } from "sehatmu-auth/redis";
import { createFileStore, type FileStore, type FileStoreRelease } from "sehatmu-auth/file-store";
import { createProxy, toNodeListener, type NodeRequestLike, type NodeResponseLike, type ProxyHandler, type ProxyOptions } from "sehatmu-auth/proxy";
import { attachTokenClient } from "sehatmu-auth/axios";
import { tokenClientHooks } from "sehatmu-auth/ky";
import { tokenClientInterceptor, type DispatchLike } from "sehatmu-auth/undici";
import axios from "axios";
import ky from "ky";

const options: GetTokenOptions = {
  baseUrl: "http://127.0.0.1:8080",
  timeoutMs: 5_000,
  signal: new AbortController().signal,
};

function describe(code: SehatmuErrorCode): string {
  switch (code) {
    case "invalid_argument":
    case "invalid_credentials":
    case "rate_limited":
    case "request_rejected":
    case "server_error":
    case "network_error":
    case "timeout":
    case "aborted":
    case "invalid_response":
      return code;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

export async function example(): Promise<string> {
  await init();
  const server: MockServer = await startMockServer({ port: 0 });
  const [demo] = DEMO_CLIENTS;
  try {
    const token: AccessToken = await getToken(demo.clientId, demo.clientSecret, { ...options, baseUrl: server.url });
    const bearer: "Bearer" = token.tokenType;
    const at: number = token.expiresAt;
    const iso: string = token.accessTokenExpiresAt;
    const name: string | undefined = token.client?.name;
    const raw: Record<string, unknown> = token.raw;
    return `${bearer} ${token.accessToken} ${at} ${iso} ${name} ${Object.keys(raw).length}`;
  } catch (error: unknown) {
    if (isSehatmuError(error)) {
      const typed: SehatmuError = error;
      const issues: OperationOutcomeIssue[] | undefined = typed.issues;
      const status: number | undefined = typed.status;
      const wait: number | undefined = typed.retryAfterMs;
      return `${describe(typed.code)} ${typed.message} ${issues?.[0]?.details?.text} ${status} ${wait}`;
    }
    throw error;
  } finally {
    await server.close();
  }
}

const cache = new Map<string, AccessToken>();
const store: TokenStore = {
  get: (key) => cache.get(key),
  set: async (key, token, ttlMs) => {
    cache.set(key, token);
    setTimeout(() => cache.delete(key), ttlMs);
  },
  delete: (key) => void cache.delete(key),
};
const clientOptions: TokenClientOptions = { clientId: "id", clientSecret: "secret", store, refreshSkewMs: 30_000, retries: 1, now: Date.now };
const client = new TokenClient(clientOptions);

export async function useClient(signal: AbortSignal): Promise<Response> {
  const token: AccessToken = await client.getToken({ forceRefresh: false, signal });
  const header: string = await client.authorizationHeader();
  await client.clear();
  return client.fetch(new URL("https://example.com/fhir/Patient"), { headers: { "x-token": token.accessToken, "x-header": header } });
}

const redisLike: NodeRedisClientLike = { sendCommand: async (args: string[]) => args.length, isReady: true };
export const shared = new TokenClient({ clientId: "id", clientSecret: "secret", store: createRedisStore(redisLike, { prefix: "app:" }) });

const files: FileStore = createFileStore({ dir: "/tmp/sehatmu" });
export const onOneMachine = new TokenClient({ clientId: "id", clientSecret: "secret", store: files });
export async function lockOnce(): Promise<string> {
  const release: FileStoreRelease | null = await files.lock("key:lock", 1_000);
  release?.();
  return files.dir;
}
// @ts-expect-error the file store needs a folder
void createFileStore({});

// @ts-expect-error a TokenClient needs credentials
void new TokenClient({ baseUrl: "https://example.com" });

export const webToken: Promise<AccessToken> = getTokenOnTheWeb("id", "secret");

// @ts-expect-error the client id is a string
void getToken(42, "secret");
// @ts-expect-error options are checked: `baseURL` is not `baseUrl`
void getToken("id", "secret", { baseURL: "https://example.com" });
// @ts-expect-error a token is not a string
export const wrong: string = await getToken("id", "secret");

// sehatmu-auth/proxy: a fetch-style handler, and a Node listener.

const baseUrl: string = client.baseUrl;
const proxyOptions: ProxyOptions = {
  client,
  authorize: async (request: Request) => request.headers.get("cookie")?.includes("session=") === true,
  prefix: "/sehatmu",
  upstream: baseUrl,
  paths: ["/fhir/"],
  maxBodyBytes: 1024 * 1024,
};
export const handler: ProxyHandler = createProxy(proxyOptions);
export const syncAuthorize: ProxyHandler = createProxy({ client, authorize: () => true });
export const answer: Promise<Response> = handler(new Request("https://app.example/sehatmu/fhir/Patient"));
const listener: (req: NodeRequestLike, res: NodeResponseLike) => void = toNodeListener(handler);
export { listener };

// @ts-expect-error authorize is required: there is no open proxy
void createProxy({ client });
// @ts-expect-error paths is an array of strings
void createProxy({ client, authorize: () => true, paths: "/fhir/" });
// @ts-expect-error the handler takes a Request
void handler("https://app.example/sehatmu/fhir/Patient");

// The fetch option and the browser opt-in, on both kinds of options.
const proxied: GetTokenOptions = { fetch: (input, init) => fetch(input, init), dangerouslyAllowBrowser: true };
export const viaProxy = new TokenClient({ clientId: "id", clientSecret: "secret", fetch: globalThis.fetch, dangerouslyAllowBrowser: false });
export const viaProxyToken = getToken("id", "secret", proxied);
// @ts-expect-error a signal is each call's, never the client's
export const noClientSignal = new TokenClient({ clientId: "id", clientSecret: "secret", signal: new AbortController().signal });

// Lifecycle events: each type's detail is typed, for a function or a handleEvent object.
client.addEventListener("token", (event) => {
  const source: "network" | "store" = event.detail.source;
  const expiresAt: number = event.detail.expiresAt;
  void [source, expiresAt];
});
client.addEventListener("retry", {
  handleEvent(event) {
    const code: SehatmuErrorCode = event.detail.code;
    const delay: number = event.detail.delayMs + event.detail.attempt;
    void [code, delay];
  },
});
const onError = (event: CustomEvent<{ error: SehatmuError }>) => void event.detail.error.code;
client.addEventListener("error", onError);
client.removeEventListener("error", onError);
client.addEventListener("refresh", (event) => void event.detail.expiresAt);
// @ts-expect-error there is no such event
client.addEventListener("expired", () => {});
// @ts-expect-error a token event's detail has no code
client.addEventListener("token", (event) => void event.detail.code);
export const base: string = client.baseUrl;

// A secret from a vault, and one client per client id.
export const fromVault = new TokenClient({ clientId: "id", clientSecret: async () => "secret" });
const tenantOptions: TokenClientsOptions = { clientSecret: (clientId: string) => `secret of ${clientId}`, maxClients: 100, idleMs: 60_000, store };
const tenants = new TokenClients(tenantOptions);
export const tenant: TokenClient = tenants.get("clinic-1");
export const tenantToken: Promise<AccessToken> = tenants.getToken("clinic-1", { forceRefresh: true });
export const tenantAnswer: Promise<Response> = tenants.fetch("clinic-1", "https://example.com/fhir/Patient", { method: "GET" });
export const held: number = tenants.size;
export const deleted: boolean = tenants.delete("clinic-1");
tenants.addEventListener("token", (event) => {
  const clientId: string = event.detail.clientId;
  const source: "network" | "store" = event.detail.source;
  void [clientId, source];
});
// @ts-expect-error TokenClients takes a function of the client id, not one secret
void new TokenClients({ clientSecret: "secret" });
// @ts-expect-error a tenant's client id is a string
void tenants.getToken(42);
// A proxy for many clinics: the client picked per request.
export const perClinic = createProxy({
  client: (request: Request) => tenants.get(request.headers.get("x-clinic") ?? ""),
  authorize: () => true,
  upstream: "https://istanbul.muhammadiyah.or.id",
});
// The adapters, against axios's and ky's own types (undici's need @types/node, which the
// consumer has not got: its dispatch is written out).
const adapted = new TokenClient({ clientId: "id", clientSecret: "secret" });
const detach: () => void = attachTokenClient(axios.create(), adapted);
detach();
void attachTokenClient(axios, adapted);
export const kyApi = ky.create({ hooks: tokenClientHooks(adapted) });
const dispatch: DispatchLike = (_options: { path: string }, _handler: object) => true;
export const intercepted: DispatchLike = tokenClientInterceptor(adapted)(dispatch);
// @ts-expect-error the adapters take a TokenClient
void tokenClientHooks({});
export const replayHeader: Promise<string> = adapted.authorizationHeader({ rejected: "Bearer old", signal: null });
// @ts-expect-error the rejected header is a string
void adapted.authorizationHeader({ rejected: 401 });
