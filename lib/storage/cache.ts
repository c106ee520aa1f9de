/**
 * A content-addressed local cache of objects, keyed by sha256, and `fetchVerified`, the
 * one way the pipeline reads manifest images: the bytes it hands back always hash to what
 * the manifest promised, and a rerun does not download them again.
 */
import { createHash } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ChecksumMismatchError, objectUri } from "./errors.ts";
import { writeFileAtomic } from "./file.ts";
import type { ObjectStore } from "./types.ts";

const SHA256 = /^[0-9a-f]{64}$/;

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
    if (actual !== sha) throw new ChecksumMismatchError(`cache entry ${path}`, sha, actual);
    await writeFileAtomic(path, bytes);
    return path;
  }

  /** Removes an entry (a no-op when absent), e.g. one found corrupt on re-hash. */
  async remove(sha: string): Promise<void> {
    await rm(this.pathFor(sha), { force: true });
  }
}

/** A verified object: where it is cached, its bytes, and whether the cache already had it. */
export interface VerifiedObject {
  path: string;
  bytes: Buffer;
  cached: boolean;
}

/** Options of `fetchVerified`. */
export interface FetchVerifiedOptions {
  /**
   * Hash a cached file again before trusting it (guards against a cache folder edited or
   * damaged on disk). A cached file that fails is dropped and downloaded again.
   */
  rehash?: boolean;
}

/**
 * The bytes of `key` in `store`, guaranteed to hash to `expectedSha256`. Served from the
 * cache when present; otherwise downloaded, hashed, and cached only if they match.
 * Throws `ChecksumMismatchError` (naming the object URI, expected and actual) on a
 * mismatch, and `ObjectNotFoundError` when the object does not exist.
 */
export async function fetchVerified(
  store: ObjectStore,
  key: string,
  expectedSha256: string,
  cache: HashCache,
  options: FetchVerifiedOptions = {},
): Promise<VerifiedObject> {
  const expected = expectedSha256.toLowerCase();
  const path = cache.pathFor(expected);
  const cachedBytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (cachedBytes && (!options.rehash || sha256(cachedBytes) === expected)) {
    return { path, bytes: cachedBytes, cached: true };
  }
  if (cachedBytes) await cache.remove(expected);

  const bytes = await store.get(key);
  const actual = sha256(bytes);
  if (actual !== expected)
    throw new ChecksumMismatchError(objectUri(store.baseUri, key), expected, actual);
  // put() hashes again; for images and model files that costs little next to the download.
  await cache.put(expected, bytes);
  return { path, bytes, cached: false };
}
