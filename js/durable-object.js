// A TokenStore in a Durable Object, for Cloudflare Workers only (it imports `cloudflare:workers`,
// which exists in workerd and nowhere else): `import { TokenStoreObject,
// createDurableObjectStore } from "sehatmu-auth/durable-object"`.
//
// A Worker runs in many isolates at once, each with its own memory. A Durable Object is the one
// strongly consistent instance all of them reach, so the token, the server's rate-limit wait and
// the lock that makes one isolate fetch live in its storage: a deployment fetches one token and
// trips the limit at most once. Workers KV (eventually consistent, one write a second per key) and
// the Cache API (per colo) can't do this.
//
// Each entry is `{ value, expiresAt }` under its key (the token URL and the client id, never the
// secret); an expired one reads as missing, and an alarm deletes expired entries. The lock is an
// entry too, `{ owner, expiresAt }`, whose owner is a random token only its holder knows.
//
// Why the lock is atomic: a Durable Object runs its requests on one thread, and its input gate
// delivers no other request while a storage call is under way. `lock` awaits nothing but its
// storage `get`, then calls `put` in the same turn, so no other request can run between the read
// and the write (and its output gate sends the answer only once the write is stored).
import { DurableObject } from "cloudflare:workers";
import { invalidArgument } from "./errors.js";

const DEFAULT_NAME = "sehatmu-auth";

/** `ttlMs` as whole milliseconds, at least 1. */
function lifetime(ttlMs) {
  if (typeof ttlMs !== "number" || Number.isNaN(ttlMs)) throw invalidArgument("ttlMs", "a number of milliseconds");
  return Math.max(1, Math.ceil(ttlMs));
}

function isLive(entry, now) {
  return typeof entry === "object" && entry !== null && typeof entry.expiresAt === "number" && entry.expiresAt > now;
}

/**
 * The Durable Object class: export it from your Worker and bind it (`durable_objects` and a
 * `migrations` entry in the wrangler configuration). Its methods are called by RPC from
 * `createDurableObjectStore`'s store.
 */
export class TokenStoreObject extends DurableObject {
  /** The value under `key`, or `null` where it is missing or expired. */
  async get(key) {
    const entry = await this.ctx.storage.get(String(key));
    return isLive(entry, Date.now()) && "value" in entry ? entry.value : null;
  }

  /** Keeps `value` under `key` for `ttlMs`. */
  async set(key, value, ttlMs) {
    const expiresAt = Date.now() + lifetime(ttlMs);
    await this.ctx.storage.put(String(key), { value, expiresAt });
    await this.#sweepBy(expiresAt);
  }

  async delete(key) {
    await this.ctx.storage.delete(String(key));
  }

  /** Takes the lock `key` for `ttlMs` where no one holds it: its owner token, else `null`. */
  async lock(key, ttlMs) {
    const ms = lifetime(ttlMs);
    // Nothing but storage is awaited between this read and the put: see the header.
    const held = await this.ctx.storage.get(String(key));
    const now = Date.now();
    if (isLive(held, now)) return null;
    const owner = crypto.randomUUID();
    await this.ctx.storage.put(String(key), { owner, expiresAt: now + ms });
    await this.#sweepBy(now + ms);
    return owner;
  }

  /** Frees the lock `key` if `owner` still holds it (past its expiry a successor may): whether it did. */
  async release(key, owner) {
    const held = await this.ctx.storage.get(String(key));
    if (typeof held !== "object" || held === null || held.owner !== owner) return false;
    await this.ctx.storage.delete(String(key));
    return true;
  }

  /** Deletes the expired entries, and sets the alarm for the next one to expire. */
  async alarm() {
    const now = Date.now();
    const expired = [];
    let next = Infinity;
    for (const [key, entry] of await this.ctx.storage.list()) {
      if (!isLive(entry, now)) expired.push(key);
      else next = Math.min(next, entry.expiresAt);
    }
    // delete() takes at most 128 keys at a time.
    for (let i = 0; i < expired.length; i += 128) await this.ctx.storage.delete(expired.slice(i, i + 128));
    if (next !== Infinity) await this.ctx.storage.setAlarm(next);
  }

  /** Sets the alarm for `expiresAt` unless it goes off sooner (each sweep sets the next). */
  async #sweepBy(expiresAt) {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }
}

/** @type {import("./durable-object.d.ts").createDurableObjectStore} */
export function createDurableObjectStore(namespace, { name = DEFAULT_NAME } = {}) {
  if (typeof namespace?.idFromName !== "function" || typeof namespace?.get !== "function") {
    throw invalidArgument("namespace", "the Durable Object namespace TokenStoreObject is bound to (env.<binding>)");
  }
  if (typeof name !== "string" || name === "") throw invalidArgument("name", "a non-empty string");
  let id;
  // A stub for each call: a stub belongs to the request it was made in, and one whose call failed
  // may stay broken, while the store lives as long as the TokenClient, across requests.
  const object = () => namespace.get((id ??= namespace.idFromName(name)));
  return {
    get: (key) => object().get(key),
    set: (key, value, ttlMs) => object().set(key, value, ttlMs),
    delete: (key) => object().delete(key),
    async lock(key, ttlMs) {
      const owner = await object().lock(key, ttlMs);
      if (typeof owner !== "string") return null;
      return async () => {
        await object().release(key, owner);
      };
    },
  };
}
