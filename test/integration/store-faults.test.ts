/**
 * Faults of an S3 store are `StoreAccessError`s naming the operation and the object, never
 * data errors, and never a wait without end: a port that accepts and never answers (the
 * request and socket timeouts), one that resets every connection, one that refuses, and
 * credentials the store does not know, each after a bounded number of attempts. Then the
 * limit on object size, and the data gate's shard check aborting on a fault instead of
 * scoring it. Real s3rver and real sockets on 127.0.0.1.
 */
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkShard } from "../../lib/quality/index.ts";
import type { Manifest } from "../../lib/manifest.ts";
import {
  ObjectTooLargeError,
  S3Store,
  StoreAccessError,
  createS3Client,
  type S3Settings,
} from "../../lib/storage/index.ts";
import {
  type RunningS3rver,
  type StoreGate,
  startS3rver,
  startStoreGate,
} from "../helpers/s3rver.ts";

let s3: RunningS3rver;
const gates: StoreGate[] = [];
const clients: S3Client[] = [];

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["faults"] });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(gates.map((g) => g.stop()));
  await s3?.stop();
});

/** A store at `endpoint` with short timeouts and two attempts. */
function storeAt(endpoint: string, over: Partial<S3Settings> = {}, maxObjectBytes?: number) {
  const client = createS3Client({
    ...s3.settings,
    endpoint,
    connectTimeoutMs: 500,
    requestTimeoutMs: 300,
    maxAttempts: 2,
    ...over,
  });
  clients.push(client);
  return new S3Store("s3://faults/batch", client, { maxObjectBytes });
}

async function gate(mode: "forward" | "reset" | "hang"): Promise<StoreGate> {
  const g = await startStoreGate({ port: s3.port }, mode);
  gates.push(g);
  return g;
}

/** A free 127.0.0.1 port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const accessFailure = (operation: string, key: string, detail: RegExp) =>
  new RegExp(
    `^${operation} s3://faults/batch/${key.replace(/\./g, "\\.")} failed: ${detail.source}.*The store could not be used, which says nothing about the data: .*then retry$`,
  );

describe("S3 faults", () => {
  it("times out on a store that accepts and never answers, within the configured bound", async () => {
    const silent = await gate("hang");
    const store = storeAt(silent.endpoint);
    for (const [operation, attempt] of [
      ["GetObject", () => store.get("a.jpg")],
      ["HeadObject", () => store.head("a.jpg")],
      ["PutObject", () => store.put("a.jpg", Buffer.from("x"))],
    ] as const) {
      const started = Date.now();
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreAccessError);
      expect((err as Error).message).toMatch(
        accessFailure(operation, "a.jpg", /.*(timed out|requestTimeout).*\(after 2 attempts\)/),
      );
      // Two attempts of 300 ms plus the SDK's backoff, far from a job's time limit.
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(silent.connections).toBeGreaterThanOrEqual(6);
  }, 20_000);

  it("reports a store that resets every connection, after its attempts", async () => {
    const resetting = await gate("reset");
    const err = await storeAt(resetting.endpoint)
      .get("a.jpg")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreAccessError);
    expect((err as Error).message).toMatch(
      accessFailure("GetObject", "a.jpg", /.*(ECONNRESET|socket hang up).*\(after 2 attempts\)/),
    );
    expect(resetting.connections).toBe(2);
  }, 10_000);

  it("reports a port that refuses connections", async () => {
    const port = await closedPort();
    const err = await storeAt(`http://127.0.0.1:${port}`)
      .head("a.jpg")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreAccessError);
    expect((err as Error).message).toMatch(accessFailure("HeadObject", "a.jpg", /.*ECONNREFUSED/));
  }, 10_000);

  it("reports credentials the store refuses as an access failure, not a missing object", async () => {
    const store = storeAt(s3.endpoint, {
      credentials: { accessKeyId: "NOT-S3RVER", secretAccessKey: "wrong" },
    });
    for (const attempt of [() => store.get("a.jpg"), () => store.head("a.jpg")]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreAccessError);
      expect((err as Error).message).toMatch(
        /^(GetObject|HeadObject) s3:\/\/faults\/batch\/a\.jpg failed/,
      );
    }
  }, 10_000);

  it("passes a healthy store through the gate unchanged", async () => {
    const open = await gate("forward");
    const store = storeAt(open.endpoint);
    await store.put("ok.jpg", Buffer.from("fine"));
    expect((await store.get("ok.jpg")).toString()).toBe("fine");
  }, 10_000);
});

describe("S3 object size limit", () => {
  it("refuses an object over the limit in get and head, and serves one at it", async () => {
    const store = storeAt(s3.endpoint, {}, 10);
    await store.put("ten.jpg", Buffer.alloc(10, 1));
    await store.put("eleven.jpg", Buffer.alloc(11, 1));
    expect((await store.get("ten.jpg")).length).toBe(10);
    const err = await store.get("eleven.jpg").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectTooLargeError);
    expect((err as Error).message).toBe(
      "s3://faults/batch/eleven.jpg is 11 bytes, over the 10-byte limit of objects the store serves",
    );
    await expect(store.head("eleven.jpg")).rejects.toBeInstanceOf(ObjectTooLargeError);
  }, 10_000);
});

describe("the shard check on a store fault", () => {
  const manifest: Manifest = {
    schema_version: 1,
    dataset_id: "faulty",
    kind: "training",
    base_uri: "s3://faults/batch",
    labels: ["verde", "maduro"],
    images: Array.from({ length: 40 }, (_, i) => ({
      key: `img-${i}.jpg`,
      label: i % 2 ? "verde" : "maduro",
      sha256: "a".repeat(64),
      split: "train" as const,
    })),
  };

  it("throws the fault naming the store instead of scoring 40 missing images, and stops loading", async () => {
    const resetting = await gate("reset");
    const store = storeAt(resetting.endpoint);
    let loads = 0;
    const err = await checkShard({
      manifest,
      load: async (img) => {
        loads++;
        return store.get(img.key);
      },
      concurrency: 4,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreAccessError);
    expect((err as Error).message).toMatch(
      /^GetObject s3:\/\/faults\/batch\/img-\d+\.jpg failed: .*retry$/,
    );
    // The images in flight when the fault came, not the other 36.
    expect(loads).toBeLessThanOrEqual(4);
  }, 10_000);

  it("still reports a missing object in a reachable store as a finding", async () => {
    const store = storeAt(s3.endpoint);
    const result = await checkShard({
      manifest: { ...manifest, images: manifest.images.slice(0, 1) },
      load: (img) => store.get(img.key),
    });
    expect(result.images[0]!.findings).toEqual([
      {
        check: "missing",
        severity: "error",
        message: "is not in the store (s3://faults/batch/img-0.jpg)",
        fix: "upload the file under base_uri, or remove it from the manifest",
      },
    ]);
  }, 10_000);
});
