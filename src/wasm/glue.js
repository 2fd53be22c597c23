// JavaScript that the .wasm imports: each function does in one call what would otherwise take a
// crossing into JS for every property, name or step, and the property names written here are
// literals that V8 interns once, where names made in Rust are decoded from the .wasm's memory on
// every use (measured: a fifth of a token request's own work). Plumbing only: every decision
// stays in Rust, which binds each function beside the code that calls it.
// scripts/minify-names.mjs writes this file into each glue, so it holds `export function`s (and
// `export async function`s) only.

/**
 * `fetch(input, init)` with the caller's `custom` fetch where there is one, else the global one,
 * looked up at the call: its promise. A custom fetch may answer with any value or thenable:
 * `Promise.resolve` takes both.
 */
export function send(custom, input, init) {
  return custom === undefined ? fetch(input, init) : Promise.resolve(custom(input, init));
}

/**
 * `fetch(input, init)` (the caller's `custom` fetch where there is one) with
 * `authorization: header` added to the headers it would send: `init`'s where it names some, else
 * a `Request`'s own. Where `onRejected` is given, an answer with status `rejected` is handed to
 * `onRejected(input, init, header, answer)` and the promise is of what that returns.
 */
export function authorisedFetch(custom, input, init, header, rejected, onRejected) {
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
  const sent = send(custom, input, withToken);
  if (onRejected === undefined) return sent;
  return sent.then((answer) => (answer.status === rejected ? onRejected(input, init, header, answer) : answer));
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
 * `send(custom, input, init)`, and what the core reads of its answer, in one promise:
 * `[status, text, tooLarge, retryAfter, date, raw, members]`.
 * - The text is the body's, read from its stream to its end or up to the first chunk that
 *   would take it past `max` bytes (the stream is then cancelled, which tells the connection
 *   under it that the rest is not wanted), decoded as `Response.text()` decodes.
 * - The two headers are `undefined` where absent or unreadable.
 * - `raw` is the text as `JSON.parse` gives it where it is a JSON object, else `undefined`
 *   (only an object can be a token or an error body: a text that does not start like one is
 *   not parsed, so "Gateway Timeout" or an HTML page costs no exception);
 * - `members` is `members(raw, names)` where `raw` is one.
 */
export async function fetchAnswer(custom, input, init, max, names) {
  const response = await send(custom, input, init);
  const stream = response.body;
  const chunks = [];
  let length = 0;
  let tooLarge = false;
  if (stream !== null && stream !== undefined) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > max) {
        tooLarge = true;
        reader.cancel().catch(() => {});
        break;
      }
      chunks.push(value);
      length += value.length;
    }
    // The reader is not released: the stream is over, and Node's releaseLock() makes a
    // TypeError (with its stack) to reject a wait that no one has.
  }
  let bytes = chunks[0] ?? new Uint8Array(0);
  if (chunks.length > 1) {
    bytes = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
  }
  const header = (name) => {
    try {
      return response.headers.get(name) ?? undefined;
    } catch {
      return undefined;
    }
  };
  const text = new TextDecoder().decode(bytes);
  let raw;
  if (/^\s*\{/.test(text)) {
    try {
      raw = JSON.parse(text);
    } catch {}
  }
  const read = raw === undefined ? undefined : members(raw, names);
  return [response.status, text, tooLarge, header("retry-after"), header("date"), raw, read];
}

/** The constant texts the module passes, split into their parts, by text. */
const splitTexts = new Map();

/** `text` split at `separator`, once for each text the module passes (its lists are constants). */
function parts(text, separator) {
  let list = splitTexts.get(text);
  if (list === undefined) {
    list = text.split(separator);
    splitTexts.set(text, list);
  }
  return list;
}

/**
 * The members of `object` named in `names` (joined by `,`), in their order, `undefined` where
 * it has none, then a number with bit `i` set where member `i` is not `undefined` (at most 31
 * names): one call where a read of each name would cost one each. No members for `undefined`
 * or `null`; `null` for any other value that is not an object. Where reading a member throws,
 * the members before it only (and no number).
 */
