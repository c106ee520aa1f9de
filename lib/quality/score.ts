/**
 * Judging and scoring, all pure: measurements in, findings and a score out.
 *
 * Each image gets findings; an image with any `error` is refused (not trained on) and
 * counts against the batch score. Warnings are shown, never scored.
 */
import { CHECK_NAMES, type CheckName, type QualityConfig } from "./config.ts";
import type { ImageAnalysis } from "./image-checks.ts";
import type { DuplicateGroup, EarlierMatch } from "./copy-index.ts";
import { describeMatch } from "./leakage.ts";

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

const fmt = (v: number, digits = 2) => Number(v.toFixed(digits)).toString();

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

const RETAKE = "retake or re-export the photo";

/**
 * Findings for one image from its analysis. Checks run from cause to symptom: a picture
 * that is badly exposed is not also judged for blur or information (both are unreliable
 * in the dark), and a blank picture is not also called blurred, so each refused image
 * names the one thing to fix.
 */
export function judgeImage(analysis: ImageAnalysis, cfg: QualityConfig): Finding[] {
  if (!analysis.ok) {
    if (analysis.reason === "too_large") {
      return [
        {
          check: "dimensions",
          severity: "error",
          message: analysis.message,
          fix: "downscale the photo (the trainer uses 224 px) and re-upload it",
          value: (analysis.width ?? 0) * (analysis.height ?? 0),
          threshold: cfg.maxPixels,
        },
      ];
    }
    const fix =
      analysis.reason === "corrupt"
        ? "re-upload the original file: this copy is truncated or damaged"
        : "upload the photo itself as a JPEG, PNG or WebP file";
    return [{ check: "decode", severity: "error", message: analysis.message, fix }];
  }
  const m = analysis;
  const out: Finding[] = [];
  const error = (
    check: CheckName,
    message: string,
    fix: string,
    value: number,
    threshold: number,
  ) =>
    out.push({
      check,
      severity: "error",
      message,
      fix,
      value: Number(value.toFixed(4)),
      threshold,
    });

  if (m.hasAlpha)
    out.push({
      check: "decode",
      severity: "warning",
      message: "has an alpha channel; transparent areas were checked as white",
      fix: "export the photo as a JPEG without transparency",
    });
  if (m.space === "cmyk")
    out.push({
      check: "decode",
      severity: "warning",
      message: "is stored in CMYK; it was checked after conversion to sRGB",
      fix: "export the photo as an sRGB JPEG so every tool sees the same colours",
    });

  const aspect = Math.max(m.width, m.height) / Math.max(1, Math.min(m.width, m.height));
  if (m.width < cfg.minWidth || m.height < cfg.minHeight) {
    error(
      "dimensions",
      `is ${m.width}x${m.height}, smaller than ${cfg.minWidth}x${cfg.minHeight}`,
      "upload the original, full-size photo",
      Math.min(m.width, m.height),
      Math.min(cfg.minWidth, cfg.minHeight),
    );
  } else if (m.width > cfg.maxWidth || m.height > cfg.maxHeight) {
    error(
      "dimensions",
      `is ${m.width}x${m.height}, larger than ${cfg.maxWidth}x${cfg.maxHeight}`,
      "downscale the photo and re-upload it",
      Math.max(m.width, m.height),
      Math.max(cfg.maxWidth, cfg.maxHeight),
    );
  } else if (aspect > cfg.maxAspectRatio) {
    error(
      "dimensions",
      `is ${m.width}x${m.height}, an aspect ratio of ${fmt(aspect)}:1 (limit ${cfg.maxAspectRatio}:1)`,
      "crop the photo around the mango",
      aspect,
      cfg.maxAspectRatio,
    );
  }

  if (m.meanLuminance < cfg.minMeanLuminance) {
    error(
      "exposure",
      `is too dark: mean brightness ${fmt(m.meanLuminance, 1)}/255 (minimum ${cfg.minMeanLuminance})`,
      "retake in better light",
      m.meanLuminance,
      cfg.minMeanLuminance,
    );
  } else if (m.darkClipFraction > cfg.maxDarkClipFraction) {
    error(
      "exposure",
      `is too dark: ${fmt(m.darkClipFraction * 100, 1)}% of the picture is black (maximum ${fmt(cfg.maxDarkClipFraction * 100)}%)`,
      "retake in better light",
      m.darkClipFraction,
      cfg.maxDarkClipFraction,
    );
  } else if (m.meanLuminance > cfg.maxMeanLuminance) {
    error(
      "exposure",
      `is overexposed: mean brightness ${fmt(m.meanLuminance, 1)}/255 (maximum ${cfg.maxMeanLuminance})`,
      "retake out of direct light, or lower the exposure",
      m.meanLuminance,
      cfg.maxMeanLuminance,
    );
  } else if (m.brightClipFraction > cfg.maxBrightClipFraction) {
    error(
      "exposure",
      `is overexposed: ${fmt(m.brightClipFraction * 100, 1)}% of the picture is blown out to white (maximum ${fmt(cfg.maxBrightClipFraction * 100)}%)`,
      "retake out of direct light, or lower the exposure",
      m.brightClipFraction,
      cfg.maxBrightClipFraction,
    );
  }
  if (out.some((f) => f.check === "exposure")) return out;

  const blank =
    "replace it with a real photo of the mango (a blank frame, lens cap or tiny thumbnail teaches nothing)";
  if (m.luminanceStd < cfg.minLuminanceStd) {
    error(
      "low_information",
      `is nearly uniform: brightness std dev ${fmt(m.luminanceStd, 1)} (minimum ${cfg.minLuminanceStd})`,
      blank,
      m.luminanceStd,
      cfg.minLuminanceStd,
    );
  } else if (m.entropyBits < cfg.minEntropyBits) {
    error(
      "low_information",
      `has almost no distinct tones: entropy ${fmt(m.entropyBits)} bits (minimum ${cfg.minEntropyBits})`,
      blank,
      m.entropyBits,
      cfg.minEntropyBits,
    );
  } else if (
    m.coarseDetail < cfg.minCoarseDetail &&
    !(
      m.blurVariance < cfg.minBlurVariance &&
      m.coarseDetail >= cfg.minBlurredCoarseRatio * m.veryCoarseDetail
    )
  ) {
    error(
      "low_information",
      `shows no shapes even at 32 px: coarse detail ${fmt(m.coarseDetail, 1)} (minimum ${cfg.minCoarseDetail}); likely an upscaled thumbnail`,
      blank,
      m.coarseDetail,
      cfg.minCoarseDetail,
    );
  }
  if (out.some((f) => f.check === "low_information")) return out;

  if (m.blurVariance < cfg.minBlurVariance) {
    error(
      "blur",
      `is blurred: sharpness ${fmt(m.blurVariance, 1)} (minimum ${cfg.minBlurVariance})`,
      "retake in focus, holding the camera still",
      m.blurVariance,
      cfg.minBlurVariance,
    );
  }
  if (m.saturation < cfg.minSaturation) {
    error(
      "grayscale",
      `has no colour: saturation ${fmt(m.saturation, 3)} (minimum ${cfg.minSaturation})`,
      `upload the colour original; ${RETAKE} without a black-and-white filter`,
      m.saturation,
      cfg.minSaturation,
    );
  }
  return out;
}

