/** New objects under an incoming prefix become a valid manifest; what cannot is reported. */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listedKeys, manifestFromIncoming } from "../../lib/bucket-watch.ts";
import { stringifyManifest, validateManifest } from "../../lib/manifest.ts";
import { FileStore, S3Store, createS3Client } from "../../lib/storage/index.ts";
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
});
