/**
 * Per-slice evaluation, as TFX Evaluator slices a model's metrics: every value of every tag
 * the evaluation manifest gives its images (`images[].tags`: farm, camera, lighting, ...)
 * is a slice. A slice with enough images is judged: both models' accuracy on it, the change
 * with its 95% half-width, the critical class's recall and F1 when it holds enough of that
 * class, and, when the policy sets `slices.max_accuracy_drop`, a verdict. A smaller slice is
 * listed as too few to judge, never dropped. Pure.
 */
import type { Policy } from "../config.ts";
import { allowance, pct, type PolicyVerdict, pts } from "./policy.ts";

/** The critical class within one slice. */
export interface SliceCritical {
  /** Images of the critical class in the slice. */
  n: number;
  candidate_recall: number;
  candidate_f1: number;
  production_recall: number | null;
  production_f1: number | null;
}

/** How a slice came out under the policy. */
export type SliceVerdict = "passed" | "failed" | "report only" | "too few to judge";

/** One slice: the images whose tag `key` is `value`. */
export interface SliceRow {
  key: string;
  value: string;
  n: number;
  /** Judged: at least `min_images` images. */
  judged: boolean;
  candidate: number;
  /** Production's accuracy; null when there is no production model. */
  production: number | null;
  /** candidate − production accuracy. */
  delta: number | null;
  /** 95% half-width of `delta` (normal approximation of the paired change). */
  half_width: number | null;
  critical: SliceCritical | null;
  /** How far the numbers can be trusted, in words. */
  note: string;
  verdict: SliceVerdict;
}

/** Every slice of the evaluation set. */
export interface SliceReport {
  min_images: number;
  /** The policy's allowed accuracy drop on a slice; null: the slices are reported only. */
  max_accuracy_drop: number | null;
  critical_class: string;
  /** Evaluation images without any tag. */
  untagged: number;
  rows: SliceRow[];
  /** Keys with more small values than are listed one by one: how many more, and their images. */
  omitted: { key: string; values: number; images: number }[];
}

/** Small slices listed one by one per key; the rest are counted (an id-like tag has thousands). */
export const MAX_SMALL_SLICES_PER_KEY = 12;
/** Below this many images a judged slice's note warns that its change is noisy. */
const SMALL_N = 100;

/** Recall and F1 of class `k` among `idx`. */
function classScores(truth: number[], pred: number[], idx: number[], k: number) {
  let tp = 0;
  let support = 0;
  let predicted = 0;
  for (const i of idx) {
    if (truth[i] === k) support++;
    if (pred[i] === k) predicted++;
    if (truth[i] === k && pred[i] === k) tp++;
  }
  const recall = support ? tp / support : 0;
  const precision = predicted ? tp / predicted : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { support, recall, f1 };
}

const accuracyOn = (truth: number[], pred: number[], idx: number[]) =>
  idx.filter((i) => pred[i] === truth[i]).length / idx.length;

/** 1.96 standard errors of the mean paired change in correctness (each image −1, 0 or +1). */
function pairedHalfWidth(truth: number[], cand: number[], prod: number[], idx: number[]): number {
  const n = idx.length;
  let sum = 0;
  let sq = 0;
  for (const i of idx) {
    const d = Number(cand[i] === truth[i]) - Number(prod[i] === truth[i]);
    sum += d;
    sq += d * d;
  }
  const mean = sum / n;
  const variance = Math.max(0, sq / n - mean * mean);
  return 1.96 * Math.sqrt(variance / n);
}

