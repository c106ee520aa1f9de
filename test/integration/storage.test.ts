/**
 * The data plane: one contract suite that both backends (a local folder and S3 through a
 * real s3rver) must pass, then what is particular to the folder store (escaping the
 * folder, atomic writes) and the verified cache.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  ChecksumMismatchError,
  FileStore,
  HashCache,
  InvalidKeyError,
  ObjectNotFoundError,
  S3Store,
  createS3Client,
  fetchVerified,
  openStore,
  sha256,
  type ObjectStore,
  type StoredObject,
} from "../../lib/storage/index.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";

const temps: string[] = [];
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function collect(iterable: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

const bytes = (text: string) => Buffer.from(text, "utf8");

/** What every `ObjectStore` must do; `fresh()` returns an empty store each call. */
function storeContract(name: string, fresh: () => Promise<ObjectStore>): void {
  describe(`${name} store contract`, () => {
    it("returns exactly the bytes it was given, and their size", async () => {
      const store = await fresh();
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.put("images/ripe/mango 1.jpg", all, "image/jpeg");
      expect(await store.get("images/ripe/mango 1.jpg")).toEqual(all);
      expect(await store.head("images/ripe/mango 1.jpg")).toEqual({ size: 256 });
    });

    it("overwrites an object", async () => {
      const store = await fresh();
      await store.put("a.txt", bytes("first"));
      await store.put("a.txt", bytes("second, longer"));
      expect((await store.get("a.txt")).toString()).toBe("second, longer");
    });

    it("reports a missing object as ObjectNotFoundError naming its URI, and head as undefined", async () => {
      const store = await fresh();
      await store.put("present.jpg", bytes("x"));
      const err = await store.get("images/absent.jpg").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as ObjectNotFoundError).uri).toBe(
        `${store.baseUri.replace(/\/$/, "")}/images/absent.jpg`,
      );
      expect(await store.head("images/absent.jpg")).toBeUndefined();
    });

    it("lists every object under a prefix in key (byte) order, recursively", async () => {
      const store = await fresh();
      // Keys whose byte order s3rver reproduces; see the FileStore test for the sibling
      // "a-b" / "a/" case, where s3rver (not S3) lists folders first.
      const keys = [
        "b.jpg",
        "a/c/d.jpg",
        "a/b.jpg",
        "B.jpg",
        "a/e.jpg",
        "images/ripe/1.jpg",
        "images/raw/2.jpg",
      ];
      for (const [i, key] of keys.entries()) await store.put(key, Buffer.alloc(i + 1));
      const listed = await collect(store.list());
      expect(listed.map((o) => o.key)).toEqual([
        "B.jpg",
        "a/b.jpg",
        "a/c/d.jpg",
        "a/e.jpg",
        "b.jpg",
        "images/raw/2.jpg",
        "images/ripe/1.jpg",
      ]);
      expect(listed.find((o) => o.key === "a/c/d.jpg")?.size).toBe(2);
      expect((await collect(store.list("a/"))).map((o) => o.key)).toEqual([
        "a/b.jpg",
        "a/c/d.jpg",
        "a/e.jpg",
      ]);
      // A prefix need not end at a folder boundary.
      expect((await collect(store.list("images/ri"))).map((o) => o.key)).toEqual([
        "images/ripe/1.jpg",
      ]);
      expect(await collect(store.list("nothing/"))).toEqual([]);
    });

    it("copies an object and leaves the source in place", async () => {
      const store = await fresh();
      await store.put("models/v1/model.tflite", bytes("weights"));
      await store.copy("models/v1/model.tflite", "production/model.tflite");
      expect((await store.get("production/model.tflite")).toString()).toBe("weights");
      expect((await store.get("models/v1/model.tflite")).toString()).toBe("weights");
      await expect(
        store.copy("models/v9/none.tflite", "production/x.tflite"),
      ).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it("refuses keys that would leave the base URI", async () => {
      const store = await fresh();
      for (const key of ["../x", "/etc/passwd", "a/../../x", "a\\b", "a//b", "./a"]) {
        await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.put(key, bytes("x")), key).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.head(key), key).rejects.toBeInstanceOf(InvalidKeyError);
      }
      await expect(store.copy("ok.txt", "../escaped.txt")).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(collect(store.list("../"))).rejects.toBeInstanceOf(InvalidKeyError);
    });
  });
}

storeContract(
  "file",
  async () => new FileStore(pathToFileURL(join(await tempDir("filestore"), "bucket")).href),
);

describe("s3 backend (s3rver)", () => {
  let s3: RunningS3rver;
  let client: S3Client;
  let n = 0;
  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["contract"] });
    client = createS3Client(s3.settings);
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });
  // A fresh prefix per test is a fresh, empty store; small pages so every list pages.
  storeContract("s3", async () => new S3Store(`s3://contract/run-${++n}`, client, { pageSize: 2 }));
});

