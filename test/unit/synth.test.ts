import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Manifest, validateManifest } from "../../lib/manifest.ts";
import { DEFECT_KINDS, type DefectKind, synthesizeBadBatch } from "../../synth/bad-batch.ts";
import { parseSynthArgs, UsageError } from "../../cli/synth.ts";
import { MANGO_CLASSES, synthesizeDataset } from "../../synth/dataset.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mango-synth-test-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const fileOf = (m: Manifest, key: string) => join(fileURLToPath(m.base_uri), key);

/** Mean colour of the central half of an image, where the subject is. */
async function centreStats(path: string) {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  let r = 0,
    g = 0,
    b = 0,
    n = 0;
  for (let y = info.height / 4; y < (3 * info.height) / 4; y++) {
    for (let x = info.width / 4; x < (3 * info.width) / 4; x++) {
      const o = (y * info.width + x) * 3;
      r += data[o]!;
      g += data[o + 1]!;
      b += data[o + 2]!;
      n++;
    }
  }
  return { r: r / n, g: g / n, b: b / n, luma: (0.299 * r + 0.587 * g + 0.114 * b) / n };
}

describe("synthesizeDataset", () => {
  let a: Manifest;
  beforeAll(async () => {
    a = await synthesizeDataset({
      outDir: join(root, "a"),
      prefix: "batches/a",
      datasetId: "synth-a",
      kind: "training",
      perClass: 12,
      seed: 7,
    });
  });

  it("writes a manifest that validates, with every class and a stratified val split", () => {
    const { manifest, errors } = validateManifest(JSON.parse(JSON.stringify(a)));
    expect(errors).toEqual([]);
    expect(manifest?.labels).toEqual([...MANGO_CLASSES]);
    expect(a.images).toHaveLength(60);
    for (const label of MANGO_CLASSES) {
      const of = a.images.filter((i) => i.label === label);
      expect(of.filter((i) => i.split === "val")).toHaveLength(2); // round(12 * 0.2)
      expect(of[0]!.key).toBe(`batches/a/${label}/${label}_0000.jpg`);
    }
  });

  it("records the sha256 of the bytes on disk, and the images decode at the requested size", async () => {
    for (const img of a.images) {
      const bytes = await readFile(fileOf(a, img.key));
      expect(sha256(bytes)).toBe(img.sha256);
    }
    const meta = await sharp(fileOf(a, a.images[0]!.key)).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([224, 224, "jpeg"]);
  });

  it("is byte-identical for the same seed and different for another seed", async () => {
    const same = await synthesizeDataset({
      outDir: join(root, "a2"),
      prefix: "batches/a",
      datasetId: "synth-a",
      kind: "training",
      perClass: 12,
      seed: 7,
    });
    expect(same.images.map((i) => [i.key, i.sha256, i.split])).toEqual(
      a.images.map((i) => [i.key, i.sha256, i.split]),
    );
    const other = await synthesizeDataset({
      outDir: join(root, "b"),
      prefix: "batches/a",
      datasetId: "synth-b",
      kind: "training",
      perClass: 12,
      seed: 8,
    });
    const shared = other.images.filter((img, i) => img.sha256 === a.images[i]!.sha256);
    expect(shared).toEqual([]);
  });

  it("colours the classes the way ripeness goes: green, then yellow-red, then dark", async () => {
    const byClass: Record<string, { greenness: number; luma: number }> = {};
    for (const label of MANGO_CLASSES) {
      const stats = await Promise.all(
        a.images.filter((i) => i.label === label).map((i) => centreStats(fileOf(a, i.key))),
      );
      const mean = (f: (s: (typeof stats)[number]) => number) =>
        stats.reduce((s, x) => s + f(x), 0) / stats.length;
      byClass[label] = { greenness: mean((s) => s.g - s.r), luma: mean((s) => s.luma) };
    }
    expect(byClass.verde!.greenness).toBeGreaterThan(byClass.pinton!.greenness);
    expect(byClass.pinton!.greenness).toBeGreaterThan(byClass.maduro!.greenness);
    expect(byClass.verde!.greenness).toBeGreaterThan(byClass.maduro!.greenness + 30);
    expect(byClass.sobremaduro!.luma).toBeLessThan(byClass.maduro!.luma - 10);
    expect(byClass.hoja!.greenness).toBeGreaterThan(byClass.maduro!.greenness);
  });

  it("makes an evaluation set with split eval, other sizes, and only the classes asked for", async () => {
    const ev = await synthesizeDataset({
      outDir: join(root, "ev"),
      prefix: "eval/v1",
      datasetId: "synth-eval",
      kind: "evaluation",
      perClass: { verde: 2, maduro: 3 },
      classes: ["verde", "maduro"],
      seed: 1,
      size: 96,
    });
    expect(validateManifest(ev).errors).toEqual([]);
    expect(new Set(ev.images.map((i) => i.split))).toEqual(new Set(["eval"]));
    expect(ev.images.map((i) => i.label)).toEqual(["verde", "verde", "maduro", "maduro", "maduro"]);
    const meta = await sharp(fileOf(ev, ev.images[0]!.key)).metadata();
    expect([meta.width, meta.height]).toEqual([96, 96]);
  });

  it("refuses a class it cannot draw, naming the allowed ones", async () => {
    await expect(
      synthesizeDataset({
        outDir: join(root, "x"),
        prefix: "p",
        datasetId: "x",
        kind: "training",
        perClass: 1,
        seed: 1,
        classes: ["verde", "podrido"],
      }),
    ).rejects.toThrow(/"podrido".*allowed: verde, pinton, maduro, sobremaduro, hoja/);
  });
});

