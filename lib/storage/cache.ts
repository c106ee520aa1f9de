/**
 * A content-addressed local cache of objects, keyed by sha256, and `fetchVerified`, the
 * one way the pipeline reads manifest images: the bytes it hands back always hash to what
 * the manifest promised, the object is still in its store, and a rerun does not download
 * it again.
 */
import { createHash } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  ChecksumMismatchError,
  ObjectNotFoundError,
  StoreAccessError,
  objectUri,
} from "./errors.ts";
import { readRegularFile, writeFileAtomic } from "./local-files.ts";
import type { ObjectStore } from "./types.ts";

const SHA256 = /^[0-9a-f]{64}$/;

// Cache entries passed a store's size limit on the way in; this only bounds a damaged one.
const MAX_ENTRY_BYTES = 1024 * 1024 * 1024;
/** Lowercase hex sha256 of some bytes. */
export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A folder of verified objects at `<dir>/<sha[0:2]>/<sha>`. */
export class HashCache {
  /** The cache's absolute folder. */
  readonly dir: string;

  /** A cache in `dir`; the folder is created on the first put. */
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Where the object with this sha256 lives (or would). Refuses anything but 64 hex chars. */
  pathFor(sha: string): string {
    // The sha becomes a path: checking it keeps a bad manifest value from naming a file
    // outside the cache.
    if (!SHA256.test(sha)) throw new Error(`not a sha256 (64 lowercase hex characters): "${sha}"`);
    return join(this.dir, sha.slice(0, 2), sha);
  }

  /** Whether an object with this sha256 is cached. */
  async has(sha: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(sha))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /**
   * Caches `bytes` under `sha`, refusing bytes that do not hash to it (a wrong entry would
   * be served as verified forever). Returns the file's path.
   */
  async put(sha: string, bytes: Buffer | Uint8Array): Promise<string> {
    const actual = sha256(bytes);
    const path = this.pathFor(sha);
    if (actual !== sha)
      throw new ChecksumMismatchError(`cache entry ${path}`, sha, actual, bytes.byteLength);
    await writeFileAtomic(path, bytes);
    return path;
  }

  /** Removes an entry (a no-op when absent), e.g. one found corrupt on re-hash. */
  async remove(sha: string): Promise<void> {
    const path = this.pathFor(sha);
    await rm(path, { force: true, recursive: true }).catch((cause: unknown) => {
      throw new StoreAccessError("remove cache entry", path, { cause });
    });
  }

  /**
   * The cached bytes of `sha`, hashed again: undefined when absent, and when the entry is
   * damaged (other bytes, not a regular file, unreadable), which is then removed so the
   * next fetch downloads it again.
   */
  async read(sha: string): Promise<Buffer | undefined> {
    const path = this.pathFor(sha);
    let bytes: Buffer;
    try {
      bytes = await readRegularFile(path, path, MAX_ENTRY_BYTES, "read cache entry");
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return undefined;
      await this.remove(sha);
      return undefined;
    }
    if (sha256(bytes) === sha) return bytes;
    await this.remove(sha);
    return undefined;
  }
}

/** A verified object: where it is cached, its bytes, and whether the cache already had it. */
export interface VerifiedObject {
  path: string;
  bytes: Buffer;
  cached: boolean;
}

/**
 * The bytes of `key` in `store`, guaranteed to hash to `expectedSha256`. A cached copy is
 * hashed again before it is served (a damaged one is dropped and downloaded again), and
 * served only while the store still has the key at that size: a cached sha256 never makes
 * a missing key pass. Otherwise the object is downloaded, hashed, and cached only if it
 * matches. Throws `ChecksumMismatchError` (naming the object, the promised hash and the
 * size) on a mismatch, `ObjectNotFoundError` when the object does not exist, and the
 * store's own errors (`StoreAccessError` for a fault).
 */
export async function fetchVerified(
  store: ObjectStore,
  key: string,
  expectedSha256: string,
  cache: HashCache,
): Promise<VerifiedObject> {
  const expected = expectedSha256.toLowerCase();
  const path = cache.pathFor(expected);
  const cachedBytes = await cache.read(expected);
  if (cachedBytes) {
    const info = await store.head(key);
    if (!info) throw new ObjectNotFoundError(objectUri(store.baseUri, key));
    if (info.size === cachedBytes.length) return { path, bytes: cachedBytes, cached: true };
    // The store's object changed since it was cached: download it and let the hash decide.
  }
  const bytes = await store.get(key);
  const actual = sha256(bytes);
  if (actual !== expected)
    throw new ChecksumMismatchError(objectUri(store.baseUri, key), expected, actual, bytes.length);
  // put() hashes again; for images and model files that costs little next to the download.
  await cache.put(expected, bytes);
  return { path, bytes, cached: false };
}
