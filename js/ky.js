// ky with a TokenClient's token: `import { tokenClientHooks } from "sehatmu-auth/ky"`, then
// `ky.create({ hooks: tokenClientHooks(client) })`.
//
// `beforeRequest` adds `Authorization` from `client.authorizationHeader()` (the client's single
// flight and rate-limit wait), replacing the caller's own; `afterResponse` sends a request that
// the API answered 401 to once more, with the header that
// `client.authorizationHeader({ rejected })` gives (the client's rule: one fresh token for every
// request the old one failed), and hands ky the replay's response; `beforeRetry` rejects a
// token failure as it is, where ky would retry it. It imports nothing of ky: it uses the
// request and options ky hands its hooks.
import { invalidArgument, isSehatmuError } from "./errors.js";

// ky's rule for the options that it passes to `fetch` beside the Request (ky's
// `findUnknownOptions`): neither a RequestInit member, which the Request holds, nor its own.
const REQUEST_INIT = new Set(["method", "headers", "body", "mode", "credentials", "cache", "redirect", "referrer", "referrerPolicy", "integrity", "keepalive", "signal", "window", "duplex"]);
const KY_OPTIONS = new Set(["json", "parseJson", "stringifyJson", "searchParams", "prefixUrl", "retry", "timeout", "hooks", "throwHttpErrors", "onDownloadProgress", "onUploadProgress", "fetch", "context"]);
const VENDOR_OPTIONS = new Set(["next"]);

/** The options that ky passes to `fetch` with `request` (undici's `dispatcher`, Next.js's `next`). */
function fetchOptions(request, options) {
  const init = {};
  for (const key of Object.keys(options)) {
    if (!REQUEST_INIT.has(key) && !KY_OPTIONS.has(key) && (!(key in request) || VENDOR_OPTIONS.has(key))) init[key] = options[key];
  }
  return init;
}

/**
 * ky `hooks` that add `client`'s token to every request and replay once a request the API
 * answered 401 to: `ky.create({ hooks: tokenClientHooks(client) })`.
 */
export function tokenClientHooks(client) {
  if (typeof client?.authorizationHeader !== "function") {
    throw invalidArgument("client", "a TokenClient");
  }
  return {
    beforeRequest: [
      async (request) => {
        request.headers.set("authorization", await client.authorizationHeader());
      },
    ],
    afterResponse: [
      async (request, options, response, state) => {
        // ky's own retries (never of a 401, unless configured so) are not replayed again.
        if (response.status !== 401 || (state?.retryCount ?? 0) !== 0) return undefined;
        const sent = request.headers.get("authorization") ?? "";
        const headers = new Headers(request.headers);
        headers.set("authorization", await client.authorizationHeader({ rejected: sent }));
        // A clone: ky keeps `request` for a retry of its own; ky's clone of the body is what
        // makes any body (streams too) sendable again, as its own retries send it.
        const replay = new Request(request.clone(), { headers });
        return (options.fetch ?? globalThis.fetch)(replay, fetchOptions(request, options));
      },
    ],
    // ky keeps the request (with its headers) and the options in an HTTPError: the token is
    // replaced there before the error reaches the caller, who may log it.
    beforeError: [
      (error) => {
        for (const headers of [error?.request?.headers, error?.options?.headers]) {
          try {
            if (typeof headers?.has === "function" && headers.has("authorization")) headers.set("authorization", "Bearer [redacted]");
          } catch {
            // headers that can't be changed: none of ky's
          }
        }
        return error;
      },
    ],
    beforeRetry: [
      ({ error }) => {
        if (isSehatmuError(error)) throw error;
      },
    ],
  };
}
