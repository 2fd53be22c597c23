// A TokenClient's warm memo, in the server build only (src/wasm/warm.rs binds it, so
// scripts/minify-names.mjs writes this file into the server glues alone): the answers of a warm
// call, good until the instant the core names. scripts/warm-path.mjs writes the reading side
// into the glue's `getToken()`, `authorizationHeader()` and `fetch()`.

/** A new memo, good for nothing yet. */
export function warmMemo() {
  return { until: 0, promise: undefined, header: undefined, custom: undefined, rejected: 0, onRejected: undefined };
}

/**
 * Fills `memo` in: until `until` (ms since the epoch; 0 for not at all), `getToken()` is
 * `promise`, the `Authorization` value `header`, and `fetch()` sends with it through `custom`
 * (the client's `fetch`, if any), an answer of status `rejected` going to `onRejected`.
 */
export function remember(memo, until, promise, header, custom, rejected, onRejected) {
  memo.until = until;
  memo.promise = promise;
  memo.header = header;
  memo.custom = custom;
  memo.rejected = rejected;
  memo.onRejected = onRejected;
}
