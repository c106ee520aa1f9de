/** Judging, scoring and rendering on hand-made measurements: pure functions, no images. */
import { describe, expect, it } from "vitest";
import {
  assessImages,
  CHECK_NAMES,
  defaultQualityConfig,
  describeScoring,
  failureAnalysis,
  finishAssessment,
  type Finding,
  type ImageMeasurements,
  type ImageReport,
  judgeDuplicates,
  judgeImage,
  type QualityReport,
  renderQualityMarkdown,
  scoreBatch,
} from "../../lib/quality/index.ts";
import {
  ChecksumMismatchError,
  InvalidKeyError,
  ObjectNotFoundError,
} from "../../lib/storage/errors.ts";
import type { Manifest } from "../../lib/manifest.ts";

const cfg = defaultQualityConfig();

/** Measurements in the middle of the real photos' ranges. */
const good: ImageMeasurements = {
  ok: true,
  format: "jpeg",
  width: 224,
  height: 224,
  channels: 3,
  hasAlpha: false,
  space: "srgb",
  blurVariance: 320,
  meanLuminance: 150,
  darkClipFraction: 0.01,
  brightClipFraction: 0.001,
  luminanceStd: 50,
  entropyBits: 7,
  coarseDetail: 1200,
  veryCoarseDetail: 4000,
  saturation: 0.3,
  hash: "0123456789abcdef",
  colour: "c8aa28".repeat(16),
  thumb: Buffer.alloc(1024, 128).toString("base64"),
};
const checksOf = (m: Partial<ImageMeasurements>) =>
  judgeImage({ ...good, ...m }, cfg).map((f) => `${f.check}:${f.severity}`);
const err = (check: Finding["check"]): Finding => ({
  check,
  severity: "error",
  message: "x",
  fix: "y",
});

