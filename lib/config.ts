/**
 * The pipeline's configuration: one JSON file (`mlops.config.json`, schema in
 * `mlops.config.schema.json`) plus environment variables (a `.env` beside it is read when
 * present; `.env.example` lists them all). Environment wins over the file. A bad value is
 * an error that names the file or variable, the field, what was expected and what came.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { QualityConfigSchema } from "./quality/config.ts";
import { VlmSettingsSchema } from "./vlm/settings.ts";
import { NotifySettingsSchema } from "./notify/config.ts";

const LABEL = /^[a-z][a-z0-9_]*$/;

/** Deterministic promotion policy: the guardrails every candidate is judged under. */
export const PolicySchema = z.strictObject({
  /** The class whose errors cost growers most (ripe fruit picked too late or too early). */
  critical_class: z.string().regex(LABEL).default("maduro"),
  /** A candidate below this accuracy on the evaluation set is rejected outright. */
  min_accuracy: z.number().min(0).max(1).default(0.5),
  /** A candidate whose critical-class F1 is below this is rejected outright. */
  min_critical_f1: z.number().min(0).max(1).default(0.5),
  /** Largest allowed fall of overall accuracy against production (absolute, 0.02 = 2 points). */
  max_accuracy_drop: z.number().min(0).max(1).default(0.02),
  /** Largest allowed fall of the critical class's F1 against production. */
  max_critical_f1_drop: z.number().min(0).max(1).default(0.0),
  /** Largest allowed fall of any other class's F1 against production. */
  max_class_f1_drop: z.number().min(0).max(1).default(0.1),
  /** The smallest gain (accuracy, macro-F1 or critical F1) that counts as an improvement. */
  min_improvement: z.number().min(0).max(1).default(0.005),
  /** With no production model yet, the first candidate goes to a person (HUMAN_REVIEW). */
  bootstrap_decision: z.enum(["HUMAN_REVIEW", "APPROVE"]).default("HUMAN_REVIEW"),
  /**
   * Paired statistics on the evaluation set. A change counts as a clear win only when its
   * bootstrap interval lies entirely above `min_improvement`, and as a clear loss only when
   * it lies entirely below minus the allowed drop; APPROVE needs one clear win.
   */
  statistics: z
    .strictObject({
      /** Bootstrap resamples of the evaluation set (more: steadier intervals, slower). */
      resamples: z.number().int().min(100).max(100_000).default(2000),
      /** Two-sided confidence of the intervals. */
      confidence: z.number().gt(0.5).lt(1).default(0.95),
      /** Seed of the resampling, so the same predictions always give the same intervals. */
      seed: z.number().int().default(20_260_101),
    })
    .prefault({}),
  /** Gates of the .tflite export the app ships; skipped (and said so) when none was checked. */
  tflite: z
    .strictObject({
      /** The variant shipped as mango_model_vN.tflite; the others are written beside it. */
      ship: z.enum(["float32", "float16", "int8"]).default("float32"),
      /** Largest .tflite file the app may download, in bytes. */
      max_bytes: z.number().int().positive().default(8_000_000),
      /** Float32 export: largest absolute logit difference from the TF.js model. */
      float32_max_logit_diff: z.number().min(0).default(1e-4),
      /** Int8 export: smallest share of images whose top class matches the TF.js model's. */
      int8_min_argmax_agreement: z.number().min(0).max(1).default(0.99),
      /** Int8 export: largest accuracy fall from the TF.js model on the evaluation set. */
      int8_max_accuracy_drop: z.number().min(0).max(1).default(0.01),
    })
    .prefault({}),
});
export type Policy = z.infer<typeof PolicySchema>;

/**
 * The LLM analyst: any OpenAI-compatible endpoint. Off unless `base_url` is set; the API
 * key comes only from the environment (`MLOPS_LLM_API_KEY`), never from this file.
 */
export const AnalystSettingsSchema = z
  .strictObject({
    /** e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1 (vLLM, Ollama); unset = rule-based analyst only. */
    base_url: z.string().url().optional(),
    model: z.string().min(1).default("gpt-4o-mini"),
    /** Per attempt; a timed-out answer is not retried and the rule-based analyst decides. */
    timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
    /** Further attempts after a 429, a 5xx or a dropped connection, with exponential backoff. */
    max_retries: z.number().int().min(0).max(10).default(2),
  })
  .prefault({});
export type AnalystSettings = z.infer<typeof AnalystSettingsSchema>;

