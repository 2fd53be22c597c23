// Writes the warm path into the TokenClient of each server glue given:
// `node scripts/warm-path.mjs glue…`. Its `getToken()` and `authorizationHeader()` without
// options, and its `fetch()`, answer from the client's warm memo (src/wasm/warm.rs fills it
// in, src/wasm/warm.js holds it) without a call into the module while the memo's instant, the
// core's `fresh_until`, is ahead of the clock and no one subscribes to
// `sehatmu-auth:token-cached` (whose message the module publishes). Every other call goes to
// the module as wasm-bindgen wrote it. Fails where wasm-bindgen's text is not as expected.
import { readFileSync, writeFileSync } from "node:fs";

// The memo is kept on the client under a symbol, not enumerable: it holds the token's header,
// which util.inspect, console.log and JSON.stringify of a client must not show.
const helper = `/** Where a TokenClient keeps its warm memo (scripts/warm-path.mjs). */
const warmMemoKey = Symbol("sehatmu-auth warm memo");
/** The warm memo of a TokenClient, where its answers hold now (scripts/warm-path.mjs). */
function warmMemoOf(client) {
    if (client.__wbg_ptr === 0) return undefined;
    let memo = client[warmMemoKey];
    if (memo === undefined) {
        memo = client.__memo;
        Object.defineProperty(client, warmMemoKey, { value: memo });
    }
    return Date.now() < memo.until && !subscribed(1) ? memo : undefined;
}
`;

/** Each method's first line as wasm-bindgen writes it, and what the warm path puts before its body. */
const methods = [
  [
    "    getToken(options) {\n",
    `        if (options === undefined) {
            const memo = warmMemoOf(this);
            if (memo !== undefined) return memo.promise;
        }\n`,
  ],
  [
    "    authorizationHeader(options) {\n",
    `        if (options === undefined) {
            const memo = warmMemoOf(this);
            if (memo !== undefined) return Promise.resolve(memo.header);
        }\n`,
  ],
  [
    "    fetch(input, init) {\n",
    `        const memo = warmMemoOf(this);
        if (memo !== undefined) {
            try {
                return authorisedFetch(memo.custom, input, init, memo.header, memo.rejected, memo.onRejected);
            } catch (error) {
                return Promise.reject(error);
            }
        }\n`,
  ],
];

for (const glue of process.argv.slice(2)) {
  let text = readFileSync(glue, "utf8");
  const start = text.search(/^(export )?class TokenClient \{$/m);
  const end = text.indexOf("\n}\n", start);
  if (start < 0 || end < 0) throw new Error(`${glue}: no class TokenClient`);
  let body = text.slice(start, end);
  for (const [line, warm] of methods) {
    if (body.split(line).length !== 2) throw new Error(`${glue}: TokenClient has no one \`${line.trim()}\``);
    body = body.replace(line, () => line + warm);
  }
  for (const name of ["subscribed", "authorisedFetch"]) {
    if (!new RegExp(`\\b${name}\\b`).test(text.slice(0, start))) throw new Error(`${glue}: no ${name} before TokenClient`);
  }
  text = text.slice(0, start) + helper + "\n" + body + text.slice(end);
  writeFileSync(glue, text);
}
