/**
 * Judging one image, pure: its analysis (image-checks.ts) in, findings out. An image with
 * any `error` is refused (not trained on); warnings are shown, never refused.
 */
import type { CheckName, QualityConfig } from "./config.ts";
import type { ImageAnalysis } from "./image-checks.ts";
import { type Finding, fmt } from "./score.ts";

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
