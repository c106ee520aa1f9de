/** Scoring on hand-made findings: pure functions, no images. */
import { describe, expect, it } from "vitest";
import {
  CHECK_NAMES,
  defaultQualityConfig,
  describeScoring,
  failureAnalysis,
  finishAssessment,
  type Finding,
  type ImageReport,
  renderQualityMarkdown,
  scoreBatch,
} from "../../lib/quality/index.ts";
import type { Manifest } from "../../lib/manifest.ts";

const cfg = defaultQualityConfig();

const err = (check: Finding["check"]): Finding => ({
  check,
  severity: "error",
  message: "x",
  fix: "y",
});

describe("scoreBatch", () => {
  const clean = (n: number) => Array.from({ length: n }, (): Finding[] => []);

  it("gives a clean batch 10 and an empty one 0", () => {
    expect(scoreBatch(clean(60), cfg).quality_score).toBe(10);
    expect(scoreBatch([], cfg).quality_score).toBe(0);
  });

  it("follows 10 x prod (pass rate)^weight, rounded down", () => {
    const batch = [...clean(70), ...Array.from({ length: 30 }, () => [err("blur")])];
    const s = scoreBatch(batch, cfg);
    expect(s.quality_score).toBe(4.9); // 10 x 0.7^2
    expect(s.checks.blur).toMatchObject({ failed: 30, total: 100, score: 4.9, weight: 2 });
    expect(s.checks.exposure.score).toBe(10);
    expect(
      scoreBatch([...clean(70), ...Array.from({ length: 30 }, () => [err("decode")])], cfg)
        .quality_score,
    ).toBe(3.4); // 0.7^3
  });

  it("lets a single bad image in 60 cost under half a point", () => {
    expect(scoreBatch([...clean(59), [err("decode")]], cfg).quality_score).toBeGreaterThanOrEqual(
      9.5,
    );
    expect(scoreBatch([...clean(59), [err("blur")]], cfg).quality_score).toBeGreaterThanOrEqual(
      9.6,
    );
  });

  it("compounds different checks and ignores warnings", () => {
    const warn: Finding = { ...err("decode"), severity: "warning" };
    const batch = [
      ...clean(16),
      [err("blur")],
      [err("exposure")],
      [err("missing")],
      [err("label")],
      [warn],
    ];
    const s = scoreBatch(batch, cfg);
    // four checks, one image each of 21: (20/21)^(2+2+3+3) = 0.614
    expect(s.quality_score).toBe(6.1);
    expect(s.checks.decode).toMatchObject({ failed: 0, warnings: 1 });
    expect(s.counts).toEqual({ images: 21, passed: 17, failed: 4 });
  });

  it("describes every check and the formula", () => {
    const s = scoreBatch(clean(1), cfg);
    for (const c of CHECK_NAMES) expect(s.checks[c].description.length).toBeGreaterThan(10);
    expect(s.checks.blur.threshold).toContain(`>= ${cfg.minBlurVariance}`);
    expect(describeScoring(cfg)).toContain("10 x product over checks");
  });
});

describe("copies in the score", () => {
  const copy: Finding = {
    check: "duplicate",
    severity: "warning",
    message: "is a near copy (similarity 0.970) of a",
    fix: "remove the copy",
  };
  it("lets a few copies within a split cost little, and says per check how many images it touched", () => {
    const perImage = Array.from({ length: 1000 }, (_, i): Finding[] =>
      i < 10 ? [copy] : i < 12 ? [err("duplicate")] : [],
    );
    const s = scoreBatch(perImage, cfg);
    expect(s.checks.duplicate).toMatchObject({
      failed: 2,
      warnings: 10,
      touched: 12,
      share: 0.012,
      warning_weight: cfg.nearCopyWeight,
    });
    // 0.998^2 x 0.99^1 = 0.986: 10 copies and 2 refused images in 1,000 leave the batch at 9.8.
    expect(s.quality_score).toBe(9.8);
    const images: ImageReport[] = perImage.map((findings, i) => ({
      key: `${i}.jpg`,
      label: "ripe",
      split: "train",
      sha256: "0".repeat(64),
      findings,
    }));
    const m: Manifest = {
      schema_version: 1,
      dataset_id: "c",
      kind: "training",
      base_uri: "file:///x",
      labels: ["ripe", "unripe"],
      images: images.map((i) => ({ key: i.key, label: i.label, sha256: i.sha256, split: "train" })),
    };
    const report = finishAssessment(
      m,
      [
        {
          dataset_id: "c",
          manifest_images: 1000,
          shard: { index: 0, count: 1, start: 0, end: 1000 },
          images,
          hashes: [],
        },
      ],
      { config: cfg },
    );
    const md = renderQualityMarkdown(report, { threshold: 7 });
    expect(md).toContain("| duplicate | 2/1000 | 10 | 12 | 1.20% |");
    expect(failureAnalysis(report, 7)).toContain(
      "Copies within one split: 10 image(s) (1.0% of the batch), counted with weight 1.",
    );
  });
  it("stops a batch that is mostly copies of a few photos", () => {
    const perImage = Array.from({ length: 100 }, (_, i): Finding[] => (i < 40 ? [copy] : []));
    expect(scoreBatch(perImage, cfg).quality_score).toBeLessThan(7);
  });
});
