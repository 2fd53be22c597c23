// A TokenStore on Redis, to share one token (and the server's rate-limit wait) between every
// process that uses the same credentials: `import { createRedisStore } from "sehatmu-auth/redis"`.
//
// It takes a connected client of `redis` (node-redis v4 or later) or `ioredis`, and sends plain
// Redis commands, so it depends on neither. While the client is not connected it fails at once
// (instead of letting the command wait in the client's offline queue), and TokenClient then
// fetches on its own.
import { randomUUID } from "node:crypto";
import { invalidArgument } from "./errors.js";

/** Deletes the lock only where it is still ours: a holder whose lock expired must not free another's. */
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** A function that sends one command: `send("SET", key, value, …)`. */
function commandSender(client) {
  if (typeof client?.call === "function" && "status" in client) {
    // ioredis
    return (...args) => {
      if (client.status !== "ready") throw new Error(`the Redis client is ${client.status}`);
      return client.call(...args);
    };
  }
  if (typeof client?.sendCommand === "function") {
    // node-redis v4+
    return (...args) => {
      if (client.isReady === false) throw new Error("the Redis client is not connected");
      return client.sendCommand(args.map(String));
    };
  }
  throw invalidArgument("client", "a connected `redis` (node-redis v4+) or `ioredis` client");
}

/** @type {import("./redis.d.ts").createRedisStore} */
export function createRedisStore(client, { prefix = "" } = {}) {
  const send = commandSender(client);
  const at = (key) => prefix + key;
  return {
    async get(key) {
      const value = await send("GET", at(key));
      return value === null || value === undefined ? null : JSON.parse(value);
    },
    async set(key, value, ttlMs) {
      await send("SET", at(key), JSON.stringify(value), "PX", Math.max(1, Math.ceil(ttlMs)));
    },
    async delete(key) {
      await send("DEL", at(key));
    },
    async lock(key, ttlMs) {
      const owner = randomUUID();
      const taken = await send("SET", at(key), owner, "NX", "PX", Math.max(1, Math.ceil(ttlMs)));
      if (taken !== "OK") return null;
      return async () => {
        await send("EVAL", RELEASE, 1, at(key), owner);
      };
    },
  };
}