export function members(object, names) {
  const list = parts(names, ",");
  if (object === undefined || object === null) object = {};
  else if (typeof object !== "object") return null;
  const values = [];
  let present = 0;
  for (const name of list) {
    let value;
    try {
      value = object[name];
    } catch {
      return values;
    }
    if (value !== undefined) present |= 1 << values.length;
    values.push(value);
  }
  values.push(present);
  return values;
}

/**
 * A new `AbortController` for one exchange, in one call: aborted with `reason` after `ms` (no
 * timer where `ms` is `undefined`; in Node, one that keeps the process alive only where
 * `keepAlive`), and with no reason when `signal` (the caller's, if any) aborts.
 * `[signal, abort, stop]`: the controller's signal, a function that aborts it, and one that
 * clears the timer and stops listening to `signal`.
 */
export function aborts(ms, reason, signal, keepAlive) {
  const controller = new AbortController();
  const abort = () => controller.abort();
  let timer;
  if (ms !== undefined) {
    timer = setTimeout(() => controller.abort(reason), ms);
    if (!keepAlive) timer.unref?.();
  }
  signal?.addEventListener("abort", abort);
  const stop = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  };
  return [controller.signal, abort, stop];
}

/** The last text `urlParts` parsed, and its parts: the same base URL is read for every `getToken()`. */
let lastUrl = [];

/**
 * `new URL(text)`'s href, protocol, hostname, username, password, search and hash, joined by
 * a line feed (the URL parser drops every tab and line feed, so no part has one), in one call;
 * `undefined` where `new URL` throws.
 */
export function urlParts(text) {
  if (text === lastUrl[0]) return lastUrl[1];
  let url;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const parts = [url.href, url.protocol, url.hostname, url.username, url.password, url.search, url.hash].join("\n");
  lastUrl = [text, parts];
  return parts;
}

/**
 * `fetch`'s `init` of a token request: `init` (its parts joined by a line feed) holds its
 * method, two headers (name, value), `redirect` and `credentials` (src/core decides them); one
 * object literal, one shape for V8.
 */
export function requestInit(init, body, signal) {
  const [method, name1, value1, name2, value2, redirect, credentials] = parts(init, "\n");
  return { method, headers: { [name1]: value1, [name2]: value2 }, body, signal, redirect, credentials };
}

/**
 * Which globals that runtimes are known by are there, one bit each in this order (what they
 * mean is decided in src/wasm/platform.rs): `process.versions.node`, a `navigator.userAgent`
 * of `workerdAgent`, `Deno`, `Bun`, `window`, `WorkerGlobalScope`. One that is missing, or
 * whose reading throws, is not there. Where Node is found its `navigator` is not read: Node
 * makes it on first use, loading a module and a binding for it.
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
    if (bit === 1 && found & 1) return;
    try {
      if (check(globalThis)) found |= 1 << bit;
    } catch {}
  });
  return found;
}

/**
 * `new Date(ms).toISOString()`, for the browser build (the server build writes it with the
 * core's `format_iso`): given only instants of the years 0000 to 9999 (src/core decides).
 */
export function isoString(ms) {
  return new Date(ms).toISOString();
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

/** The task whose poll runs now: the one that `wait` polls again. */
let polling;

/** Runs `task`, a poll of a Rust future, as the task that `wait` polls again. */
function run(task) {
  const outer = polling;
  polling = task;
  try {
    task();
  } finally {
    polling = outer;
  }
}

/**
 * The promise of a Rust future that `poll(resolve, reject)` polls once, settling the promise
 * when the future is done: first in a microtask, then each time a promise it `wait`s on settles.
 */
export function spawn(poll) {
  return new Promise((resolve, reject) => {
    const task = () => poll(resolve, reject);
    queueMicrotask(() => run(task));
  });
}

/**
 * `[state, value]` of `promise`, filled in when it settles (state 1: fulfilled with value,
 * 2: rejected with it), when the task polling now is polled again.
 */
export function wait(promise) {
  const task = polling;
  const outcome = [0, undefined];
  promise.then(
    (value) => {
      outcome[0] = 1;
      outcome[1] = value;
      run(task);
    },
    (reason) => {
      outcome[0] = 2;
      outcome[1] = reason;
      run(task);
    },
  );
  return outcome;
}
