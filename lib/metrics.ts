/**
 * Classification metrics from class indices: pure, no TF.
 *
 * Conventions (kept identical to what the analyst compares across model versions):
 * - precision, recall or F1 whose denominator is 0 is reported as 0 (scikit-learn's
 *   `zero_division=0`), so a class the model never predicts scores precision 0, not NaN,
 *   and JSON stays valid.
 * - macro F1 averages over the classes with support > 0 only. A class missing from the
 *   evaluation set says nothing about the model; counting it as F1 = 0 would punish every
 *   model for the set's gaps. Wrong predictions *into* such a class still cost: they are
 *   lost recall of the true classes.
 */

/** Per-class scores; precision/recall/F1 are 0 where undefined (see computeMetrics). */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of evaluation images whose true label is this class. */
  support: number;
}

/** Classification quality on one image set. */
export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  /** Mean F1 over the classes with support > 0. */
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  /** rows = true class, cols = predicted class, both in `labels` order. */
  confusion_matrix: { labels: string[]; matrix: number[][] };
}

/** Scores predicted class indices against true ones; `labels[i]` names index i. */
export function computeMetrics(
  trueIdx: number[],
  predIdx: number[],
  labels: string[],
): ClassificationMetrics {
  if (trueIdx.length !== predIdx.length) {
    throw new Error(
      `computeMetrics: ${trueIdx.length} true labels but ${predIdx.length} predictions; they must pair up one to one`,
    );
  }
  if (trueIdx.length === 0)
    throw new Error("computeMetrics: no images to score (the evaluation set is empty)");
  const k = labels.length;
  const matrix = labels.map(() => new Array<number>(k).fill(0));
  trueIdx.forEach((t, i) => {
    const p = predIdx[i] as number;
    for (const [what, v] of [
      ["true", t],
      ["predicted", p],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= k) {
        throw new Error(
          `computeMetrics: ${what} class index ${v} at position ${i} is outside 0..${k - 1} (${k} labels)`,
        );
      }
    }
    const row = matrix[t] as number[];
    row[p] = (row[p] as number) + 1;
  });

  const per_class: Record<string, ClassMetrics> = {};
  let correct = 0;
  let f1Sum = 0;
  let present = 0;
  labels.forEach((label, c) => {
    const row = matrix[c] as number[];
    const tp = row[c] as number;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + (r[c] as number), 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    per_class[label] = { precision, recall, f1, support };
    correct += tp;
    if (support > 0) {
      f1Sum += f1;
      present += 1;
    }
  });
  return {
    n: trueIdx.length,
    accuracy: correct / trueIdx.length,
    macro_f1: present > 0 ? f1Sum / present : 0,
    per_class,
    confusion_matrix: { labels: [...labels], matrix },
  };
}

/** Maps each image's label to its index in `labels`; an unknown label names the image. */
export function toLabelIndices(
  images: { label: string; path: string }[],
  labels: string[],
): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  return images.map((img) => {
    const i = index.get(img.label);
    if (i === undefined) {
      throw new Error(
        `image ${img.path} has label "${img.label}", which is not one of the model's labels [${labels.join(", ")}]; fix the manifest or add the label`,
      );
    }
    return i;
  });
}

/** Index of the largest value (first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** Mean categorical cross-entropy, probabilities clipped to [1e-7, 1] as Keras does. */
export function crossEntropy(probabilities: number[][], trueIdx: number[]): number {
  if (probabilities.length === 0) return Number.NaN;
  let sum = 0;
  probabilities.forEach((p, i) => {
    sum -= Math.log(Math.max(p[trueIdx[i] as number] ?? 0, 1e-7));
  });
  return sum / probabilities.length;
}
