/**
 * Label mistakes in a synthetic batch (`relabel`): the photos are those of the same seed
 * without mistakes, only filed and labelled as another class, so a batch can pass every
 * data check and still teach the wrong thing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../lib/manifest.ts";
import { planPhotos, synthesizeDataset, type SynthesizeOptions } from "../../synth/dataset.ts";

let root: string;
beforeAll(async () => (root = await mkdtemp(join(tmpdir(), "synth-relabel-"))));
afterAll(async () => rm(root, { recursive: true, force: true }));

const draw = (name: string, extra: Partial<SynthesizeOptions> = {}) =>
  synthesizeDataset({
    outDir: join(root, name),
    prefix: "batches/x",
    datasetId: name,
    kind: "training",
    perClass: { verde: 4, maduro: 8, sobremaduro: 8 },
    classes: ["verde", "maduro", "sobremaduro"],
    seed: 11,
    size: 48,
    ...extra,
  });

const hashes = (m: Manifest, label: string) =>
  new Set(m.images.filter((i) => i.label === label).map((i) => i.sha256));
const count = (m: Manifest, label: string) => m.images.filter((i) => i.label === label).length;

describe("relabel", () => {
  let clean: Manifest;
  beforeAll(async () => (clean = await draw("clean")));

  it("swaps two classes: the same photos under each other's labels and folders", async () => {
    const swapped = await draw("swapped", {
      relabel: [
        { from: "maduro", to: "sobremaduro", fraction: 1 },
        { from: "sobremaduro", to: "maduro", fraction: 1 },
      ],
    });
    expect(hashes(swapped, "maduro")).toEqual(hashes(clean, "sobremaduro"));
    expect(hashes(swapped, "sobremaduro")).toEqual(hashes(clean, "maduro"));
    expect(hashes(swapped, "verde")).toEqual(hashes(clean, "verde"));
    // Nothing in the manifest tells a mistake from a right label.
    for (const i of swapped.images) expect(i.key.split("/")[2]).toBe(i.label);
    expect(new Set(swapped.images.map((i) => i.key)).size).toBe(swapped.images.length);
  });

  it("moves a share of one class, rounded to whole photos, and keeps the rest", async () => {
    const some = await draw("some", {
      relabel: [{ from: "maduro", to: "verde", fraction: 0.25 }],
    });
    expect([count(some, "verde"), count(some, "maduro"), count(some, "sobremaduro")]).toEqual([
      6, 6, 8,
    ]);
    const moved = [...hashes(some, "verde")].filter((h) => hashes(clean, "maduro").has(h));
    expect(moved).toHaveLength(2);
    expect([...hashes(some, "maduro")].every((h) => hashes(clean, "maduro").has(h))).toBe(true);
  });

  it("plans the same photos for the same seed, and other ones for another seed", () => {
    const plan = (seed: number) =>
      planPhotos(
        ["verde", "maduro"],
        new Map([
          ["verde", 10],
          ["maduro", 10],
        ]),
        [{ from: "maduro", to: "verde", fraction: 0.3 }],
        seed,
      ).get("verde")!;
    expect(plan(1)).toEqual(plan(1));
    expect(plan(1).filter((p) => p.drawn === "maduro")).toHaveLength(3);
    expect(plan(1)).not.toEqual(plan(2));
  });

  it("refuses a mistake it cannot make, naming the field and what is allowed", async () => {
    await expect(
      draw("bad-class", { relabel: [{ from: "maduro", to: "hoja", fraction: 0.5 }] }),
    ).rejects.toThrow(
      'relabel: "maduro" -> "hoja" needs two different classes of [verde, maduro, sobremaduro]',
    );
    await expect(
      draw("bad-fraction", { relabel: [{ from: "maduro", to: "verde", fraction: 1.5 }] }),
    ).rejects.toThrow(
      'relabel: the fraction of "maduro" -> "verde" must be in [0, 1], received 1.5',
    );
    await expect(
      draw("too-many", {
        relabel: [
          { from: "maduro", to: "verde", fraction: 0.6 },
          { from: "maduro", to: "sobremaduro", fraction: 0.6 },
        ],
      }),
    ).rejects.toThrow(/120% of the photos of "maduro" are relabelled; .* add up to 1 at most/);
  });
});
