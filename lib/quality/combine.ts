/**
 * The one quality_score of validate_data: the deterministic checks, then the VLM's
 * review, combined by a fixed rule in our code. Pure.
 *
 *   deterministic = floor1(images_score x batch_factor)
 *   vlm           = min(reported quality_score, 10 x share of sampled images the VLM calls
 *                   a clear mango photo with a plausible label)
 *   quality_score = floor1(deterministic - w x max(0, deterministic - vlm))
 *
 * The VLM can only pull the score down, by at most w of the gap: whatever a label, a key
 * or an image makes it say, it cannot lift a batch over the gate the deterministic checks
 * failed. Its reported number is capped by its own per-image evidence, so an answer of
 * "10" that flags half the sample counts as 5. Without a review, quality_score is the
 * deterministic score.
 */
import type { VlmReview } from "../vlm/types.ts";

/** How quality_score was reached, number by number. */
export interface ScoreBreakdown {
  /** 10 x product of per-image checks' pass rates^weight (score.ts). */
  images_score: number;
  /** Product of the batch checks' penalties (batch-checks.ts); 1 when none failed. */
  batch_factor: number;
  deterministic: number;
  vlm: {
    consulted: boolean;
    /** Why it was not consulted; null when it was. */
    reason: string | null;
    reported: number | null;
    /** 10 x ok / sampled, from its per-image findings. */
    evidence: number | null;
    /** min(reported, evidence): what entered the combination. */
    used: number | null;
    weight: number;
  };
  quality_score: number;
}

/** One decimal, rounded down, so a gate is never passed by rounding. */
export function floor1(v: number): number {
  return Math.floor(v * 10 + 1e-9) / 10;
}

const clamp10 = (v: number) => Math.min(10, Math.max(0, Number.isFinite(v) ? v : 0));

/** Combines the deterministic score and a VLM review into quality_score (see the module comment). */
export function combineScores(input: {
  imagesScore: number;
  batchFactor: number;
  vlm?: VlmReview;
  weight: number;
}): ScoreBreakdown {
  const deterministic = floor1(clamp10(input.imagesScore * input.batchFactor));
  const weight = Math.min(1, Math.max(0, input.weight));
  const review = input.vlm;
  if (!review || !review.consulted) {
    return {
      images_score: input.imagesScore,
      batch_factor: input.batchFactor,
      deterministic,
      vlm: {
        consulted: false,
        reason: review?.reason ?? "not configured",
        reported: null,
        evidence: null,
        used: null,
        weight,
      },
      quality_score: deterministic,
    };
  }
  const reported = clamp10(review.reported_score);
  const evidence = review.sampled > 0 ? floor1((10 * review.ok_images) / review.sampled) : 0;
  const used = Math.min(reported, evidence);
  return {
    images_score: input.imagesScore,
    batch_factor: input.batchFactor,
    deterministic,
    vlm: { consulted: true, reason: null, reported, evidence, used, weight },
    quality_score: floor1(deterministic - weight * Math.max(0, deterministic - used)),
  };
}

/** The combination rule in words, for reports. */
export function describeCombination(weight: number): string {
  return [
    "deterministic = images_score x batch_factor (batch_factor: the label-balance penalty when the training data is imbalanced, else 1).",
    `With a VLM review: vlm = min(the VLM's quality_score, 10 x share of sampled images it calls a clear mango photo with a plausible label); quality_score = deterministic - ${weight} x max(0, deterministic - vlm).`,
    "The VLM can only lower the score, never raise it; without a review quality_score = deterministic. All rounded down to one decimal.",
  ].join("\n");
}
