/**
 * The confusions people care about: which (true class, predicted class) pairs the
 * candidate mixes up more often than production. Rates, not counts: a pair's rate is the
 * share of the true class's photos given the wrong label, so classes of different sizes
 * compare fairly. Pure.
 */
import type { ClassificationMetrics } from "../metrics.ts";

/** One pair whose confusion rate changed. */
export interface ConfusionChange {
  /** The photo's true class. */
  actual: string;
  /** The class the model said instead. */
  predicted: string;
  /** Share of `actual` photos labelled `predicted`, production and candidate. */
  production_rate: number;
  candidate_rate: number;
  /** candidate_rate − production_rate. */
  delta: number;
  /** Counts behind the rates. */
  production_count: number;
  candidate_count: number;
  support: number;
}

function rateOf(
  m: ClassificationMetrics,
  actual: string,
  predicted: string,
): { count: number; support: number } {
  const { labels, matrix } = m.confusion_matrix;
  const row = matrix[labels.indexOf(actual)];
  const col = labels.indexOf(predicted);
  if (!row || col < 0) return { count: 0, support: 0 };
  return { count: row[col] ?? 0, support: row.reduce((a, b) => a + b, 0) };
}

/**
 * Off-diagonal pairs whose confusion rate grew, largest growth first, at most `top`.
 * Both matrices must come from the same evaluation set (the same supports).
 */
export function growingConfusions(
  production: ClassificationMetrics,
  candidate: ClassificationMetrics,
  top = 3,
): ConfusionChange[] {
  const labels = candidate.confusion_matrix.labels;
  const out: ConfusionChange[] = [];
  for (const actual of labels) {
    for (const predicted of labels) {
      if (actual === predicted) continue;
      const c = rateOf(candidate, actual, predicted);
      const p = rateOf(production, actual, predicted);
      if (!c.support) continue;
      const production_rate = p.support ? p.count / p.support : 0;
      const candidate_rate = c.count / c.support;
      const delta = candidate_rate - production_rate;
      if (delta <= 0) continue;
      out.push({
        actual,
        predicted,
        production_rate,
        candidate_rate,
        delta,
        production_count: p.count,
        candidate_count: c.count,
        support: c.support,
      });
    }
  }
  // Ties (same growth) by the larger candidate count: more photos, more growers affected.
  return out
    .sort((a, b) => b.delta - a.delta || b.candidate_count - a.candidate_count)
    .slice(0, top);
}

/** "v3 confused verde with hoja 9.0 pts more often than v2 (12.0% vs 3.0% of verde photos)". */
export function describeConfusion(
  c: ConfusionChange,
  candidateVersion: string,
  productionVersion: string,
): string {
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  return `${candidateVersion} confused ${c.actual} with ${c.predicted} ${(c.delta * 100).toFixed(1)} pts more often than ${productionVersion} (${p(c.candidate_rate)} vs ${p(c.production_rate)} of ${c.actual} photos: ${c.candidate_count} vs ${c.production_count} of ${c.support})`;
}
