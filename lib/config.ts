/**
 * The pipeline's configuration: one JSON file (`mlops.config.json`, schema in
 * `mlops.config.schema.json`) plus environment variables (a `.env` beside it is read when
 * present; `.env.example` lists them all). Environment wins over the file. A bad value is
 * an error that names the file or variable, the field, what was expected and how to fix it;
 * an unknown key (a typo), a repeated key, a min above its max or a repeated label is one.
 * The `training` section is config-training.ts, the environment variables config-env.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { httpUrl, issueLines, noRepeats, storeLocation } from "./config-checks.ts";
import { ENV_OVERRIDES } from "./config-env.ts";
import { duplicateKeys } from "./json-keys.ts";
import { TrainingSchema } from "./config-training.ts";
import { QualityConfigSchema } from "./quality/config.ts";
import { VlmSettingsSchema } from "./vlm/settings.ts";
import { NotifySettingsSchema } from "./notify/config.ts";
import { S3SettingsSchema, StorageSchema } from "./config-storage.ts";

const LABEL = /^[a-z][a-z0-9_]*$/;
const label = z
  .string()
  .regex(LABEL, "expected a lowercase class name (fix: use a-z, 0-9 and '_', e.g. \"maduro\")");

/** Deterministic promotion policy: the guardrails every candidate is judged under. */
export const PolicySchema = z.strictObject({
  /** The class whose errors cost growers most (ripe fruit picked too late or too early). */
  critical_class: label.default("maduro"),
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
  /**
   * Per-slice evaluation: each tag value of the evaluation manifest (`images[].tags`) is a
   * slice; a slice with fewer than `min_images` images is listed as too few to judge.
   */
  slices: z
    .strictObject({
      /** Fewest images a slice needs to be judged. */
      min_images: z.number().int().min(1).default(30),
      /** Fewest critical-class images a slice needs for its critical recall and F1 to be shown. */
      min_critical_images: z.number().int().min(1).default(10),
      /** Largest allowed accuracy fall on any judged slice; unset = slices are only reported. */
      max_accuracy_drop: z.number().min(0).max(1).optional(),
      /** What a slice beyond the allowed drop means: REJECT, or HUMAN_REVIEW (a person decides). */
      severity: z.enum(["reject", "review"]).default("reject"),
    })
    .prefault({}),
  /** Gates of the .tflite export the app ships; skipped (and said so) when none was checked. */
  tflite: z
    .strictObject({
      /** The variant shipped as mango_model_vN.tflite; the others are written beside it. */
      ship: z.enum(["float32", "float16", "int8", "int8_full"]).default("float32"),
      /** Largest .tflite file the app may download, in bytes. */
      max_bytes: z.number().int().positive().default(8_000_000),
      /** Float32 export: largest absolute logit difference from the TF.js model. */
      float32_max_logit_diff: z.number().min(0).default(1e-4),
      /** Int8 export: smallest share of images whose top class matches the TF.js model's. */
      int8_min_argmax_agreement: z.number().min(0).max(1).default(0.99),
      /** Int8 export: largest accuracy fall from the TF.js model on the evaluation set. */
      int8_max_accuracy_drop: z.number().min(0).max(1).default(0.01),
      /** Full-integer int8 export (int8_full): smallest share of images whose top class matches the TF.js model's. */
      int8_full_min_argmax_agreement: z.number().min(0).max(1).default(0.98),
      /** Full-integer int8 export (int8_full): largest accuracy fall from the TF.js model on the evaluation set. */
      int8_full_max_accuracy_drop: z.number().min(0).max(1).default(0.01),
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
    base_url: httpUrl("https://api.openai.com/v1").optional(),
    model: z.string().min(1).default("gpt-4o-mini"),
    /** Per attempt; a timed-out attempt is retried like a 5xx (see max_retries). */
    timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
    /** Further attempts after a 408, 409, 429, a 5xx, a timeout or a dropped connection, with exponential backoff. */
    max_retries: z.number().int().min(0).max(10).default(2),
  })
  .prefault({});
export type AnalystSettings = z.infer<typeof AnalystSettingsSchema>;

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Name of the model in the registry: `models/<model_name>/`. */
  model_name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default("mango-ripeness"),
  /** Class names, in output order of the classifier. */
  labels: z
    .array(label)
    .min(2)
    .superRefine(noRepeats("class"))
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
  artifacts_uri: storeLocation().default(".mlops/artifacts"),
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
  storage: StorageSchema.prefault({}),
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
    const lines = issueLines(parsed.error.issues, ConfigSchema, (field) =>
      fromEnv.has(field) ? `environment variable ${fromEnv.get(field)}` : source,
    );
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
    const text = readFileSync(configPath, "utf8");
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new ConfigError(`${configPath}: not valid JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
    const repeated = duplicateKeys(text).map(
      (d) =>
        `${configPath}: ${d.path.join(".")}: the key "${d.key}" appears twice (lines ${d.firstLine} and ${d.line}); JSON keeps only the last value (fix: keep one of them and delete the other)`,
    );
    if (repeated.length) throw new ConfigError(repeated.join("\n"));
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
