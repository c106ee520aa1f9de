/**
 * The services nodes use, handed to the graph as its run context (`config.context`), so a
 * test or a GitHub Action swaps one (a trainer, a notifier, a store) without touching the
 * graph. This file says what they are; app/services.ts builds them from config and
 * environment (the embedded defaults: local git, local folders, tfjs-node).
 */
import { Annotation, type Runtime } from "@langchain/langgraph";
import type { MlopsConfig } from "../lib/config.ts";
import type { Registry } from "../lib/registry.ts";
import type { HashCache, ObjectStore } from "../lib/storage/index.ts";
import type { PromotionTarget } from "../lib/github/target.ts";
import type { Alert } from "../lib/notify/index.ts";
import type { TrainResult } from "../worker/types.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";
import type { BatchProgress, ProgressLine } from "../worker/train.ts";
import type { AlertRef, TfliteSummary } from "./state.ts";
import type { VlmReviewer } from "../lib/vlm/types.ts";
import type { AnalystLlm } from "../lib/analyst/llm.ts";

/** Trains candidates and re-evaluates saved models: the DL worker behind run_training_job. */
export interface Trainer {
  train(job: {
    train: LabeledImage[];
    val: LabeledImage[];
    evaluation: LabeledImage[];
    labels: string[];
    outDir: string;
    onProgress?: (line: ProgressLine) => void;
    onBatch?: (progress: BatchProgress) => void;
  }): Promise<TrainResult>;
  evaluate(
    modelDir: string,
    images: LabeledImage[],
    labels: string[],
  ): Promise<{ metrics: ClassificationMetrics; predictions: number[] }>;
  /**
   * Runs a shipped .tflite in LiteRT on `images` as the app would (the file's own metadata
   * gives the preprocessing and the class names); predictions are indices into `labels`.
   */
  evaluateTflite(
    file: string,
    images: LabeledImage[],
    labels: string[],
  ): Promise<{ metrics: ClassificationMetrics; predictions: number[]; variant: string | null }>;
  /** Writes the .tflite variants of a trained model and proves each one in LiteRT on `evaluation`. */
  exportTflite(job: {
    modelDir: string;
    outDir: string;
    version: number;
    labels: string[];
    evaluation: LabeledImage[];
    /** The images the model was trained on: the full-integer file is calibrated on a sample. */
    training: LabeledImage[];
    runId: string;
  }): Promise<TfliteSummary>;
}

/**
 * An alert for a person, as data: what happened, why, the evidence, the next step, facts
 * and links (lib/notify/alert.ts). Every channel renders it from these fields.
 */
export type AlertMessage = Alert;

/** Sends alerts; the embedded default writes them to the console and the run folder. */
export interface Notifier {
  notify(alert: AlertMessage, runDir: string): Promise<AlertRef[]>;
}

/** Everything a node may use besides the state. */
export interface PipelineServices {
  repoDir: string;
  config: MlopsConfig;
  registry: Registry;
  cache: HashCache;
  /** Opens the store of a manifest's base URI or of the artifact store. */
  openStore(uri: string): ObjectStore;
  trainer: Trainer;
  notifier: Notifier;
  /** Where promotions are proposed: a local branch, or a GitHub pull request. */
  promotionTarget: PromotionTarget;
  /** Folder of a run: `<runs>/<run_id>`. */
  runDir(runId: string): string;
  log(message: string): void;
  /** validate_data's VLM reviewer, or why there is none (not configured). */
  vlm: VlmReviewer | { reason: string };
  /** analyze_performance's LLM analyst, or why there is none (not configured: the rules decide). */
  analyst: AnalystLlm | { reason: string };
}

/** The graph's context schema: the services of the run. */
export const PipelineContext = Annotation.Root({ services: Annotation<PipelineServices>() });

/** The runtime as nodes receive it. */
export type NodeConfig = Runtime<typeof PipelineContext.State>;

let defaultServices: (() => PipelineServices) | undefined;

/**
 * The services for runs invoked without a context: tools that load the exported graph and
 * invoke it themselves (LangGraph Studio, `@langchain/langgraph-cli`; see app/studio.ts).
 * A run given `{ context: { services } }` always uses those.
 */
export function provideDefaultServices(factory: () => PipelineServices): void {
  defaultServices = factory;
}

/** The services from a node's config; a clear error if the graph was invoked without them. */
export function servicesOf(config: NodeConfig): PipelineServices {
  const services = config.context?.services ?? defaultServices?.();
  if (!services)
    throw new Error(
      "the graph was invoked without services: pass { context: { services } } (app/services.ts builds them), or load app/studio.ts",
    );
  return services;
}
