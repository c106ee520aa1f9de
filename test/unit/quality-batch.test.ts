/**
 * The batch-level parts of the data gate, pure: label balance and shift, copies of
 * earlier trained data, the combined score with the VLM, and shards that merge into the
 * report a single job gives.
 */
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../lib/manifest.ts";
import {
  applyVlmReview,
  checkShard,
  combineScores,
  defaultQualityConfig,
  finishAssessment,
  judgeLabelDistribution,
  judgeTrainedMatches,
  labelShift,
  parseShardSpec,
  shardRange,
} from "../../lib/quality/index.ts";
import type { VlmReview } from "../../lib/vlm/index.ts";
import { ObjectNotFoundError } from "../../lib/storage/index.ts";

const cfg = defaultQualityConfig();
const consulted = (reported: number, ok: number, sampled = 10): VlmReview => ({
  consulted: true,
  model: "m",
  reported_score: reported,
  sampled,
  ok_images: ok,
  issues: [],
  images: [],
  attempts: [],
});

describe("label balance and shift", () => {
  it("passes a balanced batch and fails one whose smallest class has under a quarter of its share", () => {
    const balanced = judgeLabelDistribution({
      labels: ["a", "a", "b", "b", "c", "c"],
      classes: ["a", "b", "c"],
      cfg,
    });
    expect(balanced).toMatchObject({ balance: 1, factor: 1, findings: [], shift: null });
    const skewed = judgeLabelDistribution({
      labels: [...Array(40).fill("a"), ...Array(40).fill("b"), "c"],
      classes: ["a", "b", "c"],
      cfg,
    });
    expect(skewed.factor).toBe(cfg.balancePenalty);
    expect(skewed.findings[0]).toMatchObject({ check: "label_balance", severity: "error" });
    expect(skewed.findings[0]!.message).toContain('"c" has 1 of 81 images');
  });

  it("judges balance on earlier trained data plus the batch, and reports the shift from it", () => {
    const previous = { name: "farm-a.json", counts: { a: 30, b: 30, c: 30 } };
    const r = judgeLabelDistribution({
      labels: Array(20).fill("c"),
      classes: ["a", "b", "c"],
      previous,
      cfg,
    });
    expect(r.combined).toEqual({ a: 30, b: 30, c: 50 });
    expect(r.factor).toBe(1); // a one-class harvest is fine on top of balanced data
    expect(r.shift).toBeCloseTo(2 / 3, 3);
    expect(r.findings.map((f) => `${f.check}:${f.severity}`)).toEqual(["label_shift:warning"]);
  });

  it("reports a model class no training image carries", () => {
    const r = judgeLabelDistribution({
      labels: ["a", "b"],
      classes: ["a", "b"],
      modelClasses: ["a", "b", "hoja"],
      cfg,
    });
    expect(r.findings.map((f) => f.check)).toEqual(["class_coverage"]);
    expect(labelShift({ a: 1 }, { a: 5 })).toBe(0);
    expect(labelShift({ a: 1 }, { b: 5 })).toBe(1);
  });
});

describe("copies of earlier trained data", () => {
  const batch = new Map([
    ["n/1.jpg", { label: "maduro", split: "train" }],
    ["n/2.jpg", { label: "verde", split: "val" }],
    ["n/3.jpg", { label: "verde", split: "train" }],
  ]);
  const set = {
    name: "farm-a.json",
    images: [
      {
        key: "a/1.jpg",
        sha256: "x",
        hash: "0".repeat(16),
        colour: "0".repeat(96),
        thumb: "",
        label: "verde",
        split: "train",
      },
      {
        key: "a/2.jpg",
        sha256: "y",
        hash: "0".repeat(16),
        colour: "0".repeat(96),
        thumb: "",
        label: "verde",
        split: "train",
      },
    ],
  };
  it("refuses every copy, saying why: a contradicting label, a crossed split, or a plain repeat", () => {
    const near = { similarity: 0.98, hashDistance: 3, mirrored: false };
    const out = judgeTrainedMatches(
      [
        { key: "n/1.jpg", earlierKey: "a/1.jpg", kind: "exact" },
        { key: "n/2.jpg", earlierKey: "a/2.jpg", kind: "near", ...near },
        { key: "n/3.jpg", earlierKey: "a/2.jpg", kind: "near", ...near },
      ],
      set,
      batch,
    );
    expect(out.get("n/1.jpg")![0]).toMatchObject({ severity: "error" });
    expect(out.get("n/1.jpg")![0]!.message).toContain('labelled "verde" there and "maduro" here');
    expect(out.get("n/2.jpg")![0]!.message).toContain('split "train" there and "val" here');
    expect(out.get("n/3.jpg")![0]).toMatchObject({ severity: "error", value: 0.98 });
    expect(out.get("n/3.jpg")![0]!.message).toBe(
      "is a near copy (similarity 0.980) of a/2.jpg in farm-a.json: the model already learns from that photo",
    );
  });
});

