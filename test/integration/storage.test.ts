/**
 * The data plane's contract: one suite that both backends (a local folder and S3 through a
 * real s3rver) must pass. What is particular to the folder store (escaping the folder,
 * atomic writes) is storage-file.test.ts, the verified cache storage-cache.test.ts.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  FileStore,
  InvalidKeyError,
  ObjectNotFoundError,
  S3Store,
  createS3Client,
  type ObjectStore,
} from "../../lib/storage/index.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";
import { bytes, collect, useTempDirs } from "../helpers/storage-fixtures.ts";

const tempDir = useTempDirs();

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
