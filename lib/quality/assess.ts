/**
 * The data gate over a manifest, in two steps so a big manifest can be split over jobs:
 * `checkShard` (shard-check.ts) loads and measures the images of one shard (or all of
 * them); `finishAssessment` takes every shard's result and judges what needs the whole
 * batch (duplicates, leakage into earlier sets, label balance and shift) and scores it.
 * `assessImages` runs both on one manifest, and `applyVlmReview` folds a VLM review in.
 */
import type { Manifest } from "../manifest.ts";
import type { VlmImageReview, VlmReview } from "../vlm/types.ts";
import {
  type LabelCounts,
  type LabelDistributionResult,
  judgeLabelDistribution,
} from "./batch-checks.ts";
import { combineScores, describeCombination, type ScoreBreakdown } from "./combine.ts";
import { type CheckName, type QualityConfig, QualityConfigSchema } from "./config.ts";
import { judgeDuplicates, judgeEarlierMatches } from "./copy-findings.ts";
import type { CopyRule, CopySearchStats, HashedImage } from "./copy-index.ts";
import { searchCopies } from "./copy-search.ts";
import { judgeTrainedMatches } from "./leakage.ts";
import { describeScoring, type BatchScore, scoreBatch } from "./score.ts";
import {
  checkShard,
  type CheckShardOptions,
  type ImageReport,
  type ShardResult,
} from "./shard-check.ts";

export { loadFailureFinding } from "./leakage.ts";

/** Per-class statistics of a report. */
export interface ClassStatistics {
  images: number;
  passed: number;
  failed: number;
  /** Share of the batch's images. */
  share: number;
  /** Images of this class refused by each check (checks with none left out). */
  failed_by_check: Partial<Record<CheckName, number>>;
}

/** The data gate's verdict on a manifest: JSON-serializable, no pixel data. */
export interface QualityReport extends BatchScore {
  images: ImageReport[];
  per_class: Record<string, ClassStatistics>;
  /** Label balance and shift (batch-level checks). */
  labels: LabelDistributionResult;
  /** How quality_score was reached, number by number. */
  breakdown: ScoreBreakdown;
  /** The VLM review, when one was attempted. */
  vlm?: VlmReview;
  /** How quality_score was computed, in words. */
  scoring: string;
  /** What the copy search compared: candidate pairs, pairs compared as pictures, earlier sets. */
  copy_search?: CopySearchStats & { compared_with: Array<{ name: string; images: number }> };
}

/** The copy rule of a quality configuration. */
export function copyRule(cfg: QualityConfig): CopyRule {
  return {
    maxHashDistance: cfg.maxDuplicateDistance,
    maxStructureDistance: cfg.maxStructureDistance,
    maxColourDistance: cfg.maxDuplicateColourDistance,
    minSimilarity: cfg.minCopySimilarity,
  };
}

/** An earlier set the batch must not repeat: the evaluation set (leakage) or trained data. */
export interface EarlierSet {
  name: string;
  /** `evaluation` (default): any copy is an error. `trained`: see leakage.ts. */
  kind?: "evaluation" | "trained";
  images: HashedImage[];
}

/** Batch-level inputs of `finishAssessment`. */
export interface FinishOptions {
  config?: QualityConfig;
  /** Sets a copy of which is leakage or repetition (evaluation set, earlier trained manifests). */
  earlier?: EarlierSet | EarlierSet[];
  /** Label counts of the last trained data, for balance and shift. */
  previousLabels?: { name: string; counts: LabelCounts };
  /** The model's classes, so a class with no training image is reported. */
  modelClasses?: readonly string[];
}

/** Inputs of `assessImages`: one shard's and the merge's together. */
export type AssessOptions = Omit<CheckShardOptions, "shard"> & FinishOptions;

function classStatistics(images: ImageReport[]): Record<string, ClassStatistics> {
  const out: Record<string, ClassStatistics> = {};
  for (const img of images) {
    const c = (out[img.label] ??= {
      images: 0,
      passed: 0,
      failed: 0,
      share: 0,
      failed_by_check: {},
    });
    c.images++;
    const errors = new Set(img.findings.filter((f) => f.severity === "error").map((f) => f.check));
    if (errors.size) c.failed++;
    else c.passed++;
    for (const check of errors) c.failed_by_check[check] = (c.failed_by_check[check] ?? 0) + 1;
  }
  for (const c of Object.values(out))
    c.share = Number((c.images / Math.max(1, images.length)).toFixed(4));
  return out;
}

/**
 * Merges the shards of one manifest (all of them, any order) and judges the batch:
 * duplicates within it, copies of earlier sets, label balance and shift, and the score.
 * Throws when shards are missing, repeated or from another manifest: a partial merge
 * would score a batch nobody checked.
 */
