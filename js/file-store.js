// A TokenStore in a folder, to share one token (and the server's rate-limit wait) between the
// processes of one machine that have no Redis: `import { createFileStore } from
// "sehatmu-auth/file-store"`.
//
// Each entry is a file of plain JSON, `<sha256 of the key>.json`: the key (the token URL and the
// client id, never the secret), its expiry and the value, which an operator can read. It is
// written to a temporary file of its own and renamed into place, so that no reader ever sees half
// of one. The folder is 0700 and every file 0600, whatever the umask.
//
// The lock `key` is a row of generation files, `<sha256 of the key>.lock.<n>`: whoever created
// the highest n holds it until the expiry written inside, or until it marks its file released.
// A generation is created with link(2) from a complete temporary file, which fails where the name
// exists: of the processes that find the lock expired or released, exactly one creates n + 1.
// Nothing but the holder ever writes to a generation file, so a holder whose lock expired and was
// taken over can't free its successor's. The calls are synchronous, so that a lock is decided
// between two turns of the event loop and a release can run in a signal handler.
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { join, resolve } from "node:path";
import { invalidArgument } from "./errors.js";

const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;
/** A larger file is not one of ours: an AccessToken is a few KiB. */
const MAX_ENTRY_BYTES = 1 << 20;
/** A temporary file this old was left by a writer that died. */
const STALE_TEMP_MS = 10 * 60_000;
const TEMP = /^[0-9a-f]{64}\.(json|lock\.\d{1,15})\.[0-9a-f-]{36}\.tmp$/;
const GENERATION = /^\d{1,15}$/;

const uid = typeof process.getuid === "function" ? process.getuid() : undefined;

function hashed(key) {
  return createHash("sha256").update(String(key), "utf8").digest("hex");
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `ttlMs` as whole milliseconds, at least 1. */
function lifetime(ttlMs) {
  if (typeof ttlMs !== "number" || Number.isNaN(ttlMs)) throw invalidArgument("ttlMs", "a number of milliseconds");
  return Math.max(1, Math.ceil(ttlMs));
}

function removeQuietly(path) {
  try {
    fs.rmSync(path, { force: true });
  } catch {
    // Left for the next sweep.
  }
}

/**
 * Makes the folder (and its parents) where missing; an existing one of ours that is wider than
 * 0700 is tightened. Another user's folder is refused: its owner could read the tokens.
 */
function prepare(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: FOLDER_MODE });
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) throw new Error(`the token store's folder ${dir} is not a folder`);
  if (uid !== undefined && stat.uid !== uid) {
    throw new Error(`the token store's folder ${dir} belongs to another user (uid ${stat.uid})`);
  }
  if ((stat.mode & 0o777) !== FOLDER_MODE) fs.chmodSync(dir, FOLDER_MODE);
}

/**
 * The JSON in a regular file of this user's, or `undefined` for anything else: missing,
 * unreadable, not JSON, a link, a folder, another user's, too large.
 */
function readJson(path) {
  let fd;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_ENTRY_BYTES || (uid !== undefined && stat.uid !== uid)) return undefined;
    return JSON.parse(fs.readFileSync(fd, "utf8"));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A complete new file beside `name`, 0600, for a rename or link into place: its path. */
function writeTemporary(dir, name, record) {
  const path = join(dir, `${name}.${randomUUID()}.tmp`);
  const fd = fs.openSync(path, "wx", FILE_MODE);
  try {
    fs.fchmodSync(fd, FILE_MODE); // the umask may have narrowed it further
    fs.writeFileSync(fd, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    fs.closeSync(fd);
    removeQuietly(path);
    throw error;
  }
  fs.closeSync(fd);
  return path;
}

/** Puts `record` at `dir/name` in one step, replacing whatever is there (a folder too). */
function replace(dir, name, record) {
  const temporary = writeTemporary(dir, name, record);
  const target = join(dir, name);
  try {
    try {
      fs.renameSync(temporary, target);
    } catch (error) {
      if (!["EISDIR", "ENOTEMPTY", "EEXIST", "ENOTDIR", "EPERM"].includes(error.code)) throw error;
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(temporary, target);
    }
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
}

/** The generations of the lock files starting with `prefix`, lowest first. */
function generations(dir, prefix) {
  const found = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(prefix) && GENERATION.test(name.slice(prefix.length))) found.push(Number(name.slice(prefix.length)));
  }
  return found.sort((a, b) => a - b);
}

