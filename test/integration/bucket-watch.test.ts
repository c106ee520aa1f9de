/**
 * New objects under an incoming prefix become a valid manifest; what cannot be used is
 * skipped and reported, never a reason to stop. Each run's manifest gets a name of its own
 * (propose-data.test.ts proposes two in one day).
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bucketDatasetId,
  listedKeys,
  manifestFromIncoming,
  newIncomingManifest,
} from "../../lib/bucket-watch.ts";
import { stringifyManifest, validateManifest } from "../../lib/manifest.ts";
import {
  FileStore,
  ObjectNotFoundError,
  S3Store,
  createS3Client,
  type ObjectStore,
  type StoredObject,
} from "../../lib/storage/index.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";

const labels = ["verde", "pinton", "maduro", "sobremaduro", "hoja"];
let dir: string;
let s3: RunningS3rver;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-watch-"));
  s3 = await startS3rver({ buckets: ["incoming"] });
});
afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

const photo = (label: "verde" | "maduro", i: number) =>
  encodeJpeg(renderPhoto(label, photoRng(5, label, i), 128));

/**
 * A bucket as S3 can hold it: any key, even ones a folder cannot (backslashes, `..`,
 * control characters), and objects that fail to read.
 */
class MemoryBucket implements ObjectStore {
  readonly baseUri = "s3://incoming/odd";
  readonly objects = new Map<string, Buffer>();
  readonly unreadable = new Set<string>();
  async get(key: string): Promise<Buffer> {
    if (this.unreadable.has(key)) throw new Error("AccessDenied: Access Denied");
    const body = this.objects.get(key);
    if (!body) throw new ObjectNotFoundError(`${this.baseUri}/${key}`);
    return body;
  }
  async put(key: string, body: Buffer | Uint8Array): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }
  async head(key: string) {
    const body = this.objects.get(key);
    return body ? { size: body.length } : undefined;
  }
  async *list(prefix = ""): AsyncIterable<StoredObject> {
    for (const key of [...this.objects.keys()].sort())
      if (key.startsWith(prefix)) yield { key, size: this.objects.get(key)!.length };
  }
  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.put(toKey, await this.get(fromKey));
  }
}