/**
 * Training-time augmentation: one affine warp (crop, mirror, rotation) plus brightness and
 * contrast. No hue or saturation jitter: colour is what tells ripe from unripe.
 */
export const AugmentSchema = z.strictObject({
  /** Mirror left-right with probability 1/2. */
  flip: z.boolean().default(true),
  /** Largest rotation either way, in degrees. */
  rotation_deg: z.number().min(0).max(180).default(15),
  /** Smallest share of the image area a random crop keeps (1 = no crop). */
  min_crop_area: z.number().gt(0).max(1).default(0.8),
  /** Largest aspect-ratio change of the crop, as a factor (1 = square only). */
  max_aspect: z
    .number()
    .min(1)
    .default(4 / 3),
  /** Largest brightness shift either way, as a share of the full range. */
  brightness: z.number().min(0).max(1).default(0.1),
  /** Largest contrast change either way, as a factor offset (0.2: x0.8 to x1.2). */
  contrast: z.number().min(0).lt(1).default(0.2),
});

/** Hyper-parameters of the DL worker; worker/README.md has the ablation behind each default. */
export const TrainingSchema = z.strictObject({
  alpha: z.number().positive().max(1.4).default(0.35),
  input_size: z.number().int().min(32).max(224).default(96),
  batch_size: z.number().int().min(1).max(512).default(32),
  /** Maximum epochs; early stopping may end sooner. */
  epochs: z.number().int().min(1).max(500).default(50),
  /** Adam's peak learning rate. */
  learning_rate: z.number().positive().max(1).default(0.002),
  /** "cosine": linear warm-up then cosine decay to 0 at `epochs`; "constant": `learning_rate` throughout. */
  lr_schedule: z.enum(["cosine", "constant"]).default("cosine"),
  warmup_epochs: z.number().min(0).default(1),
  /** Epochs without a new best validation loss before training stops. */
  patience: z.number().int().min(1).default(12),
  seed: z.number().int().default(42),
  /**
   * false (the default: on the real photos it trained better without, see worker/README.md)
   * or an object of strengths, `{}` for the milder defaults of each field.
   */
  augment: z.union([z.literal(false), AugmentSchema]).default(false),
  /** Weight the loss by inverse class frequency. */
  class_weights: z.boolean().default(true),
  /** Label smoothing of the targets, in [0, 1). */
  label_smoothing: z.number().min(0).lt(1).default(0),
  /** Dropout before the classifier. */
  dropout: z.number().min(0).lt(1).default(0.2),
  /** Mixup's Beta(alpha, alpha) parameter (images blended in pairs, targets alike); 0 = off. */
  mixup: z.number().min(0).max(10).default(0),
  /** Decay of an exponential moving average of the weights (validated and kept instead of the raw ones); 0 = off. */
  ema_decay: z.number().min(0).lt(1).default(0),
  /**
   * Data-parallel replicas: each batch is split over this many worker threads, one core
   * each, BatchNorm statistics taken per replica. "auto": 2 on a CPU with 2 cores or more
   * (the ablation's setting) when that leaves each replica 16 images of a batch, else 1;
   * 1 on a GPU.
   */
  replicas: z.union([z.literal("auto"), z.number().int().min(1).max(64)]).default("auto"),
  /**
   * Where training runs: "cpu" (tfjs-node), "gpu" (tfjs-node-gpu; an error when no GPU is
   * found) or "auto" (the GPU build when it is installed and sees a GPU, else the CPU).
   */
  device: z.enum(["auto", "cpu", "gpu"]).default("auto"),
});
export type TrainingSettings = z.infer<typeof TrainingSchema>;

