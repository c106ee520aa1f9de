/**
 * The graph's state. Field names of the seed's `MLOpsState` are kept; the rest is what
 * the nodes hand each other. Only references (paths, versions, URIs) and small JSON live
 * here, never image bytes or weights: every checkpoint stores the whole state.
 */
import { Annotation } from "@langchain/langgraph";
import type { Analysis, Decision, MetricDelta, PolicyVerdict } from "../lib/analyst/rules.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";
import type { ScoreBreakdown } from "../lib/quality/combine.ts";
import type { ConfusionChange } from "../lib/analyst/confusions.ts";
import type { PairedStatistics } from "../lib/analyst/stats.ts";
import type { ShippedJudgement } from "../lib/analyst/shipped.ts";
import type { SliceReport } from "../lib/analyst/slices.ts";

/** The evaluation set as judged: its manifest, the manifest's sha256 and its size. */
export interface EvaluationSetRef {
  path: string;
  sha256: string;
  images: number;
}

/** How analyze_performance reached its decision. */
export interface AnalystTrace {
  /** The LLM's model name when one was asked; null for the rule-based analyst alone. */
  llm_model: string | null;
  /** What the LLM proposed, when it gave a usable answer. */
  llm_decision: Decision | null;
  /** What the guardrails changed and why. */
  override: string | null;
  /** Why the rules decided although an LLM is configured. */
  fallback: string | null;
  /** `analysis/` in the run folder: analysis.json, prompt.md, llm-answer.json. */
  analysis_dir: string;
}

/** Where the promotion proposal went. */
export interface PromotionRef {
  branch: string;
  commit: string;
  base: string;
  draft: boolean;
  pr_body_path: string;
  /** The GitHub pull request, when proposed on GitHub. */
  pr_url?: string | null;
  pr_number?: number | null;
  /**
   * The PNG plots committed next to the model card, each as the pull request links it: a
   * URL of the file at the commit on GitHub, its repository path on a local branch.
   */
  plots?: { curves?: string; confusion?: string; contactSheet?: string } | null;
}

/** One alert sent to a person. */
export interface AlertRef {
  channel: string;
  reason: string;
  location: string;
}

/** One .tflite variant as proven in LiteRT (file only when it passed its gate). */
export interface TfliteVariantSummary {
  variant: string;
  file: string | null;
  bytes: number | null;
  max_logit_diff: number | null;
  argmax_agreement: number | null;
  accuracy: number | null;
  macro_f1: number | null;
  median_latency_ms: number | null;
  export_ms: number;
  candidate: boolean;
  reasons: string[];
}

/** The .tflite export of the candidate: what ships, and every variant's proof. */
export interface TfliteSummary {
  ship: string;
  shipped: { variant: string; file: string } | null;
  variants: TfliteVariantSummary[];
}

/** Small summary of a training run (the full log lives in the run folder). */
export interface TrainingSummary {
  best_epoch: number;
  epochs_run: number;
  train_seconds: number;
  /** Where training ran, e.g. "GPU:0 NVIDIA H200" or "CPU, oneDNN, 2 threads" (absent in runs checkpointed before it was recorded). */
  device?: string;
  train_images: number;
  val_images: number;
  eval_images: number;
  excluded_images: number;
  manifests: Array<{ path: string; sha256: string; dataset_id: string; images: number }>;
}

const value = <T>(initial: T) =>
  Annotation<T>({ reducer: (_old, next) => next, default: () => initial });

/** The state of one pipeline run (one LangGraph thread). */
export const MLOpsState = Annotation.Root({
  /** The run's id, also the checkpointer's thread id and the run folder's name. */
  run_id: value<string>(""),
  /** A manifest the user asked to train on (`--manifest`), bypassing the "already trained" check. */
  requested_manifest: value<string | null>(null),
  /** The manifest (repo-relative path) this run trains on; null when there is no new data. */
  new_data_path: value<string | null>(null),
  /** sha256 of that manifest's bytes, as the registry's lineage records it. */
  manifest_sha256: value<string | null>(null),
  /** Other new manifests waiting for a later run. */
  pending_manifests: value<string[]>([]),
  /** validate_data's combined score out of 10. */
  quality_score: value<number | null>(null),
  /** Path of quality.json in the run folder. */
  quality_report_path: value<string | null>(null),
  /** How quality_score was reached: per-image checks, batch factor, deterministic score, the VLM's part. */
  quality_breakdown: value<ScoreBreakdown | null>(null),
  /** sha256 of images validate_data refused; training leaves them out. */
  rejected_images: value<string[]>([]),
  /** The version the candidate will have in the registry, e.g. "v3". */
  model_version: value<string | null>(null),
  /** Folder of the trained candidate (TF.js model) in the run folder. */
  candidate_model_path: value<string | null>(null),
  /** Candidate metrics on the frozen evaluation set. */
  candidate_metrics: value<ClassificationMetrics | null>(null),
  training_summary: value<TrainingSummary | null>(null),
  /** The candidate's .tflite files and their proof in a real TFLite runtime. */
  tflite: value<TfliteSummary | null>(null),
  /** The production version compared against, when there is one. */
  production_version: value<string | null>(null),
  /** Production metrics on the same evaluation set. */
  production_metrics: value<ClassificationMetrics | null>(null),
  /** APPROVE, REJECT or HUMAN_REVIEW, from analyze_performance. */
  deployment_decision: value<Decision | null>(null),
  /** Why, in a sentence a reviewer can act on. */
  decision_reason: value<string | null>(null),
  policy_verdicts: value<PolicyVerdict[]>([]),
  metric_deltas: value<MetricDelta[]>([]),
  analyst: value<Analysis["analyst"] | null>(null),
  /** The frozen evaluation set both models were judged on at decision time. */
  evaluation_set: value<EvaluationSetRef | null>(null),
  /** McNemar and bootstrap intervals of the paired comparison. */
  analysis_statistics: value<PairedStatistics | null>(null),
  /** Class pairs the candidate confuses more often than production, largest growth first. */
  confusion_changes: value<ConfusionChange[]>([]),
  /** Which file each model was judged as (its shipped .tflite in LiteRT, or TF.js and why). */
  judged_as_shipped: value<ShippedJudgement | null>(null),
  /** Both models per tag value (farm, camera, lighting...) of the evaluation set. */
  slices: value<SliceReport | null>(null),
  /** Which analyst decided, whether the guardrails overrode the LLM, where the evidence is. */
  analyst_trace: value<AnalystTrace | null>(null),
  /** What went wrong and what to do, for a halted run. */
  failure_analysis_report: value<string | null>(null),
  promotion: value<PromotionRef | null>(null),
  alerts: Annotation<AlertRef[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  /** Nodes in the order they finished, with timestamps: the run's trace. */
  steps: Annotation<Array<{ node: string; at: string; note: string }>>({
    reducer: (a, b) => a.concat(b),
    default: () => [],
  }),
});

/** A full state value. */
export type MLOpsStateType = typeof MLOpsState.State;
/** What a node returns: a partial update. */
export type MLOpsUpdate = typeof MLOpsState.Update;

/** A trace entry for `steps`. */
export function step(node: string, note: string): MLOpsUpdate["steps"] {
  return [{ node, at: new Date().toISOString(), note }];
}