describe("combineScores", () => {
  it("is the deterministic score when the VLM was not consulted", () => {
    const b = combineScores({
      imagesScore: 8.4,
      batchFactor: 1,
      weight: 0.5,
      vlm: { consulted: false, reason: "timed out", attempts: [] },
    });
    expect(b).toMatchObject({
      deterministic: 8.4,
      quality_score: 8.4,
      vlm: { consulted: false, reason: "timed out", used: null },
    });
  });

  it("lets the VLM lower by its weight of the gap, and never raise", () => {
    expect(
      combineScores({ imagesScore: 10, batchFactor: 1, weight: 0.5, vlm: consulted(4, 4) })
        .quality_score,
    ).toBe(7);
    expect(
      combineScores({ imagesScore: 6.5, batchFactor: 1, weight: 0.5, vlm: consulted(10, 10) })
        .quality_score,
    ).toBe(6.5);
    expect(
      combineScores({ imagesScore: 10, batchFactor: 0.8, weight: 0.5, vlm: consulted(10, 10) })
        .quality_score,
    ).toBe(8);
  });

  it("caps the VLM's number by its own per-image findings, and clamps nonsense", () => {
    const b = combineScores({
      imagesScore: 10,
      batchFactor: 1,
      weight: 0.5,
      vlm: consulted(10, 5),
    });
    expect(b.vlm).toMatchObject({ reported: 10, evidence: 5, used: 5 });
    expect(b.quality_score).toBe(7.5);
    expect(
      combineScores({ imagesScore: 10, batchFactor: 1, weight: 1, vlm: consulted(Number.NaN, 10) })
        .quality_score,
    ).toBe(0);
  });
});

describe("shards", () => {
  it("splits into contiguous ranges covering every image once, and parses K/N", () => {
    const ranges = [0, 1, 2].map((i) => shardRange(10, i, 3));
    expect(ranges).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 6 },
      { start: 6, end: 10 },
    ]);
    expect(parseShardSpec("2/3")).toEqual({ index: 1, count: 3 });
    expect(() => parseShardSpec("4/3")).toThrow(/K\/N/);
  });

  it("merges into the same report a single job gives, and refuses a missing shard", async () => {
    const bytes = new Map<string, Buffer>();
    const manifest: Manifest = {
      schema_version: 1,
      dataset_id: "s",
      kind: "training",
      base_uri: "file:///x",
      labels: ["a", "b"],
      images: Array.from({ length: 7 }, (_, i) => ({
        key: `k${i}.jpg`,
        label: i % 2 ? "a" : "b",
        sha256: "0".repeat(64),
        split: "train" as const,
      })),
    };
    // Text and empty files: cheap, and each a finding; key k3 is missing.
    manifest.images.forEach((img, i) => {
      if (i !== 3) bytes.set(img.key, Buffer.from(i % 3 ? `text ${i}` : ""));
    });
    const load = async (img: { key: string }) => {
      const b = bytes.get(img.key);
      // A missing object is a data finding; any other failure would be a store fault.
      if (!b) throw new ObjectNotFoundError(`file:///x/${img.key}`);
      return b;
    };
    const whole = finishAssessment(manifest, [await checkShard({ manifest, load })]);
    const shards = await Promise.all(
      [2, 0, 1].map((index) => checkShard({ manifest, load, shard: { index, count: 3 } })),
    );
    expect(finishAssessment(manifest, shards)).toEqual(whole);
    expect(() => finishAssessment(manifest, shards.slice(1))).toThrow(/do not cover|cover/);
    expect(() => finishAssessment({ ...manifest, dataset_id: "other" }, shards)).toThrow(
      /not of other/,
    );
  });
});

describe("applyVlmReview", () => {
  it("attaches per-image findings and recomputes only the combination", async () => {
    const manifest: Manifest = {
      schema_version: 1,
      dataset_id: "v",
      kind: "training",
      base_uri: "file:///x",
      labels: ["a", "b"],
      images: [{ key: "x.jpg", label: "a", sha256: "0".repeat(64), split: "train" }],
    };
    const report = finishAssessment(manifest, [
      await checkShard({ manifest, load: async () => Buffer.alloc(0) }),
    ]);
    const review: VlmReview = {
      ...consulted(3, 0, 1),
      images: [
        {
          key: "x.jpg",
          label: "a",
          clear_mango_photo: false,
          label_plausible: true,
          problems: ["blurry"],
          comment: "c",
        },
      ],
    } as VlmReview;
    const out = applyVlmReview(report, review, 0.5);
    expect(out.images[0]!.review).toEqual({
      clear_mango_photo: false,
      label_plausible: true,
      problems: ["blurry"],
      comment: "c",
    });
    expect(out.checks).toEqual(report.checks);
    expect(out.quality_score).toBeLessThanOrEqual(report.quality_score);
    expect(out.scoring).toContain("The VLM can only lower the score");
  });
});
