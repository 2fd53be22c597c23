// For Cloudflare Workers only: these declarations need the Workers types (`wrangler types`, or
// @cloudflare/workers-types), which declare the `cloudflare:workers` module and the
// `DurableObjectNamespace` global.
import { DurableObject } from "cloudflare:workers";
import type { AccessToken, SharedTokenStore, SharedWait } from "../pkg/index.js";

/**
 * The Durable Object that keeps the token, the server's rate-limit wait and the lock for every
 * isolate of a Worker. Export it from your Worker's main module and bind it (`durable_objects`
 * and a `migrations` entry with `new_sqlite_classes` in the wrangler configuration). Its
 * methods are the RPC methods {@link createDurableObjectStore}'s store calls.
 */
export declare class TokenStoreObject extends DurableObject {
  /** The value under `key`, or `null` where it is missing or expired. */
  get(key: string): Promise<AccessToken | SharedWait | null>;
  /** Keeps `value` under `key` for `ttlMs`. */
  set(key: string, value: AccessToken | SharedWait, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Takes the lock `key` for `ttlMs` where no one holds it: a random owner token, else `null`. */
  lock(key: string, ttlMs: number): Promise<string | null>;
  /** Frees the lock `key` if `owner` still holds it: whether it did. */
  release(key: string, owner: string): Promise<boolean>;
  /** Deletes the expired entries. */
  alarm(): Promise<void>;
}

export interface DurableObjectStoreOptions {
  /** The instance of the namespace to use. Default "sehatmu-auth". */
  name?: string;
}

/**
 * A {@link SharedTokenStore} in the Durable Object `TokenStoreObject`: every isolate of the
 * Worker (and of the other Workers bound to the same class) fetches one token between them, and
 * they share the server's rate-limit wait. Throws an `invalid_argument` SehatmuError without a
 * namespace (`field: "namespace"`) or with a `name` that is not a non-empty string.
 */
export function createDurableObjectStore(
  namespace: DurableObjectNamespace<TokenStoreObject> | DurableObjectNamespace,
  options?: DurableObjectStoreOptions,
): SharedTokenStore;
