/**
 * What a manifest cannot make the folder store do: open a folder outside the allowed
 * roots, read a device, wait on a FIFO, serve a folder or a socket as an object, or read a
 * file over the size limit; and a local operation that never answers is a fault after the
 * deadline. Real files, a real FIFO (mkfifo) and a real unix socket.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  FileStore,
  NotRegularFileError,
  ObjectTooLargeError,
  StoreAccessError,
  defaultFileRoots,
  openStore,
} from "../../lib/storage/index.ts";
import { withDeadline } from "../../lib/storage/local-files.ts";
import { useTempDirs } from "../helpers/storage-fixtures.ts";

const tempDir = useTempDirs();
const hasMkfifo = ["/usr/bin/mkfifo", "/bin/mkfifo"].some((p) => existsSync(p));

describe("FileStore roots", () => {
  it("refuses a base URI outside the allowed roots, naming them and how to allow another", () => {
    const err = (() => {
      try {
        return new FileStore("file:///dev");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `cannot open "file:///dev" as a local folder store: /dev is outside the folders local stores may read (${defaultFileRoots().join(", ")}) (fix: keep the data under one of them, or add its folder to storage.file_roots in mlops.config.json in its own reviewed change)`,
    );
    expect(() => openStore("file:///etc")).toThrow(/"file:\/\/\/etc".*storage\.file_roots/);
  });

  it("opens a folder under a configured root, or the root itself, and nothing beside it", async () => {
    const root = await tempDir("roots-allowed");
    const beside = await tempDir("roots-beside");
    const roots = [root];
    expect(new FileStore(pathToFileURL(root).href, { roots }).root).toBe(root);
    expect(new FileStore(pathToFileURL(join(root, "bucket/a")).href, { roots })).toBeTruthy();
    expect(() => new FileStore(pathToFileURL(beside).href, { roots })).toThrow(
      `${beside} is outside the folders local stores may read (${root})`,
    );
    expect(() => openStore(pathToFileURL(beside).href, undefined, { fileRoots: roots })).toThrow(
      /outside the folders local stores may read/,
    );
  });

  it("follows symlinks: a folder inside a root that links outside it is refused", async () => {
    const root = await tempDir("roots-link");
    const outside = await tempDir("roots-link-target");
    await symlink(outside, join(root, "bucket"));
    expect(
      () => new FileStore(pathToFileURL(join(root, "bucket")).href, { roots: [root] }),
    ).toThrow(`${outside} is outside the folders local stores may read (${root})`);
  });
});

describe("FileStore serves regular files only", () => {
  it("refuses a device even under an allowed root, without reading from it", async () => {
    const store = new FileStore("file:///dev", { roots: ["/dev"] });
    const err = await store.get("zero").catch((e) => e);
    expect(err).toBeInstanceOf(NotRegularFileError);
    expect((err as Error).message).toBe("not a regular file: file:///dev/zero is a device");
    await expect(store.head("zero")).rejects.toBeInstanceOf(NotRegularFileError);
  }, 5_000);

  it.runIf(hasMkfifo)(
    "refuses a FIFO instead of waiting on it, for get, head and copy",
    async () => {
      const root = await tempDir("fifo");
      await promisify(execFile)("mkfifo", [join(root, "pipe.jpg")]);
      const store = new FileStore(pathToFileURL(root).href);
      const err = await store.get("pipe.jpg").catch((e) => e);
      expect(err).toBeInstanceOf(NotRegularFileError);
      expect((err as Error).message).toBe(
        `not a regular file: ${store.baseUri}/pipe.jpg is a FIFO (named pipe)`,
      );
      await expect(store.head("pipe.jpg")).rejects.toBeInstanceOf(NotRegularFileError);
      await expect(store.copy("pipe.jpg", "copy.jpg")).rejects.toBeInstanceOf(NotRegularFileError);
    },
    5_000,
  );

  it("refuses a folder and a unix socket as objects", async () => {
    const root = await tempDir("special");
    await mkdir(join(root, "images", "ripe"), { recursive: true });
    const store = new FileStore(pathToFileURL(root).href);
    await expect(store.get("images/ripe")).rejects.toThrow(
      `not a regular file: ${store.baseUri}/images/ripe is a folder`,
    );
    await expect(store.head("images/ripe")).rejects.toBeInstanceOf(NotRegularFileError);

    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, "sock.jpg"), resolve));
    try {
      await expect(store.get("sock.jpg")).rejects.toThrow(
        `not a regular file: ${store.baseUri}/sock.jpg is a socket`,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 5_000);

  it("refuses an object over the size limit in get, head and copy, and serves one at it", async () => {
    const root = await tempDir("limit");
    await writeFile(join(root, "at.jpg"), Buffer.alloc(1000, 1));
    await writeFile(join(root, "over.jpg"), Buffer.alloc(1001, 1));
    const store = new FileStore(pathToFileURL(root).href, { maxObjectBytes: 1000 });
    expect((await store.get("at.jpg")).length).toBe(1000);
    expect(await store.head("at.jpg")).toEqual({ size: 1000 });
    const err = await store.get("over.jpg").catch((e) => e);
    expect(err).toBeInstanceOf(ObjectTooLargeError);
    expect((err as Error).message).toBe(
      `${store.baseUri}/over.jpg is 1001 bytes, over the 1000-byte limit of objects the store serves`,
    );
    await expect(store.head("over.jpg")).rejects.toBeInstanceOf(ObjectTooLargeError);
    await expect(store.copy("over.jpg", "c.jpg")).rejects.toBeInstanceOf(ObjectTooLargeError);
    const viaOpen = openStore(pathToFileURL(root).href, undefined, { maxObjectBytes: 1000 });
    await expect(viaOpen.get("over.jpg")).rejects.toBeInstanceOf(ObjectTooLargeError);
  });

  it("reads a file under the limit byte for byte", async () => {
    const root = await tempDir("exact");
    const all = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await writeFile(join(root, "photo.jpg"), all);
    expect((await new FileStore(pathToFileURL(root).href).get("photo.jpg")).equals(all)).toBe(true);
  });
});

describe("local deadlines", () => {
  it("turns work that never settles into a StoreAccessError naming the operation and URI", async () => {
    const started = Date.now();
    const err = await withDeadline("read", "file:///data/x.jpg", 50, () => new Promise(() => {}))
      .then(() => undefined)
      .catch((e) => e);
    expect(err).toBeInstanceOf(StoreAccessError);
    expect((err as Error).message).toMatch(
      /^read file:\/\/\/data\/x\.jpg failed: timed out: no answer within 50 ms\. The store could not be used, which says nothing about the data: .*retry$/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 5_000);
});