/** The slices of the evaluation set: `tags[i]` are image i's tags, predictions are class indices. */
export function computeSlices(input: {
  truth: number[];
  candidate: number[];
  /** Absent for a first model: the slices show the candidate alone. */
  production?: number[];
  tags: ReadonlyArray<Readonly<Record<string, string>> | undefined>;
  labels: string[];
  policy: Policy;
}): SliceReport {
  const { truth, candidate, production, policy } = input;
  const { min_images, max_accuracy_drop } = policy.slices;
  const k = input.labels.indexOf(policy.critical_class);
  const groups = new Map<string, Map<string, number[]>>();
  let untagged = 0;
  input.tags.forEach((tags, i) => {
    const entries = Object.entries(tags ?? {});
    if (!entries.length) untagged++;
    for (const [key, value] of entries) {
      const byValue = groups.get(key) ?? groups.set(key, new Map()).get(key)!;
      const idx = byValue.get(value) ?? byValue.set(value, []).get(value)!;
      idx.push(i);
    }
  });
  const rows: SliceRow[] = [];
  const omitted: SliceReport["omitted"] = [];
  for (const key of [...groups.keys()].sort()) {
    const values = [...groups.get(key)!.entries()].sort(
      ([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : a > b ? 1 : 0),
    );
    const small = values.filter(([, idx]) => idx.length < min_images);
    const shown = new Set(small.slice(0, MAX_SMALL_SLICES_PER_KEY).map(([v]) => v));
    const rest = small.filter(([v]) => !shown.has(v));
    if (rest.length)
      omitted.push({
        key,
        values: rest.length,
        images: rest.reduce((s, [, i]) => s + i.length, 0),
      });
    for (const [value, idx] of values) {
      if (idx.length < min_images && !shown.has(value)) continue;
      rows.push(sliceRow({ key, value, idx, truth, candidate, production, k }, policy));
    }
  }
  return {
    min_images,
    max_accuracy_drop: max_accuracy_drop ?? null,
    critical_class: policy.critical_class,
    untagged,
    rows,
    omitted,
  };
}

/** One slice's numbers and verdict. */
function sliceRow(
  s: {
    key: string;
    value: string;
    idx: number[];
    truth: number[];
    candidate: number[];
    production: number[] | undefined;
    k: number;
  },
  p: Policy,
): SliceRow {
  const { min_images, min_critical_images, max_accuracy_drop } = p.slices;
  const n = s.idx.length;
  const judged = n >= min_images;
  const cand = accuracyOn(s.truth, s.candidate, s.idx);
  const prod = s.production ? accuracyOn(s.truth, s.production, s.idx) : null;
  const delta = prod === null ? null : cand - prod;
  const hw = s.production ? pairedHalfWidth(s.truth, s.candidate, s.production, s.idx) : null;
  const c = s.k >= 0 ? classScores(s.truth, s.candidate, s.idx, s.k) : null;
  const pc = s.production && s.k >= 0 ? classScores(s.truth, s.production, s.idx, s.k) : null;
  const critical =
    judged && c && c.support >= min_critical_images
      ? {
          n: c.support,
          candidate_recall: c.recall,
          candidate_f1: c.f1,
          production_recall: pc?.recall ?? null,
          production_f1: pc?.f1 ?? null,
        }
      : null;
  let verdict: SliceVerdict = "report only";
  if (!judged) verdict = "too few to judge";
  else if (delta !== null && max_accuracy_drop !== undefined)
    verdict = -delta <= max_accuracy_drop + 1e-12 ? "passed" : "failed";
  const note = !judged
    ? `fewer than ${min_images} images: too few to judge`
    : hw === null
      ? `${n} images; no production model to compare with`
      : `±${(hw * 100).toFixed(1)} pts at 95%${n < SMALL_N ? `; small slice (${n} images): a change this size may be noise` : ""}`;
  return {
    key: s.key,
    value: s.value,
    n,
    judged,
    candidate: cand,
    production: prod,
    delta,
    half_width: hw,
    critical,
    note,
    verdict,
  };
}

/** `background=wood`: a slice as checks and reasons name it. */
export const sliceName = (row: Pick<SliceRow, "key" | "value">) => `${row.key}=${row.value}`;

/**
 * The policy's verdict on the slices: none when `slices.max_accuracy_drop` is unset (they
 * are reported only) or there is no production; else one check that fails when a judged
 * slice's accuracy falls by more than the allowed drop, with the policy's severity.
 */
export function sliceVerdicts(report: SliceReport | undefined, policy: Policy): PolicyVerdict[] {
  const limit = policy.slices.max_accuracy_drop;
  if (!report || limit === undefined || report.rows.every((r) => r.production === null)) return [];
  const judged = report.rows.filter((r) => r.judged);
  const failed = judged.filter((r) => r.verdict === "failed");
  const small = report.rows.length - judged.length;
  const tooFew = small
    ? `; ${small} slice(s) with fewer than ${report.min_images} images not judged`
    : "";
  const base = {
    check: "slices.max_accuracy_drop",
    severity: policy.slices.severity,
    quotes_data: true as const,
  };
  if (!judged.length)
    return [
      {
        ...base,
        passed: true,
        skipped: true,
        detail: `skipped: no slice of the evaluation set has ${report.min_images} images or more (tag more images, or lower policy.slices.min_images)${tooFew}`,
      },
    ];
  return [
    {
      ...base,
      passed: failed.length === 0,
      detail: failed.length
        ? `accuracy falls more than the allowed ${allowance(limit)} on ${failed
            .map(
              (r) =>
                `${sliceName(r)} (${pct(r.production!)} -> ${pct(r.candidate)}, ${pts(r.delta!)} on ${r.n} images)`,
            )
            .join(", ")}${tooFew}`
        : `no judged slice's accuracy falls more than ${allowance(limit)} (${judged.length} slice(s))${tooFew}`,
    },
  ];
}
