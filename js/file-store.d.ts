import type { AccessToken, SharedTokenStore, SharedWait } from "../pkg/index.js";

export interface FileStoreOptions {
  /**
   * The folder for the entries, made (with its parents) where missing; kept at mode 0700, and a
   * folder of yours that is wider is tightened. Another user's folder is refused.
   */
  dir: string;
}

/** Frees the lock if it is still this holder's (past its expiry a successor may have it). Synchronous. */
export type FileStoreRelease = () => void;

/**
 * A {@link SharedTokenStore} in a folder, for the processes of one machine: one of them fetches
 * the token and the others take it from the folder, and the server's rate-limit wait is shared.
 * Entries are plain JSON files (0600) named after the SHA-256 of their key, written atomically
 * (a temporary file, then a rename); the lock expires after the `ttlMs` it was taken for, and a
 * lock whose holder died is taken over by exactly one process.
 */
export interface FileStore extends SharedTokenStore {
  /** The folder, as an absolute path. */
  readonly dir: string;
  /** The value, or `null` where it is missing, expired, unreadable or not one of this store's. */
  get(key: string): Promise<AccessToken | SharedWait | null>;
  set(key: string, value: AccessToken | SharedWait, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** A release function, or `null` while another holder's lock has not expired. */
  lock(key: string, ttlMs: number): Promise<FileStoreRelease | null>;
}

/** Throws an `invalid_argument` SehatmuError (`field: "dir"`) without a `dir`; touches the disk only when first used. */
export function createFileStore(options: FileStoreOptions): FileStore;
