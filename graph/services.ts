/**
 * The services nodes use, handed to the graph as its run context (`config.context`), so a
 * test or a GitHub Action swaps one (a trainer, a notifier, a store) without touching the
 * graph. `createServices` builds the embedded defaults: local git, local folders, tfjs-node.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Annotation, type Runtime } from "@langchain/langgraph";
import { type MlopsConfig, resolveIn } from "../lib/config.ts";
import { Registry } from "../lib/registry.ts";
import { HashCache, openStore, type ObjectStore } from "../lib/storage/index.ts";
import { createGitHubClient, parseRepository } from "../lib/github/client.ts";
import { promotionTargetFromEnv, type PromotionTarget } from "../lib/github/target.ts";
import { createChannelNotifier, type AlertContent } from "../lib/notify/index.ts";
import type { TrainResult } from "../worker/types.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";
import type { BatchProgress, ProgressLine } from "../worker/train.ts";
import { trainConfigOf } from "../worker/settings.ts";
import type { AlertRef, TfliteSummary } from "./state.ts";
import type { ExportResult } from "../worker/tflite/export.ts";
import type { VlmReviewer } from "../lib/vlm/types.ts";

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
  /** Writes the .tflite variants of a trained model and proves each one in LiteRT on `evaluation`. */
  exportTflite(job: {
    modelDir: string;
    outDir: string;
    version: number;
    labels: string[];
    evaluation: LabeledImage[];
    runId: string;
  }): Promise<TfliteSummary>;
}

/** An alert for a person: what happened, the evidence, and what to do next. */
export interface AlertMessage {
  runId: string;
  title: string;
  severity: "error" | "warning" | "info";
  body: string;
  /** Structured form for Slack, Teams, email and issues; the file channel uses `body`. */
  content?: AlertContent;
}

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
  /** validate_data's VLM reviewer; when absent it is built from `quality.vlm` and MLOPS_VLM_API_KEY. */
  vlm?: VlmReviewer;
}

/** The graph's context schema: the services of the run. */
export const PipelineContext = Annotation.Root({ services: Annotation<PipelineServices>() });

/** The runtime as nodes receive it. */
export type NodeConfig = Runtime<typeof PipelineContext.State>;

/** The services from a node's config; a clear error if the graph was invoked without them. */
export function servicesOf(config: NodeConfig): PipelineServices {
  const services = config.context?.services;
  if (!services)
    throw new Error(
      "the graph was invoked without services: pass { context: { services } } (see graph/run.ts)",
    );
  return services;
}

/** The DL worker in this process: MobileNetV2 on tfjs-node's native backend. */
export function createLocalTrainer(config: MlopsConfig): Trainer {
  const t = config.training;
  return {
    async train(job) {
      const { trainModel } = await import("../worker/train.ts");
      return trainModel({
        ...job,
        config: trainConfigOf(config.training),
      });
    },
    async exportTflite(job) {
      const { exportVariants } = await import("../worker/tflite/export.ts");
      const { evalSetFromImages } = await import("../worker/tflite/verify.ts");
      const { describePreprocessing } = await import("../worker/images.ts");
      const p = config.policy.tflite;
      const loose = {
        minArgmaxAgreement: p.int8_min_argmax_agreement,
        maxAccuracyDrop: p.int8_max_accuracy_drop,
      };
      const result = await exportVariants({
        model: job.modelDir,
        outDir: job.outDir,
        version: job.version,
        labels: job.labels,
        preprocessing: describePreprocessing(t.input_size),
        evalSet: await evalSetFromImages(job.evaluation, job.labels, t.input_size),
        gates: {
          float32: { maxLogitDiff: p.float32_max_logit_diff, minArgmaxAgreement: 1 },
          float16: loose,
          int8: loose,
        },
        ship: p.ship,
        modelInfo: {
          architecture: "MobileNetV2",
          alpha: t.alpha,
          input_size: t.input_size,
          run_id: job.runId,
        },
      });
      return summarizeTfliteExport(p.ship, result);
    },
    async evaluate(modelDir, images, labels) {
      const { evaluateModel } = await import("../worker/evaluate.ts");
      const out = await evaluateModel(modelDir, images, labels, t.input_size, t.batch_size);
      return { metrics: out.metrics, predictions: out.predictions };
    },
  };
}

