/**
 * The folder store beyond the contract (storage.test.ts): S3's byte order of listings,
 * symlinks that would leave the folder, atomic writes, URIs that need escaping; and
 * openStore picking the backend from the URI's scheme.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FileStore, InvalidKeyError, S3Store, openStore } from "../../lib/storage/index.ts";
import { bytes, collect, useTempDirs } from "../helpers/storage-fixtures.ts";

const tempDir = useTempDirs();

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
