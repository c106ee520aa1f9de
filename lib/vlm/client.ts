/**
 * The VLM reviewer over any OpenAI-compatible endpoint, through @langchain/openai's
 * structured output. Retries are ours (LangChain's are off), so the policy is visible and
 * bounded: 429, 5xx, timeouts, network errors and invalid answers are retried with
 * exponential backoff (Retry-After wins), never past `max_retries` nor past the images
 * budget. Whatever happens, `review` resolves: a VLM that cannot give a valid answer is a
 * `not consulted` outcome with the reason, and the deterministic score stands.
 */
import { ChatOpenAI } from "@langchain/openai";
import { reviewMessages } from "./prompt.ts";
import { matchAnswer, VlmAnswerSchema } from "./schema.ts";
import { VLM_API_KEY_ENV, type VlmSettings, vlmNotConfiguredReason } from "./settings.ts";
import type { VlmAttempt, VlmReview, VlmReviewer } from "./types.ts";

/** Options of `createVlmReviewer` beyond the settings. */
export interface VlmClientOptions {
  /** The endpoint's key; local servers (vLLM, Ollama) accept any. */
  apiKey?: string;
  /** Waits between attempts; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

type Classified = Pick<VlmAttempt, "outcome" | "status" | "detail"> & {
  retry: boolean;
  retryAfterMs?: number;
};

function header(err: object, name: string): string | undefined {
  const headers = (err as { headers?: unknown }).headers;
  if (headers && typeof (headers as Headers).get === "function")
    return (headers as Headers).get(name) ?? undefined;
  if (headers && typeof headers === "object")
    return (headers as Record<string, string | undefined>)[name];
  return undefined;
}

/** What went wrong with a call, and whether another attempt may help. */
export function classifyError(err: unknown): Classified {
  const e = (err && typeof err === "object" ? err : { message: String(err) }) as {
    status?: unknown;
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string };
  };
  const issues = (err as { issues?: Array<{ path?: PropertyKey[]; message?: string }> }).issues;
  // A ZodError's message is its issues as multi-line JSON: say them in one line instead.
  const message = Array.isArray(issues)
    ? `the answer does not follow the schema: ${issues
        .slice(0, 3)
        .map((i) => `${(i.path ?? []).map(String).join(".") || "(root)"}: ${i.message ?? ""}`)
        .join("; ")}`
    : (e.message ?? String(err)).replace(/\s+/g, " ").trim().slice(0, 200);
  if (typeof e.status === "number") {
    const retryAfter = Number(header(e, "retry-after"));
    return {
      outcome: "http_error",
      status: e.status,
      detail: `HTTP ${e.status}: ${message}`,
      retry: e.status === 429 || e.status === 408 || e.status >= 500,
      ...(Number.isFinite(retryAfter) && retryAfter >= 0
        ? { retryAfterMs: retryAfter * 1000 }
        : {}),
    };
  }
  if (e.name === "TimeoutError" || e.name === "AbortError" || /timed? ?out/i.test(message))
    return { outcome: "timeout", detail: `no answer in time (${message})`, retry: true };
  if (
    e.name === "APIConnectionError" ||
    e.code === "ECONNREFUSED" ||
    e.cause?.code === "ECONNREFUSED" ||
    /connection/i.test(message)
  ) {
    return {
      outcome: "network_error",
      detail: `cannot reach the endpoint: ${message}`,
      retry: true,
    };
  }
  // Output parser and JSON errors: the model answered, but not in the required shape.
  return { outcome: "invalid_answer", detail: `invalid answer: ${message}`, retry: true };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A reviewer that talks to `settings.base_url`; call only with configured settings. */
export function createVlmReviewer(settings: VlmSettings, opts: VlmClientOptions = {}): VlmReviewer {
  const model = settings.model!;
  const sleep = opts.sleep ?? defaultSleep;
  const chat = new ChatOpenAI({
    model,
    apiKey: opts.apiKey || "not-needed",
    configuration: { baseURL: settings.base_url },
    timeout: settings.timeout_ms,
    maxRetries: 0,
    temperature: 0,
  });
  const structured = chat.withStructuredOutput(VlmAnswerSchema, {
    name: "image_review",
    method: settings.method,
  });

  return {
    model,
    async review({ labels, images }): Promise<VlmReview> {
      const attempts: VlmAttempt[] = [];
      const sample = images.slice(0, Math.min(settings.sample_size, settings.max_images_budget));
      if (!sample.length)
        return {
          consulted: false,
          model,
          reason: "no image passed the deterministic checks, so there was nothing to show it",
          attempts,
        };
      const ids = sample.map((img, i) => ({
        id: `img_${i + 1}`,
        key: img.key,
        label: img.label,
        jpeg: img.jpeg,
      }));
      const messages = reviewMessages(labels, ids);
      let spent = 0;
      let last: Classified | undefined;
      for (let attempt = 1; attempt <= settings.max_retries + 1; attempt++) {
        if (spent + sample.length > settings.max_images_budget) {
          return {
            consulted: false,
            model,
            reason: `${last ? `${last.detail}; ` : ""}stopped: another attempt would send ${spent + sample.length} images, over the budget of ${settings.max_images_budget}`,
            attempts,
          };
        }
        spent += sample.length;
        const started = performance.now();
        const record = (c: Pick<VlmAttempt, "outcome" | "status" | "detail">) =>
          attempts.push({
            attempt,
            ...c,
            ms: Math.round(performance.now() - started),
            images: sample.length,
          });
        let answer: unknown;
        try {
          answer = await structured.invoke(messages, {
            signal: AbortSignal.timeout(settings.timeout_ms + 1000),
          });
        } catch (err) {
          last = classifyError(err);
          record(last);
          opts.log?.(`validate_data: VLM attempt ${attempt} failed: ${last.detail}`);
          if (!last.retry) break;
          if (attempt <= settings.max_retries)
            await sleep(
              Math.min(
                settings.max_backoff_ms,
                last.retryAfterMs ?? settings.backoff_ms * 2 ** (attempt - 1),
              ),
            );
          continue;
        }
        const matched = matchAnswer(answer, ids);
        if (!matched.ok) {
          last = {
            outcome: "invalid_answer",
            detail: `invalid answer: ${matched.problem}`,
            retry: true,
          };
          record(last);
          opts.log?.(`validate_data: VLM attempt ${attempt}: ${last.detail}`);
          if (attempt <= settings.max_retries)
            await sleep(
              Math.min(settings.max_backoff_ms, settings.backoff_ms * 2 ** (attempt - 1)),
            );
          continue;
        }
        record({ outcome: "ok", detail: "valid answer" });
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
      }
      const tries = attempts.length === 1 ? "1 attempt" : `${attempts.length} attempts`;
      return {
        consulted: false,
        model,
        reason: `${last?.detail ?? "no attempt made"} (${tries})`,
        attempts,
      };
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
