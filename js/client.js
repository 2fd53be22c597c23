// The I/O around the .wasm, shared by every entry: `connect(wasm)` gives `getToken` and
// `TokenClient` over a loaded module. The .wasm checks the arguments, builds the request,
// judges the answer and makes every decision of the cache, the retries and the rate-limit
// guard (src/wasm/call.rs, src/wasm/policy.rs); this file only does what it decides: the
// `fetch`, the timers, the abort wiring and the store calls. Written in Rust, this async glue
// cost more of the .wasm than everything else together (see bench/RESULTS.md).
//
// scripts/build.sh turns this file into pkg/client.cjs for the CommonJS entry: keep it free of
// imports, with the one `export` line at the end.

const BRAND = Symbol.for("sehatmu-auth.SehatmuError");

/** @type {import("./index.d.ts").isSehatmuError} */
function isSehatmuError(value) {
  return typeof value === "object" && value !== null && value[BRAND] === true;
}

/** `target[key]`, or `undefined` for a target that is not an object or a getter that throws. */
function read(target, key) {
  if ((typeof target !== "object" || target === null) && typeof target !== "function") return undefined;
  try {
    return target[key];
  } catch {
    return undefined;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `run()`'s answer, sync or async, or a rejection once `ms` pass without one. */
function settle(run, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(reject, ms, new Error("the token store did not answer in time"));
  });
  return Promise.race([new Promise((resolve) => resolve(run())), late]).finally(() => clearTimeout(timer));
}

function warn(what, error) {
  const detail = read(error, "message");
  console.warn(`sehatmu-auth: ${what}: ${typeof detail === "string" ? detail : ""}`);
}

function bearer(token) {
  const value = read(token, "accessToken");
  return `Bearer ${typeof value === "string" ? value : ""}`;
}

/** The body as text, read from its stream and never held past `max` bytes: `[text, longer]`. */
async function readBody(response, max) {
  const chunks = [];
  let size = 0;
  let longer = false;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > max) {
        longer = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  // As Response.text() decodes: UTF-8, a byte-order mark dropped, bad sequences replaced.
  return [new TextDecoder().decode(bytes), longer];
}

/** `fetch(input, init)` with `Authorization: <header>` added to the headers it would send. */
function authorisedFetch(input, init, header) {
  let given = read(init, "headers");
  if (given === undefined && input instanceof Request) given = input.headers;
  const headers = new Headers(given);
  headers.set("Authorization", header);
  return globalThis.fetch(input, { ...(typeof init === "object" && init !== null ? init : {}), headers });
}

/**
 * Whether `fetch(input, init)` can be sent again after a 401: no body, or one of the kinds a
 * second `fetch` reads afresh. A `Request` with a body and a stream can't be.
 */
function replayable(input, init) {
  if (input instanceof Request && read(input, "body") !== null) return false;
  const body = read(init, "body");
  return (
    body === undefined ||
    body === null ||
    typeof body === "string" ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  );
}

