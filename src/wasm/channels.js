// The channels of `node:diagnostics_channel` that the server build publishes on
// (docs/diagnostics.md), bound by src/wasm/channels.rs, which only the server build compiles: so
// scripts/minify-names.mjs writes this file into the server glue only, and the browser's bundle
// has none of it. The module is asked for with `process.getBuiltinModule` (Node >= 20.16, Deno,
// Bun), not imported: the same glue loads on workerd without `nodejs_compat`, where there is no
// such module, and then there are no channels. Plumbing only: what is published when is decided
// in Rust. A subscriber's throw never reaches the module (Node reports it as uncaught, on its
// own tick).
// scripts/minify-names.mjs writes this file into the glue, so it holds `export function`s and
// top-level `let`s only.

/**
 * The channels once looked up, by kind (0 `sehatmu-auth:token-request`, a `TracingChannel`; 1
 * `sehatmu-auth:token-cached`; 2 `sehatmu-auth:retry`; 3 `sehatmu-auth:refused`), or `null`
 * where the runtime has no `node:diagnostics_channel`; `undefined` until first asked. Held here,
 * so that `diagnostics_channel.channel(name)` keeps giving subscribers these objects.
 */
let channels;

/** Looks the channels up (once). */
function lookUp() {
  channels = null;
  try {
    const dc = globalThis.process?.getBuiltinModule?.("node:diagnostics_channel");
    if (dc === undefined) return;
    const tracing = dc.tracingChannel("sehatmu-auth:token-request");
    channels = [tracing, dc.channel("sehatmu-auth:token-cached"), dc.channel("sehatmu-auth:retry"), dc.channel("sehatmu-auth:refused")];
  } catch {}
}

/**
 * Whether anyone subscribes to the channel of `kind` (for the `TracingChannel`, to any of its
 * five): a property read each where someone might, and nothing else.
 */
export function subscribed(kind) {
  if (channels === undefined) lookUp();
  if (channels === null) return false;
  const channel = channels[kind];
  if (kind !== 0) return channel.hasSubscribers;
  return (
    channel.start.hasSubscribers ||
    channel.end.hasSubscribers ||
    channel.asyncStart.hasSubscribers ||
    channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers
  );
}

/** Publishes `message` on the channel of `kind` (1 to 3); what that throws is dropped. */
function publish(kind, message) {
  try {
    channels[kind].publish(message);
  } catch {}
}

/** `sehatmu-auth:token-cached`: a call answered without a request, from `source`. */
export function publishCached(clientId, source) {
  publish(1, { clientId, source });
}

/** `sehatmu-auth:retry`: retry number `attempt` is due in `delayMs`, after an error of `code`. */
export function publishRetry(clientId, attempt, delayMs, code) {
  publish(2, { clientId, attempt, delayMs, code });
}

/** `sehatmu-auth:refused`: the rate-limit wait refused a call, `retryAfterMs` of it left. */
export function publishRefused(clientId, retryAfterMs) {
  publish(3, { clientId, retryAfterMs });
}

/**
 * A token request's context `{ clientId, url, attempt }`, published on the `TracingChannel`'s
 * `start`: the object that its `end`, `asyncStart`, `asyncEnd` and `error` get too.
 */
export function requestStart(clientId, url, attempt) {
  const context = { clientId, url, attempt };
  try {
    channels[0].start.publish(context);
  } catch {}
  return context;
}

/** The request is sent (the synchronous part is over): `end`. */
export function requestEnd(context) {
  try {
    channels[0].end.publish(context);
  } catch {}
}

/**
 * The request is over: `status` (where a response came) and `error` (where it failed) set on
 * `context`, then `error` (where it failed), `asyncStart` and `asyncEnd`, as Node's
 * `tracePromise` publishes them.
 */
export function requestSettled(context, status, error) {
  const tracing = channels[0];
  try {
    if (status !== undefined) context.status = status;
    if (error !== undefined) {
      context.error = error;
      tracing.error.publish(context);
    }
  } catch {}
  try {
    tracing.asyncStart.publish(context);
  } catch {}
  try {
    tracing.asyncEnd.publish(context);
  } catch {}
}
