/**
 * Asking the LLM analyst over the wire, through the one LLM client (lib/llm/client.ts):
 * one structured-output question, asked again after a 408, 409, 429 or 5xx, a timeout or
 * a dropped connection, with exponential backoff, up to `max_retries` times. An answer
 * that is not valid JSON or is outside the schema is not asked again: the rule-based
 * analyst decides (guardrails.ts).
 */
import type { AnalystSettings } from "../config.ts";
import { createLlmClient } from "../llm/client.ts";
import type { Checked } from "../llm/types.ts";
import {
  type AnalystAnswer,
  AnalystAnswerSchema,
  type AnalystLlm,
  type AnalystPrompt,
  type LlmOutcome,
} from "./llm.ts";

/** How the analyst waits between retries; tests shorten it. */
export interface AnalystRetryOptions {
  /** First backoff; doubles each retry (a Retry-After header wins). Default 1 s. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Cap of any one wait, Retry-After included: the run waits for no analyst longer. */
const MAX_BACKOFF_MS = 30_000;

/** The schema alone lets "" and [] through; an answer must say why and on what. */
function checkAnswer(value: unknown): Checked<AnalystAnswer> {
  const answer = AnalystAnswerSchema.parse(value);
  if (!answer.reason.trim())
    return { ok: false, problem: "the answer is outside the schema: empty reason" };
  if (!answer.relied_on.length)
    return { ok: false, problem: "the answer is outside the schema: relied_on is empty" };
  return { ok: true, value: answer };
}

/** The analyst at `settings.base_url`; `apiKey` from the environment (MLOPS_LLM_API_KEY). */
export function createAnalystLlm(
  settings: AnalystSettings & { base_url: string },
  opts: AnalystRetryOptions & { apiKey?: string } = {},
): AnalystLlm {
  const client = createLlmClient(
    {
      baseUrl: settings.base_url,
      model: settings.model,
      apiKey: opts.apiKey,
      timeoutMs: settings.timeout_ms,
    },
    {
      maxRetries: settings.max_retries,
      backoffMs: opts.backoffMs ?? 1000,
      maxBackoffMs: MAX_BACKOFF_MS,
      retryInvalidAnswers: false,
      sleep: opts.sleep,
    },
  );
  return {
    model: settings.model,
    base_url: settings.base_url,
    async ask(prompt: AnalystPrompt): Promise<LlmOutcome> {
      const asked = await client.ask({
        messages: [
          { role: "system", content: prompt.system },
          { role: "user", content: prompt.user },
        ],
        schema: AnalystAnswerSchema,
        name: "release_analysis",
        check: checkAnswer,
      });
      return {
        model: settings.model,
        base_url: settings.base_url,
        answer: asked.value,
        raw: asked.raw,
        attempts: asked.attempts.length,
        error: asked.error,
        elapsed_ms: asked.elapsed_ms,
      };
    },
  };
}

/** Asks once (with the policy's retries). Never throws: every failure comes back as `error`. */
export function askAnalyst(
  prompt: AnalystPrompt,
  settings: AnalystSettings & { base_url: string },
  apiKey: string | undefined,
  retry: AnalystRetryOptions = {},
): Promise<LlmOutcome> {
  return createAnalystLlm(settings, { ...retry, apiKey }).ask(prompt);
}
