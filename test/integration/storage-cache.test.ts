/**
 * The verified cache: fetchVerified downloads, checks the sha256 and caches an object,
 * serves it from the cache afterwards, replaces a damaged copy when asked to re-hash, and
 * caches nothing that is missing or does not match.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ChecksumMismatchError,
  FileStore,
  HashCache,
  ObjectNotFoundError,
  fetchVerified,
  sha256,
} from "../../lib/storage/index.ts";
import { bytes, useTempDirs } from "../helpers/storage-fixtures.ts";

const tempDir = useTempDirs();

describe("fetchVerified", () => {
  let store: FileStore;
  let cache: HashCache;
  const image = bytes("a ripe mango, pixel by pixel");
  const good = sha256(image);

  afterEach(async () => {
    await rm(cache.dir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    store = new FileStore(pathToFileURL(await tempDir("fetch-store")).href);
  });
  const freshCache = async () =>
    (cache = new HashCache(join(await tempDir("fetch-cache"), "cache")));

  it("downloads, verifies and caches; then serves from the cache without the store", async () => {
    await freshCache();
    await store.put("images/1.jpg", image);
    const first = await fetchVerified(store, "images/1.jpg", good, cache);
    expect(first).toEqual({
      path: join(cache.dir, good.slice(0, 2), good),
      bytes: image,
      cached: false,
    });
    expect(await readFile(first.path)).toEqual(image);
    expect(await cache.has(good)).toBe(true);

    await rm(join(store.root, "images", "1.jpg"));
    const second = await fetchVerified(store, "images/1.jpg", good, cache);
    expect(second).toEqual({ path: first.path, bytes: image, cached: true });
  });

  it("re-hashes a cached file when asked, and replaces a damaged one", async () => {
    await freshCache();
    await store.put("images/2.jpg", image);
    const { path } = await fetchVerified(store, "images/2.jpg", good, cache);
    await writeFile(path, "bit rot");
    const again = await fetchVerified(store, "images/2.jpg", good, cache, { rehash: true });
    expect(again.cached).toBe(false);
    expect(await readFile(path)).toEqual(image);
  });

  it("throws ChecksumMismatchError naming the object and both hashes, and caches nothing", async () => {
    await freshCache();
    await store.put("images/tampered.jpg", bytes("not the promised image"));
    const err = await fetchVerified(store, "images/tampered.jpg", good, cache).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    const mismatch = err as ChecksumMismatchError;
    expect(mismatch.uri).toBe(`${store.baseUri}/images/tampered.jpg`);
    expect(mismatch.expected).toBe(good);
    expect(mismatch.actual).toBe(sha256(bytes("not the promised image")));
    expect(mismatch.message).toContain(good);
    expect(await cache.has(good)).toBe(false);
    expect(await readdir(cache.dir).catch(() => [])).toEqual([]);
  });

  it("reports a missing object as ObjectNotFoundError and caches nothing", async () => {
    await freshCache();
    await expect(fetchVerified(store, "images/never.jpg", good, cache)).rejects.toBeInstanceOf(
      ObjectNotFoundError,
    );
    expect(await cache.has(good)).toBe(false);
  });

  it("cache.put refuses bytes that do not match their sha, and pathFor refuses non-shas", async () => {
    await freshCache();
    await expect(cache.put(good, bytes("other"))).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(await cache.has(good)).toBe(false);
    expect(await cache.put(good, image)).toBe(cache.pathFor(good));
    expect(() => cache.pathFor("../../etc/passwd")).toThrow(/not a sha256/);
  });
});
