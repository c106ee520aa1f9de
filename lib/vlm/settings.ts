/**
 * Settings of the VLM review in validate_data (`quality.vlm` in mlops.config.json). The
 * review runs only when an endpoint and a model are configured; the API key never comes
 * from the committed file, only from the environment (`MLOPS_VLM_API_KEY`).
 */
import { z } from "zod";
import { httpUrl, inOrder } from "../config-checks.ts";

/** The environment variable the VLM's API key is read from (never the config file). */
export const VLM_API_KEY_ENV = "MLOPS_VLM_API_KEY";

const VlmFields = z.strictObject({
  /** OpenAI-compatible base URL (OpenAI, Gemini's /v1beta/openai, vLLM, Ollama /v1); unset = no VLM review. */
  base_url: httpUrl("https://api.openai.com/v1").optional(),
  /** Model name at that endpoint, e.g. "gpt-4o-mini", "gemini-2.0-flash", "qwen2.5-vl". */
  model: z.string().min(1).optional(),
  /** Images the VLM sees per batch, drawn evenly across classes from the images that passed. */
  sample_size: z.number().int().min(1).max(64).default(12),
  /** Long side in pixels the sample is downscaled to before sending: bounds tokens and cost. */
  image_side: z.number().int().min(64).max(1024).default(256),
  /** One request's time limit. */
  timeout_ms: z.number().int().min(50).max(600_000).default(60_000),
  /** Further attempts after a 429, a 5xx, a timeout or an invalid answer. */
  max_retries: z.number().int().min(0).max(10).default(2),
  /** First retry's wait; doubled each retry, and a Retry-After header wins (up to max_backoff_ms). */
  backoff_ms: z.number().int().min(0).max(60_000).default(1000),
  max_backoff_ms: z.number().int().min(0).max(300_000).default(20_000),
  /** Images sent over all attempts of one review: the cost ceiling. A retry that would pass it is not made. */
  max_images_budget: z.number().int().min(1).max(1000).default(36),
  /** How far the VLM may pull the score down, 0-1 (see lib/quality/combine.ts); 0 = advisory only. */
  weight: z.number().min(0).max(1).default(0.5),
  /** How the structured answer is requested: a JSON-schema response format or a forced function call. */
  method: z.enum(["jsonSchema", "functionCalling"]).default("jsonSchema"),
});

/** `quality.vlm`: where the VLM is, how much of the batch it sees and how much it counts. */
export const VlmSettingsSchema = VlmFields.superRefine(inOrder([["backoff_ms", "max_backoff_ms"]]));

/** VLM settings, defaults applied. */
export type VlmSettings = z.infer<typeof VlmSettingsSchema>;

/** Why the VLM cannot be used with these settings, or undefined when it can. */
export function vlmNotConfiguredReason(settings: VlmSettings): string | undefined {
  const missing = [
    !settings.base_url && "quality.vlm.base_url (MLOPS_VLM_BASE_URL)",
    !settings.model && "quality.vlm.model (MLOPS_VLM_MODEL)",
  ].filter(Boolean);
  return missing.length ? `not configured: set ${missing.join(" and ")}` : undefined;
}
