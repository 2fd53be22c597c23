import type { TokenClient } from "../pkg/index.js";

/**
 * undici's `Dispatcher["dispatch"]`, as {@link tokenClientInterceptor} sees it (no undici types
 * needed): any function of an options object and a handler that says whether to go on.
 */
export type DispatchLike = (options: never, handler: never) => boolean;

/**
 * An interceptor for undici's `Dispatcher.compose` (`new Agent().compose(tokenClientInterceptor(client))`):
 * each request is dispatched with `client`'s `Authorization` (replacing the caller's own); a 401
 * from the API to a request whose body is absent, a string, a Buffer or a Uint8Array is sent
 * once more with the header `client.authorizationHeader({ rejected })` gives (one fresh token for
 * every request the old one failed), and a second 401, or the 401 of a stream body, is the
 * caller's. A token failure ends the call with the {@link SehatmuError} as it is.
 */
export function tokenClientInterceptor(client: TokenClient): <Dispatch extends DispatchLike>(dispatch: Dispatch) => Dispatch;
