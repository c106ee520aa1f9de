/**
 * The verified cache: fetchVerified downloads, checks the sha256 and caches an object;
 * afterwards it serves the cached bytes only after hashing them again and while the store
 * still has the key, replaces a damaged or planted entry by downloading again, and caches
 * nothing that is missing or does not match.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ChecksumMismatchError,
  FileStore,
  HashCache,
  NotRegularFileError,
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

  it("downloads, verifies and caches; then serves the cached bytes while the key exists", async () => {
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

    const second = await fetchVerified(store, "images/1.jpg", good, cache);
    expect(second).toEqual({ path: first.path, bytes: image, cached: true });
  });

  it("does not let a cached sha256 make a missing key pass", async () => {
    await freshCache();
    await store.put("images/gone.jpg", image);
    await fetchVerified(store, "images/gone.jpg", good, cache);
    await rm(join(store.root, "images", "gone.jpg"));
    const err = await fetchVerified(store, "images/gone.jpg", good, cache).catch((e) => e);
    expect(err).toBeInstanceOf(ObjectNotFoundError);
    expect((err as ObjectNotFoundError).uri).toBe(`${store.baseUri}/images/gone.jpg`);
    // Nor a key that names a folder, with the same sha256 cached.
    await mkdir(join(store.root, "images", "a-folder"), { recursive: true });
    await expect(fetchVerified(store, "images/a-folder", good, cache)).rejects.toBeInstanceOf(
      NotRegularFileError,
    );
  });

  it("re-hashes a cached file every time, and replaces a damaged one from the store", async () => {
    await freshCache();
    await store.put("images/2.jpg", image);
    const { path } = await fetchVerified(store, "images/2.jpg", good, cache);
    await writeFile(path, "bit rot");
    const again = await fetchVerified(store, "images/2.jpg", good, cache);
    expect(again).toEqual({ path, bytes: image, cached: false });
    expect(await readFile(path)).toEqual(image);
  });

  it("evicts a planted entry that is not a file, and downloads again", async () => {
    await freshCache();
    await store.put("images/3.jpg", image);
    const path = cache.pathFor(good);
    await mkdir(path, { recursive: true });
    const fetched = await fetchVerified(store, "images/3.jpg", good, cache);
    expect(fetched).toEqual({ path, bytes: image, cached: false });
    expect(await readFile(path)).toEqual(image);
  });

  it("downloads again when the store's object changed size since it was cached", async () => {
    await freshCache();
    await store.put("images/4.jpg", image);
    await fetchVerified(store, "images/4.jpg", good, cache);
    await store.put("images/4.jpg", bytes("a different, longer photo of a mango"));
    const err = await fetchVerified(store, "images/4.jpg", good, cache).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toBe(
      `sha256 mismatch for ${store.baseUri}/images/4.jpg: the manifest says ${good}; its ${"a different, longer photo of a mango".length} bytes do not hash to that`,
    );
  });

  it("throws ChecksumMismatchError naming the object, the promised hash and the size, never the actual hash", async () => {
    await freshCache();
    const tampered = bytes("not the promised image");
    await store.put("images/tampered.jpg", tampered);
    const err = await fetchVerified(store, "images/tampered.jpg", good, cache).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    const mismatch = err as ChecksumMismatchError;
    expect(mismatch.uri).toBe(`${store.baseUri}/images/tampered.jpg`);
    expect(mismatch.expected).toBe(good);
    expect(mismatch.actual).toBe(sha256(tampered));
    expect(mismatch.message).toContain(good);
    expect(mismatch.message).toContain("22 bytes");
    // Neither the message nor the error as logged (util.inspect) carries the actual hash.
    const { inspect } = await import("node:util");
    expect(inspect(mismatch)).not.toContain(sha256(tampered));
    expect(JSON.stringify(mismatch)).not.toContain(sha256(tampered));
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