describe("FileStore", () => {
  it("lists in UTF-8 byte order, as S3 does, even where a file sorts between folders", async () => {
    const store = new FileStore(pathToFileURL(await tempDir("filestore-order")).href);
    for (const key of [
      "a/c/d.jpg",
      "a/c.jpg",
      "a-b.jpg",
      "a/b.jpg",
      "z\u00e9.jpg",
      "z\u{1F96D}.jpg",
      "z\uFF21.jpg",
    ]) {
      await store.put(key, bytes("x"));
    }
    // '-' and '.' sort before '/'; an astral character (4 UTF-8 bytes, F0..) sorts after
    // U+FF21 (EF..) by bytes although JavaScript's '<' puts it first.
    expect((await collect(store.list())).map((o) => o.key)).toEqual([
      "a-b.jpg",
      "a/b.jpg",
      "a/c.jpg",
      "a/c/d.jpg",
      "z\u00e9.jpg",
      "z\uFF21.jpg",
      "z\u{1F96D}.jpg",
    ]);
  });

  it("refuses a key that reaches outside the folder through a symlink", async () => {
    const root = await tempDir("filestore-root");
    const outside = await tempDir("filestore-outside");
    await writeFile(join(outside, "secret.txt"), "do not serve");
    await symlink(outside, join(root, "linked-dir"));
    await symlink(join(outside, "secret.txt"), join(root, "linked-file"));
    const store = new FileStore(pathToFileURL(root).href);

    await expect(store.get("linked-dir/secret.txt")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.get("linked-file")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put("linked-dir/planted.txt", bytes("x"))).rejects.toBeInstanceOf(
      InvalidKeyError,
    );
    expect(await readdir(outside)).toEqual(["secret.txt"]);
    expect(await collect(store.list())).toEqual([]);
  });

  it("serves a symlink that stays inside the folder", async () => {
    const root = await tempDir("filestore-inner-link");
    const store = new FileStore(pathToFileURL(root).href);
    await store.put("real/a.jpg", bytes("abc"));
    await symlink(join(root, "real", "a.jpg"), join(root, "alias.jpg"));
    expect((await store.get("alias.jpg")).toString()).toBe("abc");
    expect(await collect(store.list())).toEqual([
      { key: "alias.jpg", size: 3 },
      { key: "real/a.jpg", size: 3 },
    ]);
  });

  it("writes atomically: readers see the old or the new object, never part of one", async () => {
    const root = await tempDir("filestore-atomic");
    const store = new FileStore(pathToFileURL(root).href);
    const size = 8 * 1024 * 1024;
    await store.put("big.bin", Buffer.alloc(size, "a"));
    const writing = store.put("big.bin", Buffer.alloc(size, "b"));
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const read = await readFile(join(root, "big.bin"));
      expect(read.length).toBe(size);
      seen.add(String.fromCharCode(read[0]!) + String.fromCharCode(read[size - 1]!));
    }
    await writing;
    expect([...seen].every((s) => s === "aa" || s === "bb")).toBe(true);
    expect((await store.get("big.bin")).every((b) => b === 98)).toBe(true);
    expect(await readdir(root)).toEqual(["big.bin"]);
  });

  it("leaves no temp file when a write fails, and never lists half-written files", async () => {
    const root = await tempDir("filestore-failed");
    const store = new FileStore(pathToFileURL(root).href);
    await mkdir(join(root, "a-folder"));
    // Renaming a file over a folder fails after the temp file is written.
    await expect(store.put("a-folder", bytes("x"))).rejects.toThrow(/a-folder/);
    expect(await readdir(root)).toEqual(["a-folder"]);
    await writeFile(join(root, "x.jpg.partial-0123456789abcdef"), "half");
    expect(await collect(store.list())).toEqual([]);
  });

  it("opens folders whose path needs URI escaping, and refuses relative file URIs", async () => {
    const root = join(await tempDir("filestore-uri"), "my data");
    const store = new FileStore(pathToFileURL(root).href);
    await store.put("k.txt", bytes("v"));
    expect(await readFile(join(root, "k.txt"), "utf8")).toBe("v");
    expect(() => new FileStore("file://relative/folder")).toThrow(
      /file:\/\/relative\/folder.*absolute/,
    );
  });
});

describe("openStore", () => {
  it("picks the backend from the scheme", async () => {
    expect(openStore("file:///tmp/x")).toBeInstanceOf(FileStore);
    const s3 = openStore("s3://bucket/prefix", { region: "us-east-1", forcePathStyle: true });
    expect(s3).toBeInstanceOf(S3Store);
    expect((s3 as S3Store).prefix).toBe("prefix/");
    (s3 as S3Store).client.destroy();
  });

  it("refuses an unknown scheme, naming the URI and the allowed forms", () => {
    expect(() => openStore("gs://bucket/x")).toThrow(
      /"gs:\/\/bucket\/x".*file:\/\/\/absolute\/folder.*s3:\/\/bucket/,
    );
    expect(() => openStore("/data/bucket")).toThrow(/"\/data\/bucket"/);
  });
});

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
