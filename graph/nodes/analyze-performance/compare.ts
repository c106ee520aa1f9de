/**
 * analyze_performance, step 2: the comparison of both models on the same images (metrics,
 * paired statistics, policy verdicts, growing confusions: lib/analyst/compare.ts) and the
 * facts and prompt an LLM analyst would see. Pure.
 */
import { type Comparison, compareOnEvaluationSet } from "../../../lib/analyst/compare.ts";
import {
  type AnalystFacts,
  type AnalystPrompt,
  buildAnalystPrompt,
} from "../../../lib/analyst/llm.ts";
import type { MlopsConfig } from "../../../lib/config.ts";
import type { LabeledImage } from "../../../lib/dataset.ts";
import { toLabelIndices } from "../../../lib/metrics.ts";
import type { EvaluationSetRef, MLOpsStateType } from "../../state.ts";
import { shippedTflite } from "./decide.ts";

/** The comparison and what the analyst is told about it. */
export interface Compared {
  comparison: Comparison;
  facts: AnalystFacts;
  prompt: AnalystPrompt;
}

/** Compares candidate and production predictions (class indices, image by image) on `images`. */
export function compareModels(input: {
  state: Pick<MLOpsStateType, "model_version" | "training_summary" | "tflite">;
  config: Pick<MlopsConfig, "labels" | "policy" | "model_name">;
  images: LabeledImage[];
  evaluation_set: EvaluationSetRef;
  candidate: number[];
  production: number[];
  productionVersion: string;
}): Compared {
  const { state, config: cfg } = input;
  const comparison = compareOnEvaluationSet({
    truth: toLabelIndices(input.images, cfg.labels),
    candidatePredictions: input.candidate,
    productionPredictions: input.production,
    labels: cfg.labels,
    policy: cfg.policy,
    candidateVersion: state.model_version!,
    productionVersion: input.productionVersion,
    tflite: shippedTflite(state),
  });
  const facts: AnalystFacts = {
    model_name: cfg.model_name,
    candidate_version: state.model_version!,
    production_version: input.productionVersion,
    critical_class: cfg.policy.critical_class,
    evaluation_set: input.evaluation_set,
    training_data: (state.training_summary?.manifests ?? []).map((m) => ({
      path: m.path,
      dataset_id: m.dataset_id,
      images: m.images,
    })),
    candidate: comparison.candidate,
    production: comparison.production,
    deltas: comparison.analysis.deltas,
    verdicts: comparison.analysis.verdicts,
    statistics: comparison.statistics,
    confusion_changes: comparison.confusions,
  };
  return { comparison, facts, prompt: buildAnalystPrompt(facts) };
}
