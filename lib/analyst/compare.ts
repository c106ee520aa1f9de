/**
 * The deterministic half of analyze_performance, from predictions to a rule-based
 * decision: metrics of both models, paired statistics, policy verdicts and the growing
 * confusions. Pure, so the benchmark and the tests run exactly what the node runs.
 */
import type { Policy } from "../config.ts";
import { computeMetrics } from "../metrics.ts";
import type { ClassificationMetrics } from "../metrics.ts";
import { type ConfusionChange, growingConfusions } from "./confusions.ts";
import type { TfliteMetrics } from "./policy.ts";
import { type Analysis, analyzeWithRules } from "./rules.ts";
import { computeSlices, type SliceReport } from "./slices.ts";
import { type PairedStatistics, pairedStatistics } from "./stats.ts";

/** Both models judged on the same images. */
export interface Comparison {
  candidate: ClassificationMetrics;
  production: ClassificationMetrics;
  statistics: PairedStatistics;
  /** The pairs whose confusion grew most, largest first. */
  confusions: ConfusionChange[];
  /** The rule-based analyst's decision under the policy, statistics and slices included. */
  analysis: Analysis;
  /** Both models per slice of the evaluation set; absent when no tags were given. */
  slices?: SliceReport;
}

/**
 * Compares candidate and production predictions on the same evaluation images (class
 * indices into `labels`, image by image in the same order as `truth`).
 */
export function compareOnEvaluationSet(input: {
  truth: number[];
  candidatePredictions: number[];
  productionPredictions: number[];
  labels: string[];
  policy: Policy;
  candidateVersion: string;
  productionVersion: string;
  tflite?: TfliteMetrics | TfliteMetrics[];
  /** The TF.js candidate's accuracy, when the predictions are its .tflite file's (rules.ts). */
  referenceAccuracy?: number;
  /** Each image's tags (same order as `truth`): the slices. */
  tags?: ReadonlyArray<Readonly<Record<string, string>> | undefined>;
}): Comparison {
  const { truth, labels, policy } = input;
  const slices = input.tags
    ? computeSlices({
        truth,
        candidate: input.candidatePredictions,
        production: input.productionPredictions,
        tags: input.tags,
        labels,
        policy,
      })
    : undefined;
  const candidate = computeMetrics(truth, input.candidatePredictions, labels);
  const production = computeMetrics(truth, input.productionPredictions, labels);
  const statistics = pairedStatistics({
    truth,
    production: input.productionPredictions,
    candidate: input.candidatePredictions,
    labels,
    focusClass: policy.critical_class,
    ...policy.statistics,
  });
  const analysis = analyzeWithRules({
    candidate,
    production,
    statistics,
    policy,
    tflite: input.tflite,
    referenceAccuracy: input.referenceAccuracy,
    slices,
    candidateVersion: input.candidateVersion,
    productionVersion: input.productionVersion,
  });
  return {
    candidate,
    production,
    statistics,
    confusions: growingConfusions(production, candidate),
    analysis,
    ...(slices ? { slices } : {}),
  };
}