export function finishAssessment(
  manifest: Manifest,
  shards: readonly ShardResult[],
  opts: FinishOptions = {},
): QualityReport {
  const cfg = opts.config ?? QualityConfigSchema.parse({});
  const ordered = [...shards].sort((a, b) => a.shard.start - b.shard.start);
  let at = 0;
  for (const s of ordered) {
    if (s.dataset_id !== manifest.dataset_id || s.manifest_images !== manifest.images.length) {
      throw new Error(
        `shard ${s.shard.index + 1}/${s.shard.count} is of ${s.dataset_id} (${s.manifest_images} images), not of ${manifest.dataset_id} (${manifest.images.length} images) (fix: merge the shards of one manifest)`,
      );
    }
    if (s.shard.start !== at)
      throw new Error(
        `shards do not cover images ${at}-${s.shard.start - 1} of ${manifest.dataset_id}, or overlap there (fix: merge every shard exactly once)`,
      );
    at = s.shard.end;
  }
  if (at !== manifest.images.length)
    throw new Error(
      `shards cover ${at} of ${manifest.images.length} images of ${manifest.dataset_id} (fix: merge every shard)`,
    );
  const images = ordered.flatMap((s) =>
    s.images.map((img) => ({ ...img, findings: [...img.findings] })),
  );
  images.forEach((img, i) => {
    if (img.key !== manifest.images[i]!.key)
      throw new Error(
        `shard results list ${img.key} where the manifest has ${manifest.images[i]!.key} (fix: check the shards against the same manifest)`,
      );
  });

  // In manifest order, so "the first copy is kept" is the first one listed.
  const batch = ordered.flatMap((s) => s.hashes);
  const byKey = new Map(images.map((img) => [img.key, img]));
  const earlierSets =
    opts.earlier === undefined ? [] : Array.isArray(opts.earlier) ? opts.earlier : [opts.earlier];
  const search = searchCopies(
    batch,
    earlierSets.map((s) => s.images),
    copyRule(cfg),
  );
  const stats = search.stats;
  const extra = judgeDuplicates(search.duplicates, byKey);
  earlierSets.forEach((set, i) => {
    const matches = search.earlier[i]!;
    const judged =
      (set.kind ?? "evaluation") === "evaluation"
        ? judgeEarlierMatches(matches, set.name)
        : judgeTrainedMatches(matches, set, byKey);
    for (const [key, fs] of judged) extra.set(key, [...(extra.get(key) ?? []), ...fs]);
  });
  for (const [key, fs] of extra) byKey.get(key)?.findings.push(...fs);

  const labels = judgeLabelDistribution({
    labels: images.map((i) => i.label),
    classes: manifest.labels,
    cfg,
    ...(opts.previousLabels ? { previous: opts.previousLabels } : {}),
    ...(opts.modelClasses ? { modelClasses: opts.modelClasses } : {}),
  });
  const score = scoreBatch(
    images.map((img) => img.findings),
    cfg,
  );
  const breakdown = combineScores({
    imagesScore: score.quality_score,
    batchFactor: labels.factor,
    weight: 0,
  });
  return {
    ...score,
    quality_score: breakdown.quality_score,
    images,
    per_class: classStatistics(images),
    labels,
    breakdown,
    copy_search: {
      ...stats,
      compared_with: earlierSets.map((s) => ({ name: s.name, images: s.images.length })),
    },
    scoring: `${describeScoring(cfg)}\n${describeCombination(0)}`,
  };
}

/** Checks every image of a manifest and scores the batch: one shard, then the merge. */
export async function assessImages(opts: AssessOptions): Promise<QualityReport> {
  return finishAssessment(opts.manifest, [await checkShard(opts)], opts);
}

/**
 * The report with a VLM review folded in: per image findings of the sampled images and
 * the combined quality_score (combine.ts). Pure; the deterministic numbers stay as they were.
 */
export function applyVlmReview(
  report: QualityReport,
  review: VlmReview,
  weight: number,
): QualityReport {
  const breakdown = combineScores({
    imagesScore: report.breakdown.images_score,
    batchFactor: report.breakdown.batch_factor,
    vlm: review,
    weight,
  });
  const byKey = review.consulted
    ? new Map(review.images.map((r) => [r.key, r]))
    : new Map<string, VlmImageReview>();
  const images = report.images.map((img) => {
    const r = byKey.get(img.key);
    if (!r) return img;
    const { key: _k, label: _l, ...rest } = r;
    return { ...img, review: rest };
  });
  const [deterministic] = report.scoring.split("\ndeterministic = ");
  return {
    ...report,
    images,
    vlm: review,
    breakdown,
    quality_score: breakdown.quality_score,
    scoring: `${deterministic}\n${describeCombination(weight)}`,
  };
}