describe("bucket watch", () => {
  it("turns new images in label folders into a manifest, skipping known and unusable objects", async () => {
    const store = new S3Store("s3://incoming/drop", createS3Client(s3.settings));
    for (let i = 0; i < 4; i++) await store.put(`new/verde/v${i}.jpg`, await photo("verde", i));
    for (let i = 0; i < 3; i++) await store.put(`new/maduro/m${i}.jpg`, await photo("maduro", i));
    await store.put("new/podrido/x.jpg", await photo("maduro", 9));
    await store.put("new/loose.jpg", await photo("verde", 9));
    await store.put("new/verde/notes.txt", Buffer.from("hello"));

    // One image is already in a committed manifest: it is not new.
    const manifests = join(dir, "data-manifests");
    await mkdir(manifests, { recursive: true });
    const first = await manifestFromIncoming(store, {
      prefix: "new",
      labels,
      known: new Set(),
      datasetId: "all",
    });
    await writeFile(
      join(manifests, "old.json"),
      stringifyManifest({ ...first.manifest!, images: first.manifest!.images.slice(0, 1) }),
    );
    const known = await listedKeys(
      dir,
      { manifests: "data-manifests", eval_manifest: "data-manifests/eval/evaluation.json" },
      store.baseUri,
    );
    expect(known.size).toBe(1);

    const { manifest, skipped } = await manifestFromIncoming(store, {
      prefix: "new",
      labels,
      known,
      datasetId: "drop-2026-11-27",
    });
    expect(manifest!.images).toHaveLength(6);
    expect(validateManifest(manifest).errors).toEqual([]);
    expect(manifest!.base_uri).toBe("s3://incoming/drop");
    expect(new Set(manifest!.images.map((i) => i.label))).toEqual(new Set(["verde", "maduro"]));
    expect(manifest!.images.some((i) => i.split === "val")).toBe(true);
    expect(skipped.map((s) => s.key).sort()).toEqual([
      "new/loose.jpg",
      "new/podrido/x.jpg",
      "new/verde/notes.txt",
    ]);
    expect(skipped.find((s) => s.key === "new/podrido/x.jpg")?.reason).toMatch(
      /not a class of the model/,
    );
  });

  it("finds nothing when nothing is new", async () => {
    const root = join(dir, "empty-bucket");
    await mkdir(root, { recursive: true });
    const { manifest, skipped } = await manifestFromIncoming(
      new FileStore(pathToFileURL(root).href),
      { prefix: "incoming", labels, known: new Set(), datasetId: "x" },
    );
    expect(manifest).toBeUndefined();
    expect(skipped).toEqual([]);
  });

  it("skips odd names, non-images and unreadable objects, and still proposes the rest", async () => {
    const bucket = new MemoryBucket();
    for (let i = 0; i < 3; i++) await bucket.put(`verde/v${i}.jpg`, await photo("verde", i));
    for (let i = 0; i < 2; i++) await bucket.put(`maduro/m${i}.jpg`, await photo("maduro", i));
    const jpeg = await photo("verde", 7);
    await bucket.put("verde/a\\b.jpg", jpeg);
    await bucket.put("verde//double.jpg", jpeg);
    await bucket.put("verde/../escape.jpg", jpeg);
    await bucket.put("verde/tab\tname.jpg", jpeg);
    await bucket.put("verde/fake.jpg", Buffer.from("<html>not a photo</html>"));
    await bucket.put("verde/locked.jpg", jpeg);
    bucket.unreadable.add("verde/locked.jpg");

    const { manifest, skipped } = await manifestFromIncoming(bucket, {
      prefix: "",
      labels,
      known: new Set(),
      datasetId: "incoming-2026-11-27T101500Z",
    });
    expect(manifest!.images.map((i) => i.key).sort()).toEqual([
      "maduro/m0.jpg",
      "maduro/m1.jpg",
      "verde/v0.jpg",
      "verde/v1.jpg",
      "verde/v2.jpg",
    ]);
    expect(validateManifest(manifest).errors).toEqual([]);
    expect(skipped).toEqual([
      {
        key: "verde/../escape.jpg",
        reason:
          "unusable name: it has an empty, '.' or '..' segment and so would point outside base_uri (rename the object)",
      },
      {
        key: "verde//double.jpg",
        reason:
          "unusable name: it has an empty, '.' or '..' segment and so would point outside base_uri (rename the object)",
      },
      {
        key: "verde/a\\b.jpg",
        reason:
          "unusable name: it contains a backslash; use '/' between folders (rename the object)",
      },
      {
        key: "verde/fake.jpg",
        reason: "named like an image but its content is not a JPEG, PNG or WebP image (24 bytes)",
        notImage: true,
      },
      {
        key: "verde/locked.jpg",
        reason:
          "cannot be read: AccessDenied: Access Denied (check the object and its permissions)",
      },
      {
        key: "verde/tab\tname.jpg",
        reason: "unusable name: it contains control characters (rename the object)",
      },
    ]);
  });

  it("names each run's batch by its UTC time to the second", () => {
    expect(bucketDatasetId(new Date("2026-11-27T10:15:00.250Z"))).toBe(
      "incoming-2026-11-27T101500Z",
    );
    const id = bucketDatasetId(new Date("2026-11-27T23:59:59Z"));
    expect(validateManifest({ ...manifestLike(), dataset_id: id }).errors).toEqual([]);
  });

  it("never picks the name of a manifest that exists", async () => {
    const repo = await mkdtemp(join(dir, "repo-"));
    await mkdir(join(repo, "data-manifests"), { recursive: true });
    const now = new Date("2026-11-27T10:15:00Z");
    expect(newIncomingManifest(repo, "data-manifests", now)).toEqual({
      datasetId: "incoming-2026-11-27T101500Z",
      path: "data-manifests/incoming-2026-11-27T101500Z.json",
    });
    await writeFile(join(repo, "data-manifests/incoming-2026-11-27T101500Z.json"), "{}");
    await writeFile(join(repo, "data-manifests/incoming-2026-11-27T101500Z-2.json"), "{}");
    expect(newIncomingManifest(repo, "data-manifests/", now)).toEqual({
      datasetId: "incoming-2026-11-27T101500Z-3",
      path: "data-manifests/incoming-2026-11-27T101500Z-3.json",
    });
  });
});

const manifestLike = () => ({
  schema_version: 1,
  dataset_id: "x",
  kind: "training",
  base_uri: "s3://incoming/drop",
  labels: ["verde", "maduro"],
  images: [
    { key: "verde/1.jpg", label: "verde", sha256: "a".repeat(64), split: "train" },
    { key: "maduro/2.jpg", label: "maduro", sha256: "b".repeat(64), split: "val" },
  ],
});
