/**
 * Batch-level checks on labels, pure: how balanced the data the candidate will learn from
 * is, and how far this batch's label mix moved from the last trained data. They judge
 * the labels as submitted (refused images are already counted by the per-image checks).
 */
import type { QualityConfig } from "./config.ts";

/** Images per label. */
export type LabelCounts = Record<string, number>;

/** A finding about the whole batch rather than one image. */
export interface BatchFinding {
  check: "label_balance" | "label_shift" | "class_coverage";
  severity: "error" | "warning";
  message: string;
  fix: string;
  value?: number;
  threshold?: number;
}

/** The label checks' measurements, findings and the factor they apply to the score. */
export interface LabelDistributionResult {
  /** This batch's images per label. */
  batch: LabelCounts;
  /** Earlier trained data plus this batch: what the candidate learns from. */
  combined: LabelCounts;
  /** Smallest class share x number of classes on `combined`: 1 balanced, 0 a class empty. */
  balance: number;
  /** Total variation distance of label shares from the last trained data; null without one. */
  shift: number | null;
  /** Name of the data compared against, when there was some. */
  previous: string | null;
  findings: BatchFinding[];
  /** Multiplies the per-image score: `balancePenalty` on a balance error, else 1. */
  factor: number;
}

/** Inputs of `judgeLabelDistribution`. */
export interface LabelDistributionInput {
  /** Labels of this batch's images, as submitted. */
  labels: readonly string[];
  /** The classes the batch declares (its manifest's `labels`). */
  classes: readonly string[];
  /** Label counts of the last trained data (production's manifests), if any. */
  previous?: { name: string; counts: LabelCounts };
  /** The model's classes: a class no training image carries is reported. */
  modelClasses?: readonly string[];
  cfg: Pick<QualityConfig, "minClassBalance" | "balancePenalty" | "maxLabelShift">;
}

/** Counts of each label. */
export function countLabels(labels: Iterable<string>): LabelCounts {
  const out: LabelCounts = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** Total variation distance between two label distributions: half the L1 distance of their shares. */
export function labelShift(a: LabelCounts, b: LabelCounts): number {
  const ta = Object.values(a).reduce((s, v) => s + v, 0);
  const tb = Object.values(b).reduce((s, v) => s + v, 0);
  if (ta === 0 || tb === 0) return ta === tb ? 0 : 1;
  let sum = 0;
  for (const l of new Set([...Object.keys(a), ...Object.keys(b)]))
    sum += Math.abs((a[l] ?? 0) / ta - (b[l] ?? 0) / tb);
  return sum / 2;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;
const r3 = (v: number) => Number(v.toFixed(3));

/** Label balance of the combined data and label shift against the last trained data. */
export function judgeLabelDistribution(input: LabelDistributionInput): LabelDistributionResult {
  const { cfg, classes } = input;
  const batch = countLabels(input.labels.filter((l) => classes.includes(l)));
  const combined: LabelCounts = {};
  for (const c of classes) combined[c] = (batch[c] ?? 0) + (input.previous?.counts[c] ?? 0);
  const total = Object.values(combined).reduce((s, v) => s + v, 0);
  const findings: BatchFinding[] = [];
  let balance = 1;
  let factor = 1;
  if (total > 0 && classes.length > 1) {
    const smallest = classes.reduce(
      (m, c) => ((combined[c] ?? 0) < (combined[m] ?? 0) ? c : m),
      classes[0]!,
    );
    balance = r3(((combined[smallest] ?? 0) / total) * classes.length);
    if (balance < cfg.minClassBalance) {
      factor = cfg.balancePenalty;
      const scope = input.previous ? `${input.previous.name} plus this batch` : "this batch";
      findings.push({
        check: "label_balance",
        severity: "error",
        message: `the training data (${scope}) is imbalanced: "${smallest}" has ${combined[smallest] ?? 0} of ${total} images, ${pct((combined[smallest] ?? 0) / total)} against a fair share of ${pct(1 / classes.length)} (balance ${balance}, minimum ${cfg.minClassBalance})`,
        fix: `add photos of "${smallest}" (or fewer of the largest classes) before training`,
        value: balance,
        threshold: cfg.minClassBalance,
      });
    }
  }
  let shift: number | null = null;
  if (input.previous) {
    shift = r3(labelShift(batch, input.previous.counts));
    if (shift > cfg.maxLabelShift) {
      const moved = Object.keys(combined)
        .map((c) => ({
          c,
          d:
            (batch[c] ?? 0) / Math.max(1, input.labels.length) -
            (input.previous!.counts[c] ?? 0) /
              Math.max(
                1,
                Object.values(input.previous!.counts).reduce((s, v) => s + v, 0),
              ),
        }))
        .sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
        .slice(0, 2)
        .map(({ c, d }) => `"${c}" ${d >= 0 ? "+" : ""}${Math.round(d * 100)} points`);
      findings.push({
        check: "label_shift",
        severity: "warning",
        message: `the label mix moved from ${input.previous.name} by ${shift} (total variation; limit ${cfg.maxLabelShift}): ${moved.join(", ")}`,
        fix: "check the labels were assigned the same way as before; a batch from one harvest stage is fine if intended",
        value: shift,
        threshold: cfg.maxLabelShift,
      });
    }
  }
  const empty = (input.modelClasses ?? []).filter(
    (c) => !(combined[c] ?? 0) && !(input.previous?.counts[c] ?? 0),
  );
  if (empty.length) {
    findings.push({
      check: "class_coverage",
      severity: "warning",
      message: `no training image carries the model's class${empty.length > 1 ? "es" : ""} ${empty.map((c) => `"${c}"`).join(", ")}: the candidate cannot learn ${empty.length > 1 ? "them" : "it"}`,
      fix: "add labelled photos of every class the model predicts",
    });
  }
  return {
    batch,
    combined,
    balance,
    shift,
    previous: input.previous?.name ?? null,
    findings,
    factor,
  };
}