export const S3SettingsSchema = z.strictObject({
  region: z.string().default("us-east-1"),
  /** For S3-compatible stores (OCI Object Storage, MinIO): their endpoint URL. */
  endpoint: z.string().url().optional(),
  force_path_style: z.boolean().default(false),
});

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Name of the model in the registry: `models/<model_name>/`. */
  model_name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default("mango-ripeness"),
  /** Class names, in output order of the classifier. */
  labels: z
    .array(z.string().regex(LABEL))
    .min(2)
    .default(["verde", "pinton", "maduro", "sobremaduro", "hoja"]),
  paths: z
    .strictObject({
      manifests: z.string().default("data-manifests"),
      /** The frozen evaluation set every model is judged on. */
      eval_manifest: z.string().default("data-manifests/eval/evaluation.json"),
      registry: z.string().default("models"),
      runs: z.string().default(".mlops/runs"),
      cache: z.string().default(".mlops/cache"),
      checkpoints: z.string().default(".mlops/checkpoints.sqlite"),
    })
    .prefault({}),
  /** Where candidate artifacts are stored: a relative/absolute folder, file:/// or s3:// URI. */
  artifacts_uri: z.string().default(".mlops/artifacts"),
  quality: z
    .strictObject({
      /** validate_data's gate: below this quality_score (out of 10) the run halts. */
      threshold: z.number().min(0).max(10).default(7.0),
      /**
       * Images checked at once. Decoding runs on libvips' threads while JS measures the last
       * image, so more in flight than cores pays: on 2 cores, 3,400 real 224 px photos went
       * at 442 images/s with 2, 576 with 4, 600-660 with 8 and 660-730 with 16.
       */
      concurrency: z.number().int().min(1).max(64).default(8),
      checks: QualityConfigSchema.prefault({}),
      /** The VLM review of a sample of images (OpenAI-compatible endpoint; key from MLOPS_VLM_API_KEY). */
      vlm: VlmSettingsSchema.prefault({}),
    })
    .prefault({}),
  training: TrainingSchema.prefault({}),
  policy: PolicySchema.prefault({}),
  analyst: AnalystSettingsSchema,
  /** alert_human's channels beyond the console and alert.md (Slack, Teams, email, GitHub issue). */
  notify: NotifySettingsSchema,
  s3: S3SettingsSchema.prefault({}),
  github: z
    .strictObject({
      /** Requested as reviewers of a HUMAN_REVIEW proposal: user names or "org/team". */
      reviewers: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  git: z
    .strictObject({
      /** The branch promotion branches start from and are proposed against. */
      base_branch: z.string().default("main"),
    })
    .prefault({}),
});
export type MlopsConfig = z.infer<typeof ConfigSchema>;

/** Environment variables that override the file; each names the field it sets. */
export const ENV_OVERRIDES: Record<
  string,
  { field: string; parse: "number" | "string" | "boolean"; doc: string }
> = {
  MLOPS_MODEL_NAME: { field: "model_name", parse: "string", doc: "registry name of the model" },
  MLOPS_QUALITY_THRESHOLD: {
    field: "quality.threshold",
    parse: "number",
    doc: "data gate threshold out of 10 (default 7.0)",
  },
  MLOPS_EVAL_MANIFEST: {
    field: "paths.eval_manifest",
    parse: "string",
    doc: "path of the frozen evaluation manifest",
  },
  MLOPS_ARTIFACTS_URI: {
    field: "artifacts_uri",
    parse: "string",
    doc: "where candidate artifacts go (folder, file:/// or s3://)",
  },
  MLOPS_RUNS_DIR: {
    field: "paths.runs",
    parse: "string",
    doc: "run folders (report.md, state.json)",
  },
  MLOPS_CACHE_DIR: { field: "paths.cache", parse: "string", doc: "content-addressed image cache" },
  MLOPS_EPOCHS: { field: "training.epochs", parse: "number", doc: "maximum training epochs" },
  MLOPS_INPUT_SIZE: {
    field: "training.input_size",
    parse: "number",
    doc: "MobileNetV2 input side in pixels",
  },
  MLOPS_ALPHA: { field: "training.alpha", parse: "number", doc: "MobileNetV2 width multiplier" },
  MLOPS_BATCH_SIZE: { field: "training.batch_size", parse: "number", doc: "training batch size" },
  MLOPS_SEED: {
    field: "training.seed",
    parse: "number",
    doc: "seed for weights, shuffling and splits",
  },
  MLOPS_TRAIN_DEVICE: {
    field: "training.device",
    parse: "string",
    doc: "where training runs: auto, cpu or gpu",
  },
  MLOPS_BASE_BRANCH: {
    field: "git.base_branch",
    parse: "string",
    doc: "branch promotions are proposed against",
  },
  MLOPS_S3_ENDPOINT: {
    field: "s3.endpoint",
    parse: "string",
    doc: "S3-compatible endpoint URL (OCI, MinIO); empty for AWS",
  },
  AWS_REGION: { field: "s3.region", parse: "string", doc: "S3 region" },
  MLOPS_S3_FORCE_PATH_STYLE: {
    field: "s3.force_path_style",
    parse: "boolean",
    doc: "path-style S3 addressing (true for most S3-compatible stores)",
  },
  MLOPS_LLM_BASE_URL: {
    field: "analyst.base_url",
    parse: "string",
    doc: "OpenAI-compatible endpoint of the LLM analyst; unset = rule-based analyst",
  },
  MLOPS_LLM_MODEL: {
    field: "analyst.model",
    parse: "string",
    doc: "model name the LLM analyst asks for",
  },
  MLOPS_LLM_TIMEOUT_MS: {
    field: "analyst.timeout_ms",
    parse: "number",
    doc: "LLM analyst timeout per attempt, in ms",
  },
  MLOPS_LLM_MAX_RETRIES: {
    field: "analyst.max_retries",
    parse: "number",
    doc: "LLM analyst retries after 429/5xx",
  },
  MLOPS_VLM_BASE_URL: {
    field: "quality.vlm.base_url",
    parse: "string",
    doc: "OpenAI-compatible endpoint of the data gate's VLM review (unset: no VLM review)",
  },
  MLOPS_VLM_MODEL: {
    field: "quality.vlm.model",
    parse: "string",
    doc: "model name of the VLM review at that endpoint",
  },
  MLOPS_VLM_SAMPLE_SIZE: {
    field: "quality.vlm.sample_size",
    parse: "number",
    doc: "images the VLM reviews per batch",
  },
};