/** The small, JSON-able form of an export result that the state and the report carry. */
export function summarizeTfliteExport(ship: string, result: ExportResult): TfliteSummary {
  const n = (x: number | undefined) => (x === undefined ? null : x);
  return {
    ship,
    shipped: result.shipped ?? null,
    variants: result.variants.map((v) => ({
      variant: v.variant,
      file: v.file ?? null,
      bytes: n(v.verification?.bytes),
      max_logit_diff: n(v.verification?.max_logit_diff),
      argmax_agreement: n(v.verification?.argmax_agreement),
      accuracy: n(v.verification?.accuracy),
      macro_f1: n(v.verification?.macro_f1),
      median_latency_ms: n(v.verification?.median_latency_ms),
      export_ms: Math.round(v.export_ms),
      candidate: v.candidate,
      reasons: v.reasons,
    })),
  };
}

/** Console + `alert.md` in the run folder: the embedded default's alert channel. */
export function createFileNotifier(log: (m: string) => void): Notifier {
  return {
    async notify(alert, runDir) {
      await mkdir(runDir, { recursive: true });
      const path = join(runDir, "alert.md");
      await writeFile(path, `# ${alert.title}\n\n${alert.body}\n`);
      log(
        `ALERT [${alert.severity}] ${alert.title}\n${alert.body
          .split("\n")
          .map((l) => `  | ${l}`)
          .join("\n")}`,
      );
      return [{ channel: "file", reason: alert.title, location: path }];
    },
  };
}

/**
 * The environment as the GitHub-facing services see it: GitHub is used only inside
 * Actions (GITHUB_ACTIONS=true) or when asked for (MLOPS_PUBLISH=github), so a token in a
 * developer's shell never turns the demo or a local run into real pull requests.
 */
export function publishingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const onGitHub = env.GITHUB_ACTIONS === "true" || env.MLOPS_PUBLISH === "github";
  return onGitHub ? env : { ...env, GITHUB_TOKEN: undefined };
}

/** The embedded default services for a repository folder (GitHub and alert channels when configured). */
export function createServices(
  repoDir: string,
  config: MlopsConfig,
  overrides: Partial<PipelineServices> = {},
  env: NodeJS.ProcessEnv = process.env,
  hooks: { setSecret?: (s: string) => void; warn?: (m: string) => void } = {},
): PipelineServices {
  const log = overrides.log ?? ((m: string) => console.log(m));
  const ghEnv = publishingEnv(env);
  const token = ghEnv.GITHUB_TOKEN?.trim();
  const repository = ghEnv.GITHUB_REPOSITORY?.trim();
  const github =
    token && repository
      ? createGitHubClient({
          token,
          baseUrl: ghEnv.GITHUB_API_URL?.trim() || "https://api.github.com",
          ...parseRepository(repository),
        })
      : undefined;
  const s3 = {
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.force_path_style,
  };
  return {
    repoDir,
    config,
    registry: new Registry(repoDir, config.paths.registry, config.model_name),
    cache: new HashCache(resolveIn(repoDir, config.paths.cache)),
    openStore: (uri) => openStore(uri, s3),
    trainer: createLocalTrainer(config),
    notifier: createChannelNotifier({
      config: config.notify,
      env,
      log,
      warn: hooks.warn,
      setSecret: hooks.setSecret,
      octokit: github?.octokit,
      repo: github ? { owner: github.owner, repo: github.repo } : undefined,
      file: createFileNotifier(log),
    }),
    promotionTarget: promotionTargetFromEnv(ghEnv, { repoDir, reviewers: config.github.reviewers }),
    runDir: (runId) => join(resolveIn(repoDir, config.paths.runs), runId),
    log,
    ...overrides,
  };
}
