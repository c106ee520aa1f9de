/**
 * What is particular to the S3 backend, against a real S3 server (s3rver) on 127.0.0.1:
 * paging, prefixes in the base URI, error reports, and the verified cache over S3. The
 * behaviour both backends share is in storage.test.ts's contract suite.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HashCache,
  ObjectNotFoundError,
  S3Store,
  StoreAccessError,
  createS3Client,
  fetchVerified,
  openStore,
  sha256,
  type StoredObject,
} from "../../lib/storage/index.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";

let s3: RunningS3rver;
let client: S3Client;
/** Commands the client sent, by name: proves paging and cache hits from the wire side. */
const sent: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["mangoes", "other"] });
  client = createS3Client(s3.settings);
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "countCommands" },
  );
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

async function collect(iterable: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of iterable) out.push(o);
  return out;
}

function countSince(mark: number, command: string): number {
  return sent.slice(mark).filter((c) => c === command).length;
}

describe("S3Store", () => {
  it("pages through ListObjectsV2 with continuation tokens", async () => {
    const store = new S3Store("s3://mangoes/paging", client, { pageSize: 3 });
    const keys = Array.from({ length: 10 }, (_, i) => `images/${String(i).padStart(2, "0")}.jpg`);
    for (const key of keys) await store.put(key, Buffer.from(key));
    const mark = sent.length;
    const listed = await collect(store.list("images/"));
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.every((o) => o.size === "images/00.jpg".length)).toBe(true);
    expect(countSince(mark, "ListObjectsV2Command")).toBe(4);
  });

  it("confines a store to the prefix in its base URI", async () => {
    const teamA = new S3Store("s3://mangoes/isolation/team-a/", client);
    const teamB = new S3Store("s3://mangoes/isolation/team-b", client);
    // "team" must not see "team-a": the prefix ends at a '/'.
    const team = new S3Store("s3://mangoes/isolation/team", client);
    const bucket = new S3Store("s3://mangoes", client);
    await teamA.put("x.jpg", Buffer.from("a"));
    await teamB.put("x.jpg", Buffer.from("bb"));

    expect((await teamA.get("x.jpg")).toString()).toBe("a");
    expect((await teamB.get("x.jpg")).toString()).toBe("bb");
    expect(await collect(teamA.list())).toEqual([{ key: "x.jpg", size: 1 }]);
    expect(await collect(team.list())).toEqual([]);
    await expect(team.get("x.jpg")).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect((await collect(bucket.list("isolation/"))).map((o) => o.key)).toEqual([
      "isolation/team-a/x.jpg",
      "isolation/team-b/x.jpg",
    ]);
  });

  it("names the full object URI when an object is missing", async () => {
    const store = new S3Store("s3://mangoes/errors", client);
    const err = await store.get("images/none.jpg").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectNotFoundError);
    expect((err as Error).message).toContain("s3://mangoes/errors/images/none.jpg");
    expect((err as Error).cause).toBeDefined();
  });

  it("reports a missing bucket as an access failure naming the bucket, with the cause", async () => {
    const store = new S3Store("s3://no-such-bucket/p", client);
    const attempts = [
      () => store.get("k.jpg"),
      () => store.put("k.jpg", Buffer.from("x")),
      () => collect(store.list()),
    ];
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreAccessError);
      expect((err as Error).message).toMatch(/s3:\/\/no-such-bucket\/p/);
      expect(((err as Error).cause as Error).name).toBe("NoSuchBucket");
    }
  });

  it("copies server-side, keys with spaces included", async () => {
    const store = new S3Store("s3://mangoes/copy", client);
    await store.put("models/v2/mango model.tflite", Buffer.from("weights"));
    const mark = sent.length;
    await store.copy("models/v2/mango model.tflite", "production/mango model.tflite");
    expect(sent.slice(mark)).toEqual(["CopyObjectCommand"]);
    expect((await store.get("production/mango model.tflite")).toString()).toBe("weights");
  });

  it("builds its own client from settings, as openStore does", async () => {
    const store = openStore("s3://other/from-settings", s3.settings) as S3Store;
    try {
      await store.put("hello.txt", Buffer.from("hi"), "text/plain");
      expect(await store.head("hello.txt")).toEqual({ size: 2 });
      expect(
        (await new S3Store("s3://other", client).get("from-settings/hello.txt")).toString(),
      ).toBe("hi");
    } finally {
      store.client.destroy();
    }
  });

  it("refuses base URIs that are not s3://bucket[/prefix]", () => {
    expect(() => new S3Store("s3://Bad_Bucket/x", client)).toThrow(/s3:\/\/Bad_Bucket\/x/);
    expect(() => new S3Store("s3://mangoes/a/../b", client)).toThrow(
      /"s3:\/\/mangoes\/a\/\.\.\/b".*outside/,
    );
  });
});

describe("fetchVerified over S3", () => {
  it("serves a cached object after a HeadObject, and refuses it once the key is gone", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "s3-cache-"));
    try {
      const store = new S3Store("s3://mangoes/verified", client);
      const cache = new HashCache(cacheDir);
      const image = Buffer.from("an unripe mango");
      const sha = sha256(image);
      await store.put("images/green.jpg", image);

      const mark = sent.length;
      const first = await fetchVerified(store, "images/green.jpg", sha, cache);
      expect(first.cached).toBe(false);
      expect(first.bytes).toEqual(image);
      const second = await fetchVerified(store, "images/green.jpg", sha, cache);
      expect(second).toEqual({ path: first.path, bytes: image, cached: true });
      // One GetObject for the download; the hit only asked whether the key is still there.
      expect(countSince(mark, "GetObjectCommand")).toBe(1);
      expect(countSince(mark, "HeadObjectCommand")).toBe(1);

      await client.send(
        new DeleteObjectCommand({ Bucket: "mangoes", Key: "verified/images/green.jpg" }),
      );
      const err = await fetchVerified(store, "images/green.jpg", sha, cache).catch((e) => e);
      expect(err).toBeInstanceOf(ObjectNotFoundError);
      expect((err as Error).message).toBe(
        "object not found: s3://mangoes/verified/images/green.jpg",
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it("reports a missing bucket behind a cached object as an access failure, not a missing key", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "s3-cache-nobucket-"));
    try {
      const cache = new HashCache(cacheDir);
      const image = Buffer.from("a mango cached before the bucket went away");
      await cache.put(sha256(image), image);
      const store = new S3Store("s3://no-such-bucket/p", client);
      const err = await fetchVerified(store, "k.jpg", sha256(image), cache).catch((e) => e);
      expect(err).toBeInstanceOf(StoreAccessError);
      expect((err as Error).message).toMatch(
        /^HeadObject s3:\/\/no-such-bucket\/p\/k\.jpg failed: the bucket "no-such-bucket" does not exist\. .*retry$/,
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