/** Thrown for any unusable configuration value. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigError";
  }
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    // Only fill in a missing section: a wrong value stays, so validation reports it.
    if (cur[part] === undefined) cur[part] = {};
    if (typeof cur[part] !== "object" || cur[part] === null) return;
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function parseEnvValue(name: string, raw: string, kind: "number" | "string" | "boolean"): unknown {
  if (kind === "string") return raw;
  if (kind === "boolean") {
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new ConfigError(
      `environment variable ${name}="${raw}" is not a boolean (fix: use true or false)`,
    );
  }
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) {
    throw new ConfigError(
      `environment variable ${name}="${raw}" is not a number (fix: e.g. ${name}=7.0)`,
    );
  }
  return n;
}

/** Validates a parsed config object; pure. `source` names where it came from in errors. */
export function parseConfig(
  json: unknown,
  env: NodeJS.ProcessEnv = {},
  source = "mlops.config.json",
): MlopsConfig {
  if (json !== undefined && (typeof json !== "object" || json === null || Array.isArray(json))) {
    throw new ConfigError(
      `${source}: (root): expected a JSON object, received ${Array.isArray(json) ? "an array" : JSON.stringify(json)} (fix: see mlops.config.schema.json)`,
    );
  }
  const merged = structuredClone((json ?? {}) as Record<string, unknown>);
  const fromEnv = new Map<string, string>();
  for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    setPath(merged, spec.field, parseEnvValue(name, raw, spec.parse));
    fromEnv.set(spec.field, name);
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join(".");
      const where = fromEnv.has(field) ? `environment variable ${fromEnv.get(field)}` : source;
      return `${where}: ${field || "(root)"}: ${issue.message}`;
    });
    throw new ConfigError(
      `invalid configuration:\n${lines.join("\n")}\n(fix: see mlops.config.schema.json and .env.example)`,
    );
  }
  const config = parsed.data;
  if (!config.labels.includes(config.policy.critical_class)) {
    throw new ConfigError(
      `${source}: policy.critical_class "${config.policy.critical_class}" is not one of labels [${config.labels.join(", ")}] (fix: name one of the labels)`,
    );
  }
  return config;
}

/** Reads `.env` (if present) into process.env without overriding variables already set. */
export function loadDotEnv(dir: string): void {
  const file = resolve(dir, ".env");
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Reads and validates the config file (absent file = all defaults) with env overrides. */
export function loadConfig(configPath: string, env: NodeJS.ProcessEnv = process.env): MlopsConfig {
  let json: unknown = {};
  if (existsSync(configPath)) {
    try {
      json = JSON.parse(readFileSync(configPath, "utf8"));
    } catch (cause) {
      throw new ConfigError(`${configPath}: not valid JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  return parseConfig(json, env, configPath);
}

/** Absolute path of a configured path, relative paths taken from the repository root. */
export function resolveIn(repoDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(repoDir, path);
}

/** The artifact store's URI: a configured folder becomes a file:/// URI. */
export function artifactsUri(repoDir: string, config: MlopsConfig): string {
  const uri = config.artifacts_uri;
  if (/^(s3|file):\/\//.test(uri)) return uri;
  return pathToFileURL(resolveIn(repoDir, uri)).href;
}

/** The folder a config file sits in: the repository the pipeline works on. */
export function configDir(configPath: string): string {
  return dirname(resolve(configPath));
}
