/**
 * The environment variables that override the configuration file (config.ts), each naming
 * the field it sets and how its value is read; scripts/write-schemas.ts writes
 * `.env.example` from this table.
 */

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
    doc: "LLM analyst retries after 408/409/429/5xx, timeouts and dropped connections",
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