describe("judgeImage", () => {
  it("passes measurements like a real photo's", () => {
    expect(judgeImage(good, cfg)).toEqual([]);
  });

  it("names the one cause with value, threshold and a fix", () => {
    const [blur] = judgeImage({ ...good, blurVariance: 5 }, cfg);
    expect(blur).toMatchObject({
      check: "blur",
      severity: "error",
      value: 5,
      threshold: cfg.minBlurVariance,
    });
    expect(blur!.fix).toContain("retake in focus");
    expect(judgeImage({ ...good, meanLuminance: 12 }, cfg)[0]!.fix).toContain("better light");
    expect(judgeImage({ ...good, brightClipFraction: 0.5 }, cfg)[0]!.message).toContain(
      "50% of the picture is blown out",
    );
  });

  it("judges each check on its own threshold", () => {
    expect(checksOf({ width: 80 })).toEqual(["dimensions:error"]);
    expect(checksOf({ width: 224, height: 900 })).toEqual(["dimensions:error"]);
    expect(checksOf({ darkClipFraction: 0.7 })).toEqual(["exposure:error"]);
    expect(checksOf({ meanLuminance: 245 })).toEqual(["exposure:error"]);
    expect(checksOf({ luminanceStd: 2 })).toEqual(["low_information:error"]);
    expect(checksOf({ entropyBits: 3 })).toEqual(["low_information:error"]);
    expect(checksOf({ coarseDetail: 40 })).toEqual(["low_information:error"]);
    expect(checksOf({ saturation: 0.001 })).toEqual(["grayscale:error"]);
    expect(checksOf({ hasAlpha: true })).toEqual(["decode:warning"]);
    expect(checksOf({ space: "cmyk" })).toEqual(["decode:warning"]);
  });

  it("reports the cause, not its symptoms: a dark image is not also called blurred or blank", () => {
    expect(
      checksOf({
        meanLuminance: 10,
        blurVariance: 3,
        luminanceStd: 4,
        entropyBits: 3,
        saturation: 0.01,
      }),
    ).toEqual(["exposure:error"]);
    expect(checksOf({ coarseDetail: 20, blurVariance: 3 })).toEqual(["low_information:error"]);
    // A hard blur loses 32 px detail gradually (ratio to 16 px >= 0.11); a blown-up thumbnail abruptly.
    expect(checksOf({ coarseDetail: 90, veryCoarseDetail: 600, blurVariance: 4 })).toEqual([
      "blur:error",
    ]);
    expect(checksOf({ coarseDetail: 60, veryCoarseDetail: 700, blurVariance: 4 })).toEqual([
      "low_information:error",
    ]);
  });

  it("maps decode failures to decode, and a pixel bomb to dimensions", () => {
    expect(
      judgeImage({ ok: false, reason: "corrupt", message: "m" }, cfg).map((f) => f.check),
    ).toEqual(["decode"]);
    expect(
      judgeImage(
        { ok: false, reason: "too_large", message: "m", width: 20000, height: 20000 },
        cfg,
      ),
    ).toMatchObject([{ check: "dimensions", value: 4e8 }]);
  });
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

describe("judgeDuplicates", () => {
  const info = new Map([
    ["a", { label: "ripe", split: "train" }],
    ["b", { label: "ripe", split: "train" }],
    ["c", { label: "ripe", split: "val" }],
    ["d", { label: "unripe", split: "train" }],
  ]);
  it("errors on exact copies, on near copies across splits or labels; warns otherwise", () => {
    const out = judgeDuplicates([{ kind: "exact", keys: ["a", "b"] }], info);
    expect(out.get("b")![0]).toMatchObject({ severity: "error", message: "is the same file as a" });
    expect(out.has("a")).toBe(false);
    const match = { similarity: 0.97, hashDistance: 3, mirrored: false };
    const near = judgeDuplicates(
      [
        {
          kind: "near",
          keys: ["a", "b", "c", "d"],
          matches: [match, { ...match, mirrored: true }, match],
        },
      ],
      info,
    );
    expect(near.get("b")![0]).toMatchObject({
      severity: "warning",
      message: "is a near copy (similarity 0.970) of a",
      value: 0.97,
    });
    expect(near.get("c")![0]!.message).toContain("(similarity 0.970, mirrored) of a");
    expect(near.get("c")![0]).toMatchObject({ severity: "error" });
    expect(near.get("c")![0]!.message).toContain('split "val"');
    expect(near.get("d")![0]!.message).toContain('labelled "unripe"');
  });
});

const manifest = (keys: string[]): Manifest => ({
  schema_version: 1,
  dataset_id: "t",
  kind: "training",
  base_uri: "file:///nowhere",
  labels: ["ripe", "unripe"],
  images: keys.map((key, i) => ({
    key,
    label: i === 3 ? "rotten" : "ripe",
    sha256: "0".repeat(64),
    split: "train",
  })),
});

describe("assessImages with a failing loader", () => {
  it("turns storage errors and unknown labels into findings, never throwing", async () => {
    const errors: Record<string, Error> = {
      "gone.jpg": new ObjectNotFoundError("file:///nowhere/gone.jpg"),
      "bad.jpg": new ChecksumMismatchError(
        "file:///nowhere/bad.jpg",
        "0".repeat(64),
        "1".repeat(64),
      ),
      "../evil.jpg": new InvalidKeyError("../evil.jpg", "has a '..' segment"),
      "label.jpg": new ObjectNotFoundError("file:///nowhere/label.jpg"),
      "flaky.jpg": new Error("socket hang up"),
    };
    const report = await assessImages({
      manifest: manifest(Object.keys(errors)),
      load: async (img) => {
        throw errors[img.key];
      },
    });
    const by = Object.fromEntries(
      report.images.map((i) => [
        i.key,
        i.findings
          .map((f) => f.check)
          .sort()
          .join("+"),
      ]),
    );
    expect(by).toEqual({
      "gone.jpg": "missing",
      "bad.jpg": "checksum",
      "../evil.jpg": "missing",
      "label.jpg": "label+missing",
      "flaky.jpg": "missing",
    });
    expect(report.images[4]!.findings[0]!.message).toContain("socket hang up");
    expect(report.quality_score).toBe(0);
    expect(report.per_class).toMatchObject({
      ripe: { images: 4, passed: 0, failed: 4, share: 0.8 },
      rotten: { images: 1, failed: 1, failed_by_check: { label: 1 } },
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("checks the sha256 itself when the loader does not", async () => {
    const report = await assessImages({
      manifest: manifest(["a.jpg"]),
      load: async () => Buffer.from("not the promised bytes"),
    });
    expect(report.images[0]!.findings.map((f) => f.check)).toEqual(["checksum", "decode"]);
  });
});

describe("rendering", () => {
  const images: ImageReport[] = [
    { key: "ok.jpg", label: "ripe", split: "train", sha256: "a", findings: [] },
    {
      key: "soft.jpg",
      label: "ripe",
      split: "train",
      sha256: "b",
      findings: [
        {
          check: "blur",
          severity: "error",
          message: "is blurred: sharpness 5 (minimum 30)",
          fix: "retake in focus, holding the camera still",
        },
      ],
    },
    {
      key: "night|1.jpg",
      label: "unripe",
      split: "val",
      sha256: "c",
      findings: [
        {
          check: "exposure",
          severity: "error",
          message: "is too dark: mean brightness 12/255 (minimum 30)",
          fix: "retake in better light",
        },
      ],
    },
  ];
  const m: Manifest = {
    schema_version: 1,
    dataset_id: "r",
    kind: "training",
    base_uri: "file:///x",
    labels: ["ripe", "unripe"],
    images: images.map((i) => ({
      key: i.key,
      label: i.label,
      sha256: "0".repeat(64),
      split: i.split as "train",
    })),
  };
  const report: QualityReport = finishAssessment(
    m,
    [
      {
        dataset_id: "r",
        manifest_images: 3,
        shard: { index: 0, count: 1, start: 0, end: 3 },
        images,
        hashes: [],
      },
    ],
    { config: cfg },
  );

  it("renders the verdict, tables, the images to fix and the scoring", () => {
    const md = renderQualityMarkdown(report, { threshold: 7 });
    expect(md).toContain(
      `**quality_score ${report.quality_score.toFixed(1)} / 10** (threshold 7.0): **FAIL**`,
    );
    expect(md).toContain("| blur | 1/3 | 0 |");
    expect(md).toContain("| `unripe` | 1 | 33.3% | 0 | 1 | exposure 1 | 1 |");
    expect(md).toContain("| `night\\|1.jpg` | `unripe` | exposure: is too dark");
    expect(md).toContain("VLM not consulted: not configured");
    expect(md).toContain("retake in better light");
    expect(md).not.toContain("`ok.jpg`");
    expect(md).toContain("## How the score is computed");
  });

  it("writes a failure analysis naming files, causes and fixes", () => {
    const text = failureAnalysis(report, 7);
    expect(text).toContain("below the 7.0 threshold: 2 of 3 images refused");
    expect(text).toMatch(/Causes .*: (blur 1, exposure 1|exposure 1, blur 1)/);
    expect(text).toContain("- soft.jpg (ripe): blur: is blurred");
    expect(text).toContain("Fix: retake in better light");
  });
});
