/**
 * Class weights against imbalance: pure, no TF.
 *
 * Inverse frequency, w_c = N / (K' x n_c) over the K' classes that have images (scikit-
 * learn's "balanced"). That is "mean 1" weighted by the images: the average weight a
 * training image gets is exactly 1, so the loss keeps its scale and the learning rate
 * tuned on balanced data stays right; a balanced set gets all ones, i.e. plain
 * cross-entropy. Every class then pulls on the loss as if it had N / K' images.
 */

/** Images per class index, for `labels.length` classes. */
export function classCounts(labelIdx: readonly number[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const c of labelIdx) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses)
      throw new Error(`classCounts: class index ${c} is outside 0..${numClasses - 1}`);
    counts[c] = (counts[c] as number) + 1;
  }
  return counts;
}

/**
 * Inverse-frequency weights whose mean over the images is 1. A class without images gets 0:
 * it contributes no loss term, and a finite number keeps metrics.json valid JSON.
 */
export function inverseFrequencyWeights(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  if (total === 0) throw new Error("inverseFrequencyWeights: no images in any class");
  return counts.map((n) => (n > 0 ? total / (present * n) : 0));
}

/** Weights as `{label: weight}` for metrics.json and the report. */
export function namedWeights(
  labels: readonly string[],
  weights: readonly number[],
): Record<string, number> {
  return Object.fromEntries(labels.map((l, i) => [l, weights[i] ?? 0]));
}
