import type { TokenClient } from "../pkg/index.js";

/**
 * The part of an axios instance (`axios.create()`, or `axios` itself) that
 * {@link attachTokenClient} uses: described here, so that these types need no axios.
 */
export interface AxiosInstanceLike {
  interceptors: {
    // `never` in: axios's own `use` and `request` fit, whatever they take.
    request: { use(...args: never[]): number; eject(id: number): void };
    response: { use(...args: never[]): number; eject(id: number): void };
  };
  request(...args: never[]): Promise<unknown>;
}

/**
 * Adds `client`'s `Authorization` to every request of `instance` (replacing the caller's own),
 * and sends a request that the API answered 401 to once more with the header
 * `client.authorizationHeader({ rejected })` gives: one fresh token for every request the old
 * one failed. A second 401 rejects as axios reports it; a token failure rejects with the
 * {@link SehatmuError} as it is. Returns `detach()`, which ejects both interceptors.
 */
export function attachTokenClient(instance: AxiosInstanceLike, client: TokenClient): () => void;
