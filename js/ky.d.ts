import type { TokenClient } from "../pkg/index.js";

/**
 * The hooks of {@link tokenClientHooks}, typed without ky's own types (a `KyRequest` is a
 * `Request`): assignable to ky's `Hooks`.
 */
export interface TokenClientHooks {
  beforeRequest: Array<(request: Request) => Promise<void>>;
  afterResponse: Array<(request: Request, options: object, response: Response, state?: { retryCount: number }) => Promise<Response | undefined>>;
  beforeRetry: Array<(state: { error: unknown }) => void>;
}

/**
 * ky `hooks` (`ky.create({ hooks: tokenClientHooks(client) })`): `beforeRequest` adds `client`'s
 * `Authorization` (replacing the caller's own); `afterResponse` sends a request that the API
 * answered 401 to once more with the header `client.authorizationHeader({ rejected })` gives
 * (one fresh token for every request the old one failed) and hands ky the replay's response, so a
 * second 401 is ky's `HTTPError`; `beforeRetry` rejects a token failure with the
 * {@link SehatmuError} as it is, where ky would retry it.
 */
export function tokenClientHooks(client: TokenClient): TokenClientHooks;