/**
 * Duplicate findings by key. Every member of a group after its first is flagged. An
 * identical file is refused (an upload mistake; its first copy stays). A near copy is
 * refused when it crosses splits (validation would score a photo the model trains on) or
 * carries another label (the labels contradict each other); within one split and label it
 * only over-weights one photo: a warning, which counts with `nearCopyWeight`.
 */
export function judgeDuplicates(
  groups: DuplicateGroup[],
  images: ReadonlyMap<string, { label: string; split: string }>,
): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  const add = (key: string, f: Finding) => out.set(key, [...(out.get(key) ?? []), f]);
  for (const group of groups) {
    const [first, ...rest] = group.keys;
    const kept = images.get(first!);
    rest.forEach((key, i) => {
      const me = images.get(key);
      const clash =
        kept && me && kept.label !== me.label
          ? ` but is labelled "${me.label}" there "${kept.label}"`
          : "";
      const crosses =
        kept && me && kept.split !== me.split
          ? ` and sits in split "${me.split}" while it is in "${kept.split}"`
          : "";
      if (group.kind === "exact") {
        add(key, {
          check: "duplicate",
          severity: "error",
          message: `is the same file as ${first}${clash}${crosses}`,
          fix: "remove the duplicate from the manifest",
          value: 1,
          threshold: 1,
        });
        return;
      }
      const match = group.matches?.[i];
      const what = describeMatch({ key, earlierKey: first!, kind: "near", ...match });
      add(key, {
        check: "duplicate",
        severity: clash || crosses ? "error" : "warning",
        message: `is ${what} ${first}${clash}${crosses}`,
        fix: clash
          ? "keep one copy with the right label"
          : crosses
            ? "move both copies into one split, or remove this one"
            : "remove the copy (it only repeats a photo)",
        ...(match ? { value: Number(match.similarity.toFixed(4)) } : {}),
      });
    });
  }
  return out;
}

/** Findings for batch images that are also in an earlier set (train/eval leakage). */
export function judgeEarlierMatches(
  matches: EarlierMatch[],
  setName = "the evaluation set",
): Map<string, Finding[]> {
  return new Map(
    matches.map((m) => [
      m.key,
      [
        {
          check: "duplicate" as const,
          severity: "error" as const,
          message: `is ${describeMatch(m)} ${m.earlierKey} in ${setName}: scores on it would be inflated`,
          fix: "remove it from this manifest",
          value: m.similarity === undefined ? 1 : Number(m.similarity.toFixed(4)),
        },
      ],
    ]),
  );
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
