// What every command of bin/sehatmu-auth.js shares: exit statuses, argument parsing, the
// secret from standard input, and the file cache that `token` and `proxy` keep their token in.
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";

/** Exit statuses by error code: families a shell script can branch on. */
export const EXIT = {
  invalid_argument: 2,
  invalid_credentials: 3,
  rate_limited: 4,
  request_rejected: 5,
  invalid_response: 5,
  server_error: 6,
  network_error: 7,
  timeout: 7,
  aborted: 7,
};

export function fail(message, status = 2) {
  process.stderr.write(`sehatmu-auth: ${message}\n`);
  process.exit(status);
}

export function parse(args, options) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true }).values;
  } catch (error) {
    return fail(`${error.message}\nRun "sehatmu-auth --help".`);
  }
}

export async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** `$XDG_CACHE_HOME/sehatmu-auth`, else `~/.cache/sehatmu-auth` (a relative XDG_CACHE_HOME is ignored, as the XDG spec says). */
export function defaultCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "sehatmu-auth");
}

/**
 * `store` with the locks it hands out tracked: `releaseLocks()` frees those still held, so that
 * a run stopped by a signal needn't leave the next run waiting for them to expire (a lock's
 * lifetime covers every try at the token request).
 */
export function releasable(store) {
  const held = new Set();
  return {
    store: {
      get: (key) => store.get(key),
      set: (key, value, ttlMs) => store.set(key, value, ttlMs),
      delete: (key) => store.delete(key),
      async lock(key, ttlMs) {
        const release = await store.lock(key, ttlMs);
        if (!release) return null;
        held.add(release);
        return () => {
          held.delete(release);
          return release();
        };
      },
    },
    async releaseLocks() {
      const releases = [...held];
      held.clear();
      // One that can't be freed now expires by itself.
      await Promise.allSettled(releases.map(async (release) => release()));
    },
  };
}

/** The file store in `dir` (the one cache of `token` and `proxy`), with `releaseLocks`. */
export async function cache(dir) {
  const { createFileStore } = await import("../js/file-store.js");
  return releasable(createFileStore({ dir }));
}

/** The secret on the command line is refused before anything else: other users can read it there. */
export function refuseSecretArgument(args) {
  if (args.some((a) => /^--(client-)?secret(=|$)/.test(a))) {
    fail("the secret is not taken from the command line (other users can read it): use $SEHATMU_CLIENT_SECRET or --secret-stdin");
  }
}
