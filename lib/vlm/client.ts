/**
 * The VLM reviewer over any OpenAI-compatible endpoint, through the one LLM client
 * (lib/llm/client.ts) and its structured output. 408, 409, 429, 5xx, timeouts, network
 * errors and invalid answers are retried with exponential backoff (Retry-After wins),
 * never past `max_retries` nor past the images budget, and each attempt is recorded.
 * Whatever happens, `review` resolves: a VLM that cannot give a valid answer is a
 * `not consulted` outcome with the reason, and the deterministic score stands.
 */
import { createLlmClient } from "../llm/client.ts";
import { reviewMessages } from "./prompt.ts";
import { matchAnswer, VlmAnswerSchema } from "./schema.ts";
import { VLM_API_KEY_ENV, type VlmSettings, vlmNotConfiguredReason } from "./settings.ts";
import type { VlmReview, VlmReviewer } from "./types.ts";

/** Options of `createVlmReviewer` beyond the settings. */
export interface VlmClientOptions {
  /** The endpoint's key; local servers (vLLM, Ollama) accept any. */
  apiKey?: string;
  /** Waits between attempts; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

/** An answer that passed `matchAnswer`: the per-image reviews keyed back to the sample. */
type MatchedAnswer = Extract<ReturnType<typeof matchAnswer>, { ok: true }>;

/** A reviewer that talks to `settings.base_url`; call only with configured settings. */
export function createVlmReviewer(settings: VlmSettings, opts: VlmClientOptions = {}): VlmReviewer {
  const model = settings.model!;
  const client = createLlmClient(
    {
      baseUrl: settings.base_url!,
      model,
      apiKey: opts.apiKey,
      timeoutMs: settings.timeout_ms,
      temperature: 0,
    },
    {
      maxRetries: settings.max_retries,
      backoffMs: settings.backoff_ms,
      maxBackoffMs: settings.max_backoff_ms,
      retryInvalidAnswers: true,
      sleep: opts.sleep,
    },
  );

  return {
    model,
    async review({ labels, images }): Promise<VlmReview> {
      const sample = images.slice(0, Math.min(settings.sample_size, settings.max_images_budget));
      if (!sample.length)
        return {
          consulted: false,
          model,
          reason: "no image passed the deterministic checks, so there was nothing to show it",
          attempts: [],
        };
      const ids = sample.map((img, i) => ({
        id: `img_${i + 1}`,
        key: img.key,
        label: img.label,
        jpeg: img.jpeg,
      }));
      const asked = await client.ask<MatchedAnswer>({
        messages: reviewMessages(labels, ids),
        schema: VlmAnswerSchema,
        name: "image_review",
        method: settings.method,
        check: (answer) => {
          const matched = matchAnswer(answer, ids);
          return matched.ok
            ? { ok: true, value: matched }
            : { ok: false, problem: `invalid answer: ${matched.problem}` };
        },
        // Every attempt sends the whole sample: the budget bounds what retries may cost.
        beforeRetry: (attempt) => {
          const sent = attempt * sample.length;
          return sent > settings.max_images_budget
            ? `stopped: another attempt would send ${sent} images, over the budget of ${settings.max_images_budget}`
            : undefined;
        },
        onAttempt: (a) => {
          if (a.outcome !== "ok")
            opts.log?.(`validate_data: VLM attempt ${a.attempt} failed: ${a.detail}`);
        },
      });
      const attempts = asked.attempts.map((a) => ({ ...a, images: sample.length }));
      const matched = asked.value;
      if (matched)
        return {
          consulted: true,
          model,
          reported_score: matched.score,
          sampled: sample.length,
          ok_images: matched.images.filter((i) => i.clear_mango_photo && i.label_plausible).length,
          issues: matched.issues,
          images: matched.images,
          attempts,
        };
      if (asked.stopped)
        return { consulted: false, model, reason: `${asked.error}; ${asked.stopped}`, attempts };
      const tries = attempts.length === 1 ? "1 attempt" : `${attempts.length} attempts`;
      return { consulted: false, model, reason: `${asked.error} (${tries})`, attempts };
    },
  };
}

/**
 * The reviewer the settings ask for, or the reason there is none. The key comes from the
 * environment only (`MLOPS_VLM_API_KEY`): mlops.config.json is committed.
 */
export function vlmReviewerFromSettings(
  settings: VlmSettings,
  env: NodeJS.ProcessEnv = process.env,
  opts: Omit<VlmClientOptions, "apiKey"> = {},
): VlmReviewer | { reason: string } {
  const reason = vlmNotConfiguredReason(settings);
  if (reason) return { reason };
  return createVlmReviewer(settings, { ...opts, apiKey: env[VLM_API_KEY_ENV] });
}
