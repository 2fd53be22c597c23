// JavaScript that the .wasm imports: each function does in one call what would otherwise take a
// crossing into JS for every property, name or step, and the property names written here are
// literals that V8 interns once, where names made in Rust are decoded from the .wasm's memory on
// every use (measured: a fifth of a token request's own work). Plumbing only: every decision
// stays in Rust, which binds each function beside the code that calls it.
// scripts/minify-names.mjs writes this file into each glue, so it holds `export function`s (and
// `export async function`s) only.

/**
 * `fetch(input, init)` (the caller's `custom` fetch where there is one) with
 * `authorization: header` added to the headers it would send: `init`'s where it names some, else
 * a `Request`'s own. Where `onRejected` is given, an answer with status `rejected` is handed to
 * `onRejected(input, init, token, answer)` and the promise is of what that returns.
 */
export function authorisedFetch(custom, input, init, header, token, rejected, onRejected) {
  let given = init?.headers;
  if (given === undefined && input instanceof Request) given = input.headers;
  let headers;
  if (given === undefined && custom === undefined) {
    // Only the platform's fetch sees it: a caller's own fetch always gets `Headers`.
    headers = { authorization: header };
  } else {
    headers = new Headers(given);
    headers.set("authorization", header);
  }
  const withToken = typeof init === "object" && init !== null ? { ...init, headers } : { headers };
  const sent = custom === undefined ? fetch(input, withToken) : Promise.resolve(custom(input, withToken));
  if (onRejected === undefined) return sent;
  return sent.then((answer) => (answer.status === rejected ? onRejected(input, init, token, answer) : answer));
}

/** An `AccessToken` (declared in src/wasm/convert.rs), its members in their documented order. */
export function accessToken(accessToken, accessTokenExpiresAt, expiresAt, clientId, client, userId, user, raw) {
  const token = { accessToken, tokenType: "Bearer", accessTokenExpiresAt, expiresAt };
  if (clientId !== undefined) token.clientId = clientId;
  if (client !== undefined) token.client = client;
  if (userId !== undefined) token.userId = userId;
  if (user !== undefined) token.user = user;
  token.raw = raw;
  return token;
}

/**
 * Which globals that runtimes are known by are there, one bit each in this order (what they
 * mean is decided in src/wasm/platform.rs): `process.versions.node`, a `navigator.userAgent`
 * of `workerdAgent`, `Deno`, `Bun`, `window`, `WorkerGlobalScope`. One that is missing, or
 * whose reading throws, is not there.
 */
export function runtimeGlobals(workerdAgent) {
  const checks = [
    (g) => g.process.versions.node !== undefined,
    (g) => g.navigator.userAgent === workerdAgent,
    (g) => g.Deno !== undefined,
    (g) => g.Bun !== undefined,
    (g) => g.window !== undefined,
    (g) => g.WorkerGlobalScope !== undefined,
  ];
  let found = 0;
  checks.forEach((check, bit) => {
    try {
      if (check(globalThis)) found |= 1 << bit;
    } catch {}
  });
  return found;
}

/**
 * The text of a body's `stream`, read chunk by chunk to its end, or until the next chunk would
 * take it past `max` bytes: then the stream is cancelled (the rest, and the connection under
 * it, are not wanted) and the text is of what came before. Decoded as `Response.text()`
 * decodes a body, by a `TextDecoder` with its defaults. `[text, whether it was cut]`. The
 * reader is not released (src/wasm/exchange.rs says why).
 */
export async function readStream(stream, max) {
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    if (size + chunk.value.length > max) {
      cut = true;
      reader.cancel();
      break;
    }
    chunks.push(chunk.value);
    size += chunk.value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return [new TextDecoder().decode(bytes), cut];
}

/** `new CustomEvent(type, { detail })`. */
export function customEvent(type, detail) {
  return new CustomEvent(type, { detail });
}

/**
 * An `Error` of `message` named "SehatmuError" and branded with `Symbol.for(brand)`, both
 * hidden (not enumerable): the start of every SehatmuError src/wasm/convert.rs makes.
 */
export function brandedError(message, brand) {
  const error = new Error(message);
  Object.defineProperty(error, "name", { value: "SehatmuError", writable: true, configurable: true });
  Object.defineProperty(error, Symbol.for(brand), { value: true, writable: true, configurable: true });
  return error;
}

/**
 * A new promise, and the function that settles it with `value` when called (with any
 * arguments): fulfils it, or rejects it where `rejects`. `[promise, settle]`, for a timer or a
 * listener to call, where `new Promise` would need a Rust closure for its executor.
 */
export function settler(value, rejects) {
  let settle;
  const promise = new Promise((resolve, reject) => {
    settle = () => (rejects ? reject : resolve)(value);
  });
  return [promise, settle];
}
