// axios with a TokenClient's token: `import { attachTokenClient } from "sehatmu-auth/axios"`.
//
// A request interceptor adds `Authorization` from `client.authorizationHeader()` (the client's
// single flight and rate-limit wait), replacing the caller's own; a response interceptor sends a
// request that the API answered 401 to once more, with the header that
// `client.authorizationHeader({ rejected })` gives (the client's rule: one fresh token for every
// request the old one failed). It imports nothing of axios: it uses the instance it is given.
import { invalidArgument } from "./errors.js";

/** The config member that marks a replay: its 401 is the caller's, and its header is kept. */
const REPLAY = "sehatmuReplay";

/** `config`'s `Authorization` header, as axios sent it. */
function sentHeader(config) {
  const headers = config.headers;
  if (typeof headers?.get === "function") return headers.get("authorization") ?? undefined;
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() === "authorization") return value;
  return undefined;
}

/** `headers` (axios's `AxiosHeaders` or a plain object) as a plain object with `Authorization: value` only. */
function withAuthorization(headers, value) {
  const plain = typeof headers?.toJSON === "function" ? headers.toJSON() : { ...headers };
  for (const name of Object.keys(plain)) if (name.toLowerCase() === "authorization") delete plain[name];
  plain.Authorization = value;
  return plain;
}

/** Whether a request's `data` can be sent again: anything but a stream (Node's or the web's). */
function replayable(data) {
  return data == null || !(typeof data.pipe === "function" || typeof data.getReader === "function");
}

/** What an error that reaches the caller says in place of the token. */
const REDACTED = "Bearer [redacted]";

/**
 * `error` without the token: axios keeps the request's headers in its error (`config`, and
 * `toJSON()` from it) and, in Node, the request object it sent, whose internals hold the header
 * in several places (the raw head, follow-redirects' options). The token lives an hour and
 * opens every API of the client id, and an error gets logged: the headers say
 * `Bearer [redacted]`, and `request` (on the error and on its `response`) is dropped.
 */
function withoutToken(error) {
  const headers = error?.config?.headers;
  if (typeof headers?.set === "function") {
    if (headers.has?.("authorization")) headers.set("Authorization", REDACTED, true);
  } else if (headers && typeof headers === "object") {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === "authorization") headers[name] = REDACTED;
  }
  if (error && typeof error === "object") {
    if ("request" in error) error.request = undefined;
    if (error.response && typeof error.response === "object") error.response.request = undefined;
  }
  return error;
}

/**
 * Adds `client`'s token to every request of the axios `instance`, and replays once a request the
 * API answered 401 to. Returns `detach()`, which ejects both interceptors.
 */
export function attachTokenClient(instance, client) {
  if (typeof instance?.interceptors?.request?.use !== "function" || typeof instance.request !== "function") {
    throw invalidArgument("instance", "an axios instance (axios.create() or axios itself)");
  }
  if (typeof client?.authorizationHeader !== "function") throw invalidArgument("client", "a TokenClient");
  const request = instance.interceptors.request.use(async (config) => {
    if (config[REPLAY] === true) return config;
    const header = await client.authorizationHeader();
    if (typeof config.headers?.set === "function") config.headers.set("Authorization", header, true);
    else config.headers = withAuthorization(config.headers, header);
    return config;
  });
  const response = instance.interceptors.response.use(undefined, async (error) => {
    const config = error?.config;
    const sent = config && error.response?.status === 401 ? sentHeader(config) : undefined;
    if (sent === undefined || config[REPLAY] === true || !replayable(config.data)) throw withoutToken(error);
    const header = await client.authorizationHeader({ rejected: String(sent) });
    return instance.request({ ...config, headers: withAuthorization(config.headers, header), [REPLAY]: true });
  });
  return function detach() {
    instance.interceptors.request.eject(request);
    instance.interceptors.response.eject(response);
  };
}
