/**
 * Paired statistics of two classifiers on the same images: McNemar's exact test for the
 * accuracy change and seeded percentile-bootstrap intervals for the changes of accuracy,
 * macro-F1 and one class's F1. Pure and deterministic: the same predictions and seed give
 * the same numbers on every machine, so a decision can be re-derived from the run folder.
 *
 * Pairing matters: both models see the very same images, so most of the noise (which
 * images happen to be hard) cancels. Resampling images, not each model separately, keeps
 * that correlation in the intervals.
 */
import { mulberry32 } from "../random.ts";

/** McNemar's exact test on the images exactly one of the two models gets right. */
export interface McNemarResult {
  /** Images production classifies correctly and the candidate does not. */
  production_only: number;
  /** Images the candidate classifies correctly and production does not. */
  candidate_only: number;
  /** Two-sided exact p-value (binomial, p = 0.5, on the discordant images). */
  p_value: number;
}

/** A change of one metric from production to candidate, with its bootstrap interval. */
export interface ChangeInterval {
  /** `accuracy`, `macro_f1` or `f1.<class>`: the keys metric deltas use. */
  metric: string;
  production: number;
  candidate: number;
  /** candidate − production on the whole evaluation set. */
  delta: number;
  /** Percentile-bootstrap interval of `delta`. */
  low: number;
  high: number;
}

/** Everything the statistics say about one comparison. */
export interface PairedStatistics {
  /** Images compared (both models, same images, same order). */
  n: number;
  resamples: number;
  confidence: number;
  seed: number;
  mcnemar: McNemarResult;
  intervals: ChangeInterval[];
}

/**
 * Two-sided exact McNemar p-value: 2·P(X ≤ min(b, c)) for X ~ Binomial(b + c, ½), capped
 * at 1. Summed in log space because 0.5^n underflows for the thousands of discordant
 * images a large evaluation set can have.
 */
export function mcnemarExact(productionOnly: number, candidateOnly: number): McNemarResult {
  const b = productionOnly;
  const c = candidateOnly;
  const n = b + c;
  const k = Math.min(b, c);
  if (n === 0) return { production_only: b, candidate_only: c, p_value: 1 };
  const logTerms: number[] = [];
  let logChoose = 0; // log C(n, 0)
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    logTerms.push(logChoose - n * Math.LN2);
  }
  const max = Math.max(...logTerms);
  const tail = Math.exp(max) * logTerms.reduce((s, t) => s + Math.exp(t - max), 0);
  return { production_only: b, candidate_only: c, p_value: Math.min(1, 2 * tail) };
}

/** The seeded PRNG the bootstrap resamples with (mulberry32, shared with training). */
export const seededRandom = mulberry32;

/** The q-quantile of sorted values, linearly interpolated (R's type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error("quantileSorted: no values");
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/**
 * Accuracy, macro-F1 (over classes present, as worker/metrics.ts does) and one class's F1
 * from a k×k confusion count array (row = true class). Allocation-free: it runs once per
 * resample.
 */
function scores(counts: Int32Array, k: number, focus: number): [number, number, number] {
  let total = 0;
  let correct = 0;
  let f1Sum = 0;
  let present = 0;
  let focusF1 = 0;
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += counts[c * k + j] as number;
      predicted += counts[j * k + c] as number;
    }
    const tp = counts[c * k + c] as number;
    total += support;
    correct += tp;
    // F1 = 2tp / (support + predicted): the same value as from precision and recall, 0 when undefined.
    const f1 = support + predicted > 0 ? (2 * tp) / (support + predicted) : 0;
    if (support > 0) {
      f1Sum += f1;
      present += 1;
    }
    if (c === focus) focusF1 = f1;
  }
  return [total ? correct / total : 0, present ? f1Sum / present : 0, focusF1];
}

/**
 * Paired statistics of production and candidate predictions on the same images.
 * `truth`, `production` and `candidate` are class indices into `labels`, image by image in
 * the same order. Intervals are for accuracy, macro-F1 and F1 of `focusClass`.
 */
export function pairedStatistics(input: {
  truth: ArrayLike<number>;
  production: ArrayLike<number>;
  candidate: ArrayLike<number>;
  labels: string[];
  focusClass: string;
  resamples: number;
  confidence: number;
  seed: number;
}): PairedStatistics {
  const { truth, production, candidate, labels } = input;
  const n = truth.length;
  if (production.length !== n || candidate.length !== n) {
    throw new Error(
      `pairedStatistics: ${n} true labels, ${production.length} production and ${candidate.length} candidate predictions; they must pair up image by image`,
    );
  }
  if (n === 0) throw new Error("pairedStatistics: no images to compare");
  const focus = labels.indexOf(input.focusClass);
  if (focus < 0)
    throw new Error(
      `pairedStatistics: class "${input.focusClass}" is not one of [${labels.join(", ")}]`,
    );
  const k = labels.length;

  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i] as number;
    const p = production[i] === t;
    const q = candidate[i] === t;
    if (p && !q) b++;
    else if (q && !p) c++;
  }

  // Each image's cell in either confusion matrix, precomputed: a resample then only counts.
  const prodCell = new Int32Array(n);
  const candCell = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prodCell[i] = (truth[i] as number) * k + (production[i] as number);
    candCell[i] = (truth[i] as number) * k + (candidate[i] as number);
  }
  const prodCounts = new Int32Array(k * k);
  const candCounts = new Int32Array(k * k);
  for (let i = 0; i < n; i++) {
    prodCounts[prodCell[i]!]! += 1;
    candCounts[candCell[i]!]! += 1;
  }
  const whole = {
    production: scores(prodCounts, k, focus),
    candidate: scores(candCounts, k, focus),
  };

  const B = input.resamples;
  const deltas = [new Float64Array(B), new Float64Array(B), new Float64Array(B)];
  const random = seededRandom(input.seed);
  for (let s = 0; s < B; s++) {
    prodCounts.fill(0);
    candCounts.fill(0);
    for (let r = 0; r < n; r++) {
      const i = Math.floor(random() * n);
      prodCounts[prodCell[i]!]! += 1;
      candCounts[candCell[i]!]! += 1;
    }
    const p = scores(prodCounts, k, focus);
    const q = scores(candCounts, k, focus);
    for (let m = 0; m < 3; m++) deltas[m]![s] = q[m]! - p[m]!;
  }
  const alpha = (1 - input.confidence) / 2;
  const names = ["accuracy", "macro_f1", `f1.${input.focusClass}`];
  const intervals = names.map((metric, m): ChangeInterval => {
    const sorted = deltas[m]!.sort();
    return {
      metric,
      production: whole.production[m]!,
      candidate: whole.candidate[m]!,
      delta: whole.candidate[m]! - whole.production[m]!,
      low: quantileSorted(sorted, alpha),
      high: quantileSorted(sorted, 1 - alpha),
    };
  });
  return {
    n,
    resamples: B,
    confidence: input.confidence,
    seed: input.seed,
    mcnemar: mcnemarExact(b, c),
    intervals,
  };
}