/** Whether a generation file's record still holds the lock `key`. */
function holds(record, key, now) {
  return isObject(record) && record.key === key && record.released !== true && typeof record.expiresAt === "number" && record.expiresAt > now;
}

/** Removes the generations below `top` and the temporary files that writers left behind. */
function sweep(dir, prefix, top) {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : "";
    if (GENERATION.test(rest) && Number(rest) < top) {
      removeQuietly(join(dir, name));
    } else if (TEMP.test(name)) {
      try {
        if (now - fs.lstatSync(join(dir, name)).mtimeMs > STALE_TEMP_MS) removeQuietly(join(dir, name));
      } catch {
        // Gone already.
      }
    }
  }
}

/** Takes the lock `key` for `ms` if no one holds it: a release function, or `null`. */
function takeLock(dir, key, ms) {
  prepare(dir);
  const prefix = `${hashed(key)}.lock.`;
  const top = generations(dir, prefix).at(-1);
  if (top !== undefined && holds(readJson(join(dir, prefix + top)), key, Date.now())) return null;
  // Expired, released, unreadable or never taken: the one that creates the next generation has it.
  const generation = (top ?? 0) + 1;
  const name = prefix + generation;
  const path = join(dir, name);
  const owner = randomUUID();
  const expiresAt = Date.now() + ms;
  const record = { key, owner, pid: process.pid, expiresAt, expires: new Date(expiresAt).toISOString() };
  const temporary = writeTemporary(dir, name, record);
  try {
    fs.linkSync(temporary, path);
  } catch (error) {
    if (error.code === "EEXIST") return null;
    throw error;
  } finally {
    removeQuietly(temporary);
  }
  // A process that read the folder long ago may have made a generation that was swept since,
  // below the one that holds: the highest holds.
  if (generations(dir, prefix).at(-1) !== generation) {
    removeQuietly(path);
    return null;
  }
  sweep(dir, prefix, generation);
  let released = false;
  return function release() {
    if (released) return;
    released = true;
    // Past its expiry a successor may have taken over, and swept this generation: then it is
    // not ours to mark. (Marking a swept one would only leave a released file below the top.)
    const current = readJson(path);
    if (!isObject(current) || current.owner !== owner) return;
    replace(dir, name, { ...record, released: true, releasedAt: new Date().toISOString() });
  };
}

/** @type {import("./file-store.d.ts").createFileStore} */
export function createFileStore(options) {
  const given = isObject(options) ? options.dir : undefined;
  if (typeof given !== "string" || given === "") {
    throw invalidArgument("dir", "the folder to keep the tokens in, a non-empty string");
  }
  const dir = resolve(given);
  const entry = (key) => `${hashed(key)}.json`;
  return {
    dir,
    async get(key) {
      const record = readJson(join(dir, entry(key)));
      if (!isObject(record) || record.key !== key || !isObject(record.value)) return null;
      if (typeof record.expiresAt !== "number" || !(record.expiresAt > Date.now())) return null;
      return record.value;
    },
    async set(key, value, ttlMs) {
      const expiresAt = Date.now() + lifetime(ttlMs);
      prepare(dir);
      replace(dir, entry(key), { key, expiresAt, expires: new Date(expiresAt).toISOString(), value });
    },
    async delete(key) {
      fs.rmSync(join(dir, entry(key)), { force: true, recursive: true });
    },
    async lock(key, ttlMs) {
      return takeLock(dir, key, lifetime(ttlMs));
    },
  };
}