describe("synthesizeBadBatch", () => {
  let manifest: Manifest;
  let defects: Record<string, DefectKind>;
  const keysOf = (kind: DefectKind) => Object.keys(defects).filter((k) => defects[k] === kind);
  beforeAll(async () => {
    ({ manifest, defects } = await synthesizeBadBatch({
      outDir: join(root, "bad"),
      prefix: "batches/bad",
      datasetId: "synth-bad",
      seed: 3,
    }));
  });

  it("is a valid manifest of mostly broken images, with every defect kind and ~20% ok", () => {
    expect(validateManifest(manifest).errors).toEqual([]);
    expect(Object.keys(defects).sort()).toEqual(manifest.images.map((i) => i.key).sort());
    for (const kind of DEFECT_KINDS) expect(keysOf(kind).length, kind).toBeGreaterThan(0);
    expect(keysOf("ok").length / manifest.images.length).toBeCloseTo(0.2, 1);
  });

  it("breaks each image the way its defect says", async () => {
    const sha = new Map(manifest.images.map((i) => [i.key, i.sha256]));
    const read = (k: string) => readFile(fileOf(manifest, k));
    const greyStats = async (k: string) =>
      (
        await sharp(await read(k))
          .greyscale()
          .stats()
      ).channels[0]!;
    for (const k of keysOf("wrong_checksum")) expect(sha256(await read(k))).not.toBe(sha.get(k));
    for (const k of keysOf("truncated")) {
      const bytes = await read(k);
      expect(sha256(bytes)).toBe(sha.get(k)); // stored as listed: only decoding can tell
      await expect(sharp(bytes).raw().toBuffer()).rejects.toThrow();
    }
    for (const k of keysOf("dark")) expect((await greyStats(k)).mean).toBeLessThan(25);
    for (const k of keysOf("overexposed")) expect((await greyStats(k)).mean).toBeGreaterThan(235);
    for (const k of keysOf("low_information")) expect((await greyStats(k)).stdev).toBeLessThan(3);
    for (const k of [...keysOf("ok"), ...keysOf("blurred")])
      expect(sha256(await read(k))).toBe(sha.get(k));
  });

  it("makes duplicates byte-identical or visually identical to an ok image", async () => {
    const ok = await Promise.all(
      keysOf("ok").map(async (k) => ({ bytes: await readFile(fileOf(manifest, k)) })),
    );
    const small = (b: Buffer) =>
      sharp(b).resize(16, 16, { fit: "fill" }).greyscale().raw().toBuffer();
    const okSmall = await Promise.all(ok.map((o) => small(o.bytes)));
    let identical = 0;
    for (const k of keysOf("duplicate")) {
      const bytes = await readFile(fileOf(manifest, k));
      if (ok.some((o) => o.bytes.equals(bytes))) {
        identical++;
        continue;
      }
      const s = await small(bytes);
      const closest = Math.min(
        ...okSmall.map((o) => o.reduce((sum, v, i) => sum + Math.abs(v - s[i]!), 0) / o.length),
      );
      expect(closest, k).toBeLessThan(6);
    }
    expect(identical).toBeGreaterThan(0);
  });
});

describe("synth CLI arguments", () => {
  it("fills defaults from the seed and the output folder", () => {
    const o = parseSynthArgs(["--out", "/tmp/bucket", "--seed", "5"]);
    expect(o).toMatchObject({
      kind: "training",
      perClass: 20,
      size: 224,
      datasetId: "synth-training-seed5",
      prefix: "batches/synth-training-seed5",
      manifestPath: "/tmp/bucket/manifests/synth-training-seed5.json",
    });
  });

  it("rejects a bad flag naming it, the allowed values and what it got", () => {
    expect(() => parseSynthArgs(["--out", "x", "--kind", "testing"])).toThrow(UsageError);
    expect(() => parseSynthArgs(["--out", "x", "--kind", "testing"])).toThrow(
      '--kind: expected one of training, evaluation, received "testing"',
    );
    expect(() => parseSynthArgs(["--out", "x", "--per-class", "ten"])).toThrow(
      /--per-class: expected an integer from 1 to 100000, received "ten"/,
    );
    expect(() => parseSynthArgs([])).toThrow(/--out: required/);
  });
});
