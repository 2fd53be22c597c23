import type { SharedTokenStore } from "../pkg/index.js";

/** The part of a `redis` (node-redis v4+) client the store uses. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
  isReady?: boolean;
}

/** The part of an `ioredis` client the store uses. */
export interface IORedisClientLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  status: string;
}

export interface RedisStoreOptions {
  /** Prepended to every key. Default "". */
  prefix?: string;
}

/**
 * A {@link SharedTokenStore} on Redis: one process of many fetches the token (the others
 * wait for it in Redis), and the server's rate-limit wait is shared. Tokens are JSON with a TTL;
 * the lock is `SET NX PX` with a token-checked release. Fails at once while the client is not
 * connected, so that `TokenClient` falls back to fetching on its own. Throws an
 * `invalid_argument` SehatmuError (`field: "client"`) for anything but such a client.
 */
export function createRedisStore(client: NodeRedisClientLike | IORedisClientLike, options?: RedisStoreOptions): SharedTokenStore;
