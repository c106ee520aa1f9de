/**
 * Scoring, pure: findings in, a score out.
 *
 * Each image gets findings (image-findings.ts, copy-findings.ts, leakage.ts); an image
 * with any `error` is refused (not trained on) and counts against the batch score.
 * Warnings are shown, never scored, except copies within one split.
 */
import { CHECK_NAMES, type CheckName, type QualityConfig } from "./config.ts";

/** One thing wrong (error) or doubtful (warning) with an image, and what to do about it. */
export interface Finding {
  check: CheckName;
  severity: "error" | "warning";
  /** What is wrong, with the measured value. */
  message: string;
  /** What the contributor should do. */
  fix: string;
  value?: number;
  threshold?: number;
}

/** A check's line in the batch score. */
export interface CheckSummary {
  /** Images with an error from this check. */
  failed: number;
  /** Images with only a warning from this check. */
  warnings: number;
  /** Images with any finding of this check, and their share of the batch. */
  touched: number;
  share: number;
  total: number;
  /** This check's factor of the quality score, on 0-10: 10 x pass_rate^weight (x the warnings' factor where they count). */
  score: number;
  weight: number;
  /** The weight of this check's warnings, where they count (within-split copies). */
  warning_weight?: number;
  threshold?: string;
  description: string;
}

/** The batch score and its breakdown. */
export interface BatchScore {
  /** 0-10, one decimal, rounded down so a gate is never passed by rounding. */
  quality_score: number;
  checks: Record<CheckName, CheckSummary>;
  counts: { images: number; passed: number; failed: number };
}

/** What each check is for, in a contributor's words. */
export const CHECK_DESCRIPTIONS: Record<CheckName, string> = {
  missing: "the image can be fetched from the manifest's base_uri",
  checksum: "the bytes are the ones the manifest's sha256 promises",
  decode: "the file is a complete JPEG, PNG or WebP image",
  dimensions: "the picture is large enough to train on and not absurdly large or elongated",
  blur: "the picture is in focus",
  exposure: "the picture is neither too dark nor blown out",
  low_information: "the picture shows something: not blank, near-uniform or a blown-up thumbnail",
  grayscale: "the picture has colour, which is what ripeness is judged by",
  duplicate:
    "no file twice, no copy of a photo in two splits, with two labels, in the evaluation set or in data production learned from",
  label: "the label is one of the manifest's labels",
};

/** A number as messages and thresholds show it: at most `digits` decimals, no trailing zeros. */
export const fmt = (v: number, digits = 2) => Number(v.toFixed(digits)).toString();

/** The pass condition of each check, as shown in reports. */
export function checkThresholds(cfg: QualityConfig): Record<CheckName, string> {
  return {
    missing: "object exists",
    checksum: "sha256 of the bytes = manifest sha256",
    decode: `${cfg.formats.map((f) => f.toUpperCase()).join("/")}, decodes without warnings`,
    dimensions: `${cfg.minWidth}x${cfg.minHeight} to ${cfg.maxWidth}x${cfg.maxHeight}, aspect <= ${cfg.maxAspectRatio}:1, <= ${fmt(cfg.maxPixels / 1e6, 1)} MP`,
    blur: `Laplacian variance >= ${cfg.minBlurVariance} at ${cfg.analysisSize} px`,
    exposure: `mean luma ${cfg.minMeanLuminance}-${cfg.maxMeanLuminance}, <= ${fmt(cfg.maxDarkClipFraction * 100)}% black, <= ${fmt(cfg.maxBrightClipFraction * 100)}% blown out`,
    low_information: `luma std >= ${cfg.minLuminanceStd}, entropy >= ${cfg.minEntropyBits} bits, coarse detail >= ${cfg.minCoarseDetail}`,
    grayscale: `saturation >= ${cfg.minSaturation}`,
    duplicate: `a copy is pHash <= ${cfg.maxDuplicateDistance} bits, colour <= ${cfg.maxDuplicateColourDistance} and picture similarity >= ${cfg.minCopySimilarity} (mirrored or cropped 1.5% too): refused across splits, labels, the evaluation set or trained data; within a split, weight ${cfg.nearCopyWeight}`,
    label: "in the label set",
  };
}

/**
 * The batch score: quality_score = 10 x prod over checks of (1 - failed_c / images)^w_c,
 * rounded down to one decimal. A check's weight is how many times over its pass rate
 * counts: 30% of the batch failing a weight-2 check alone gives 10 x 0.7^2 = 4.9, a
 * weight-3 check (missing, checksum, decode, label) 3.4, while one bad image in 60 costs
 * 0.3-0.5. Failures of different checks compound, as they should: each shrinks what is
 * left to train on. Copies within one split are warnings that still count, with
 * `nearCopyWeight`: (1 - copies / images)^nearCopyWeight. An empty batch scores 0.
 */
export function scoreBatch(
  perImage: ReadonlyArray<readonly Finding[]>,
  cfg: QualityConfig,
): BatchScore {
  const total = perImage.length;
  const thresholds = checkThresholds(cfg);
  let product = total > 0 ? 1 : 0;
  const checks = {} as Record<CheckName, CheckSummary>;
  for (const check of CHECK_NAMES) {
    const failed = perImage.filter((fs) =>
      fs.some((f) => f.check === check && f.severity === "error"),
    ).length;
    const warnings = perImage.filter(
      (fs) =>
        fs.some((f) => f.check === check) &&
        !fs.some((f) => f.check === check && f.severity === "error"),
    ).length;
    const weight = cfg.weights[check];
    const warningWeight = check === "duplicate" ? cfg.nearCopyWeight : 0;
    const factor =
      total > 0
        ? Math.pow(1 - failed / total, weight) * Math.pow(1 - warnings / total, warningWeight)
        : 0;
    product *= factor;
    checks[check] = {
      failed,
      warnings,
      touched: failed + warnings,
      share: total > 0 ? Number(((failed + warnings) / total).toFixed(4)) : 0,
      total,
      score: roundDown(10 * factor),
      weight,
      ...(warningWeight ? { warning_weight: warningWeight } : {}),
      threshold: thresholds[check],
      description: CHECK_DESCRIPTIONS[check],
    };
  }
  const failed = perImage.filter((fs) => fs.some((f) => f.severity === "error")).length;
  return {
    quality_score: roundDown(10 * product),
    checks,
    counts: { images: total, passed: total - failed, failed },
  };
}

function roundDown(v: number): number {
  return Math.floor(v * 10 + 1e-9) / 10;
}

/** The scoring rule in words, for reports. */
export function describeScoring(cfg: QualityConfig): string {
  const weights = CHECK_NAMES.map((c) => `${c} ${cfg.weights[c]}`).join(", ");
  return [
    "quality_score = 10 x product over checks of (share of images passing the check)^weight, rounded down to one decimal.",
    `Weights: ${weights}.`,
    "An image passes a check unless that check reports an error for it; warnings are listed but not scored,",
    `except copies within one split and label, whose share counts with weight ${cfg.nearCopyWeight}.`,
    "So 30% of images failing one weight-2 check gives 10 x 0.7^2 = 4.9, a weight-3 check 3.4; one bad image in 60 costs 0.3-0.5 points.",
  ].join("\n");
}