/** @param {typeof import("../pkg/sehatmu_auth.js")} wasm */
function connect(wasm) {
  const { Failure } = wasm;

  /**
   * Sends `call` and judges the answer: `{ token, lifetimeMs, receivedAt }`, or a SehatmuError.
   * One timer and one listener cover the whole exchange, body included, and are gone after.
   */
  async function exchange(call, now) {
    const { url, init, timeoutMs: ms, signal, maxBodyBytes } = call.request;
    if (signal?.aborted) throw call.failure(Failure.Aborted, signal.reason);
    const controller = new AbortController();
    let timedOut = false;
    const timer = ms === undefined ? undefined : setTimeout(() => ((timedOut = true), controller.abort()), ms);
    const onAbort = () => controller.abort(signal.reason);
    signal?.addEventListener("abort", onAbort);
    let response, receivedAt, text, longer;
    try {
      response = await globalThis.fetch(url, { ...init, signal: controller.signal });
      receivedAt = now();
      [text, longer] = await readBody(response, maxBodyBytes);
      if (longer) controller.abort(); // closes the connection under the rest of the body
    } catch (cause) {
      if (timedOut) throw call.failure(Failure.Timeout);
      if (signal?.aborted) throw call.failure(Failure.Aborted, signal.reason);
      throw call.failure(Failure.Network, cause);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    const headers = response.headers;
    const judged = call.answer(response.status, headers.get("retry-after"), headers.get("date"), receivedAt, text, longer);
    return { token: judged.token, lifetimeMs: judged.lifetimeMs, receivedAt };
  }

  /** @type {import("./index.d.ts").getToken} */
  async function getToken(clientId, clientSecret, options) {
    const call = new wasm.Call(clientId, clientSecret, options);
    try {
      return (await exchange(call, Date.now)).token;
    } finally {
      call.free();
    }
  }

  /** `shared`, or `aborted` as soon as `signal` aborts; the listener is removed either way. */
  function untilAborted(shared, signal, call) {
    const aborted = () => call.failure(Failure.Aborted, signal.reason);
    if (signal.aborted) return Promise.reject(aborted());
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(aborted());
      signal.addEventListener("abort", onAbort);
      const done = (settleWith) => (value) => {
        signal.removeEventListener("abort", onAbort);
        settleWith(value);
      };
      shared.then(done(resolve), done(reject));
    });
  }

  /** @type {typeof import("./index.d.ts").TokenClient} */
  class TokenClient {
    #policy;
    #call;
    /** `policy.settings`: the options and values the I/O needs. */
    #set;
    #clock;
    #store;
    /** The cached AccessToken. */
    #token = null;
    /** The server's clock minus ours, from the last response: judges tokens from a store. */
    #offset = 0;
    /** The one refresh that every concurrent caller awaits. */
    #flight = null;

    /** @param {import("./index.d.ts").TokenClientOptions} options */
    constructor(options) {
      this.#policy = new wasm.Policy(options);
      this.#call = this.#policy.call();
      this.#set = this.#policy.settings;
      this.#clock = this.#set.clock;
      this.#store = this.#set.store;
    }

    #now() {
      if (!this.#clock) return Date.now();
      let ms;
      try {
        ms = this.#clock();
      } catch {
        return Date.now();
      }
      return typeof ms === "number" && Number.isFinite(ms) ? ms : Date.now();
    }

    /** A store call, bounded by the store timeout. */
    #settle(run) {
      return settle(run, this.#set.storeTimeoutMs);
    }

    /** The cached token or the shared refresh, decided without awaiting anything. */
    #tokenOrFlight(force) {
      if (this.#policy.cached(this.#now(), force) && this.#token) return Promise.resolve(this.#token);
      this.#flight ??= this.#refresh(force).finally(() => {
        this.#flight = null;
      });
      return this.#flight;
    }

    async #refresh(force) {
      if (!force) {
        const found = await this.#storedToken();
        if (found) return this.#adopt(found);
      }
      return this.#set.shared ? this.#refreshUnderLock(force) : this.#fetchWithRetries();
    }

    /** Fetches, retrying transient failures; a server-imposed wait is recorded (and shared). */
    async #fetchWithRetries() {
      for (let failures = 1; ; failures++) {
        let answer;
        try {
          answer = await exchange(this.#call, () => this.#now());
        } catch (error) {
          const delay = this.#policy.fail(read(error, "code"), read(error, "retryAfterMs"), this.#now(), failures, Math.random());
          if (delay === undefined) {
            await this.#shareWait();
            throw error;
          }
          await sleep(delay);
          continue;
        }
        const { token, lifetimeMs, receivedAt } = answer;
        this.#offset = token.expiresAt - lifetimeMs - receivedAt;
        await this.#remember(token, receivedAt + lifetimeMs, true);
        return token;
      }
    }

    /** A token that another process (or an earlier run) left in the store, if usable. */
    async #storedToken() {
      if (!this.#store) return null;
      let entry;
      try {
        entry = await this.#settle(() => this.#store.get(this.#set.key));
      } catch (error) {
        warn("the token store's get failed; fetching a token instead", error);
        return null;
      }
      const token = read(entry, "accessToken");
      const expiresAt = read(entry, "expiresAt");
      if (typeof token !== "string" || !token || typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) {
        return null;
      }
      const usableUntil = Math.trunc(expiresAt) - this.#offset;
      return usableUntil - this.#now() > this.#set.refreshSkewMs ? { entry, usableUntil } : null;
    }

    async #remember(token, usableUntil, share) {
      this.#policy.storeUntil(usableUntil);
      this.#token = token;
      if (!this.#store || !share) return;
      const ttl = this.#policy.ttl(this.#now());
      if (ttl === undefined) return;
      try {
        await this.#settle(() => this.#store.set(this.#set.key, token, ttl));
      } catch (error) {
        warn("the token store's set failed; the token is cached in memory only", error);
      }
    }

    /** A token found in the store, taken into the memory cache. */
    async #adopt({ entry, usableUntil }) {
      await this.#remember(entry, usableUntil, false);
      return entry;
    }

    /** Tells the other processes of the server's wait, where the store is shared. */
    async #shareWait() {
      const now = this.#now();
      const until = this.#policy.blockedUntil(now);
      if (!this.#store || until === undefined || !this.#set.shared) return;
      try {
        await this.#settle(() => this.#store.set(this.#set.waitKey, { retryAt: until }, until - now));
      } catch (error) {
        warn("the token store's set of the rate-limit wait failed", error);
      }
    }

    /** Takes on a wait that another process was told: throws `rate_limited` while it runs. */
    async #sharedWait() {
      let wait;
      try {
        wait = await this.#settle(() => this.#store.get(this.#set.waitKey));
      } catch {
        return;
      }
      const until = read(wait, "retryAt");
      if (typeof until !== "number") return;
      this.#policy.blockUntil(until);
      this.#policy.cached(this.#now(), true); // throws the local rate_limited while the wait runs
    }

    /**
     * One process of many fetches: the one that takes the store's lock. The others look in the
     * store, with backoff, for the token it stores, and take the lock if it expires.
     */
    async #refreshUnderLock(force) {
      const policy = this.#policy;
      const current = this.#token?.accessToken;
      const waitedFrom = this.#now();
      for (let polls = 0; ; polls++) {
        await this.#sharedWait();
        let release;
        try {
          release = await this.#settle(() => this.#store.lock(this.#set.lockKey, this.#set.lockTtlMs));
        } catch (error) {
          warn("the token store's lock failed; fetching without it", error);
          return this.#fetchWithRetries();
        }
        if (typeof release === "function") {
          try {
            // Another process may have stored a token since this one looked.
            const found = force ? null : await this.#storedToken();
            return await (found ? this.#adopt(found) : this.#fetchWithRetries());
          } finally {
            await this.#settle(() => release()).catch((error) =>
              warn("releasing the token store's lock failed; it expires by itself", error),
            );
          }
        }
        const found = await this.#storedToken();
        // A forced refresh wants a token other than the one it has.
        if (found && (!force || read(found.entry, "accessToken") !== current)) return this.#adopt(found);
        const waited = this.#now() - waitedFrom;
        if (waited > this.#set.lockTtlMs) throw policy.lockTimeout(waited);
        await sleep(policy.pollDelay(polls, Math.random()));
      }
    }

    /** @type {import("./index.d.ts").TokenClient["getToken"]} */
    getToken(options) {
      const force = Boolean(read(options, "forceRefresh"));
      const signal = read(options, "signal");
      let shared;
      try {
        shared = this.#tokenOrFlight(force);
      } catch (error) {
        return Promise.reject(error);
      }
      return typeof signal === "object" && signal !== null ? untilAborted(shared, signal, this.#call) : shared;
    }

    /** @type {import("./index.d.ts").TokenClient["authorizationHeader"]} */
    async authorizationHeader() {
      return bearer(await this.#tokenOrFlight(false));
    }

    /** @type {import("./index.d.ts").TokenClient["fetch"]} */
    async fetch(input, init) {
      const response = await authorisedFetch(input, init, bearer(await this.#tokenOrFlight(false)));
      if (response.status !== 401 || !replayable(input, init)) return response;
      this.#policy.clear();
      return authorisedFetch(input, init, bearer(await this.#tokenOrFlight(true)));
    }

    /** @type {import("./index.d.ts").TokenClient["clear"]} */
    async clear() {
      this.#policy.clear();
      this.#token = null;
      if (this.#store) await this.#settle(() => this.#store.delete(this.#set.key));
    }
  }

  return { getToken, TokenClient };
}

export { BRAND, connect, isSehatmuError };
