/**
 * analyze_performance, step 2: the comparison of both models on the same images (metrics,
 * paired statistics, slices, policy verdicts, growing confusions: lib/analyst/compare.ts)
 * and the facts and prompt an LLM analyst would see. The predictions compared are the
 * shipped files' (judged_as_shipped says where a model was judged as TF.js). Pure.
 */
import { type Comparison, compareOnEvaluationSet } from "../../../lib/analyst/compare.ts";
import {
  type AnalystFacts,
  type AnalystPrompt,
  buildAnalystPrompt,
} from "../../../lib/analyst/llm.ts";
import type { ShippedJudgement } from "../../../lib/analyst/shipped.ts";
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
  /** Which file each model was judged as; absent when the caller compared bare predictions. */
  judged?: ShippedJudgement;
}

/** The judgement as the LLM reads it: the differing images' hashes stay in analysis.json. */
function forPrompt(j: ShippedJudgement): ShippedJudgement {
  return {
    candidate: { ...j.candidate, examples: [] },
    production: j.production && { ...j.production, examples: [] },
  };
}

/** Compares candidate and production predictions (class indices, image by image) on `images`. */
export function compareModels(input: {
  state: Pick<MLOpsStateType, "model_version" | "training_summary" | "tflite">;
  config: Pick<MlopsConfig, "labels" | "policy" | "model_name">;
  /** The evaluation images; their `tags` (when any image has some) are the slices. */
  images: (LabeledImage & { tags?: Record<string, string> })[];
  evaluation_set: EvaluationSetRef;
  candidate: number[];
  production: number[];
  productionVersion: string;
  judged?: ShippedJudgement;
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
    referenceAccuracy: input.judged?.candidate.tfjs.accuracy,
    tags: input.images.map((i) => i.tags),
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
    ...(input.judged ? { judged_as_shipped: forPrompt(input.judged) } : {}),
    ...(comparison.slices?.rows.length ? { slices: comparison.slices } : {}),
  };
  return {
    comparison,
    facts,
    prompt: buildAnalystPrompt(facts),
    ...(input.judged ? { judged: input.judged } : {}),
  };
}
