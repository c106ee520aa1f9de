/**
 * Image tags, the slices of the evaluation set: what a manifest may say (short keys and
 * values, no control characters), each problem located with its fix, and the synthetic
 * evaluation set tagged by what its photos were really drawn with.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateManifest } from "../../lib/manifest.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { photoRng, renderPhoto } from "../../synth/draw.ts";

const manifest = (tags: unknown) => ({
  schema_version: 1,
  dataset_id: "eval-v1",
  kind: "evaluation",
  base_uri: "file:///data/eval",
  labels: ["verde", "maduro"],
  images: [{ key: "verde/a.jpg", label: "verde", sha256: "0".repeat(64), split: "eval", tags }],
});
const problems = (tags: unknown) =>
  validateManifest(manifest(tags), "evaluation.json").errors.map((e) => `${e.path}: ${e.message}`);

describe("image tags in a manifest", () => {
  it("takes short tags of any key, and images without any", () => {
    expect(problems({ farm: "Finca La Esperanza", camera: "Pixel 7", lighting: "sombra" })).toEqual(
      [],
    );
    expect(problems(undefined)).toEqual([]);
  });

  it("refuses keys and values an analysis could not show safely, naming each and the fix", () => {
    expect(problems({ "Farm Name": "a" })).toEqual([
      `$.images[0].tags["Farm Name"]: tag keys are lowercase words: a-z first, then a-z, 0-9 or '_', 32 characters at most`,
    ]);
    expect(problems({ farm: "a\u001b[31mred" })).toEqual([
      "$.images[0].tags.farm: tag values are one line of text without control characters",
    ]);
    expect(problems({ farm: "two\nlines" })).toHaveLength(1);
    expect(problems({ farm: "" })).toEqual(["$.images[0].tags.farm: a tag value cannot be empty"]);
    expect(problems({ farm: " a" })).toEqual([
      "$.images[0].tags.farm: tag values cannot start or end with a space",
    ]);
    expect(problems({ farm: "x".repeat(65) })).toEqual([
      "$.images[0].tags.farm: tag values are 64 characters at most",
    ]);
    expect(problems({ farm: 7 })).toHaveLength(1);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    expect(problems(many)).toEqual(["$.images[0].tags: an image has 16 tags at most"]);
    const fix = validateManifest(manifest({ farm: "" }), "e.json").errors[0]!.fix;
    expect(fix).toMatch(/short tags such as/);
  });
});

describe("the synthetic evaluation set's tags", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("tags each photo with the background and the light it was drawn with", async () => {
    const outDir = await mkdtemp(join(tmpdir(), "mlops-tags-"));
    dirs.push(outDir);
    const opts = { outDir, datasetId: "e", perClass: 3, seed: 11, classes: ["verde", "hoja"] };
    const ev = await synthesizeDataset({ ...opts, prefix: "eval", kind: "evaluation" });
    expect(validateManifest(ev).errors).toEqual([]);
    ev.images.forEach((img) => {
      const [label, file] = img.key.split("/").slice(-2) as [string, string];
      const index = Number(file.slice(label.length + 1, -4));
      const { scene } = renderPhoto(label as "verde", photoRng(11, label, index), 224);
      expect(img.tags).toEqual({ background: scene.background, lighting: scene.lighting });
    });
    expect(new Set(ev.images.map((i) => i.tags!.lighting)).size).toBeGreaterThan(1);
    // Training batches stay as contributors write them unless asked.
    const tr = await synthesizeDataset({ ...opts, prefix: "train", kind: "training" });
    expect(tr.images.every((i) => i.tags === undefined)).toBe(true);
  });
});
