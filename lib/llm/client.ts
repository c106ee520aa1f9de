/**
 * The one client for OpenAI-compatible chat models, used by the LLM analyst and the VLM
 * reviewer: @langchain/openai's ChatOpenAI speaks the wire format and asks for structured
 * output; p-retry drives the attempts.
 *
 * Why not ChatOpenAI's own `maxRetries`: ChatOpenAI always builds the openai SDK client
 * with `maxRetries: 0` and retries in LangChain's AsyncCaller instead, whose backoff is
 * fixed (1 s doubling, with jitter), which records nothing per attempt, and which retries
 * a malformed answer under `jsonSchema` but not under `functionCalling`. The reports need
 * each attempt, the VLM needs its images budget and its configured backoff, and both need
 * one rule for what is retried (errors.ts). So the SDK makes exactly one request per
 * attempt, each with its own `timeout`, and the policy here is the only retry loop.
 */
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { ChatOpenAI } from "@langchain/openai";
import pRetry from "p-retry";
import { classifyLlmError, retryWaitMs } from "./errors.ts";
import type {
  LlmAnswer,
  LlmAttempt,
  LlmClient,
  LlmEndpoint,
  LlmFailure,
  LlmRetryPolicy,
  StructuredQuestion,
} from "./types.ts";

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A failed attempt as p-retry sees it: the classified failure rides along. */
class AttemptFailed extends Error {
  constructor(readonly failure: LlmFailure) {
    super(failure.detail);
    this.name = "AttemptFailed";
  }
}

/**
 * A chat model at `endpoint` under `retry`. `ask` never throws for the endpoint's sake:
 * whatever happens comes back as the attempts and the last error.
 */
export function createLlmClient(endpoint: LlmEndpoint, retry: LlmRetryPolicy): LlmClient {
  const sleep = retry.sleep ?? defaultSleep;
  return {
    model: endpoint.model,
    baseUrl: endpoint.baseUrl,
    async ask<V>(question: StructuredQuestion<V>): Promise<LlmAnswer<V>> {
      const started = performance.now();
      const attempts: LlmAttempt[] = [];
      let raw: string | null = null;
      // What the retry hooks learn, read once p-retry is done.
      const seen = { last: null as LlmFailure | null, stopped: null as string | null };
      // Keeps each attempt's body as it came, even when the SDK then fails to parse it.
      // Read inside the SDK's fetch, so its per-attempt timeout covers the body too.
      const capture: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        raw = await res.clone().text();
        return res;
      };
      const chat = new ChatOpenAI({
        model: endpoint.model,
        // A local vLLM/Ollama needs no key, but the client insists on one.
        apiKey: endpoint.apiKey || "not-set",
        timeout: endpoint.timeoutMs,
        maxRetries: 0, // one request per attempt: the retries are the policy's, below
        ...(endpoint.temperature === undefined ? {} : { temperature: endpoint.temperature }),
        configuration: { baseURL: endpoint.baseUrl, fetch: capture },
      });
      const schema = question.schema as Parameters<typeof chat.withStructuredOutput>[0];
      const structured = chat.withStructuredOutput(schema, {
        name: question.name,
        ...(question.method ? { method: question.method } : {}),
      });
      const record = (attempt: number, t0: number, result: Omit<LlmAttempt, "attempt" | "ms">) => {
        const entry: LlmAttempt = { attempt, ...result, ms: Math.round(performance.now() - t0) };
        attempts.push(entry);
        question.onAttempt?.(entry);
      };

      const once = async (attempt: number): Promise<V> => {
        raw = null;
        const t0 = performance.now();
        let failure: LlmFailure;
        try {
          const parsed: unknown = await structured.invoke(
            question.messages as BaseLanguageModelInput,
            {
              // A backstop should a stalled response outlive the SDK's own timeout.
              signal: AbortSignal.timeout(endpoint.timeoutMs + 1000),
            },
          );
          const checked = question.check(parsed);
          if (checked.ok) {
            record(attempt, t0, { outcome: "ok", detail: "valid answer" });
            return checked.value;
          }
          failure = { outcome: "invalid_answer", detail: checked.problem, retryable: true };
        } catch (err) {
          failure = classifyLlmError(err, endpoint.timeoutMs);
        }
        const { outcome, status, detail } = failure;
        record(attempt, t0, { outcome, ...(status === undefined ? {} : { status }), detail });
        throw new AttemptFailed(failure);
      };

      const worthRetrying = (f: LlmFailure) =>
        f.outcome === "invalid_answer" ? retry.retryInvalidAnswers : f.retryable;
      let answer: { value: V } | null = null;
      try {
        answer = {
          value: await pRetry(once, {
            retries: retry.maxRetries,
            // p-retry's own delay is off: the wait follows the policy and Retry-After, below.
            minTimeout: 0,
            onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
              const failure = (error as AttemptFailed).failure;
              seen.last = failure;
              if (!retriesLeft || !worthRetrying(failure)) return;
              seen.stopped = question.beforeRetry?.(attemptNumber + 1) ?? null;
              if (!seen.stopped) await sleep(retryWaitMs(failure, attemptNumber, retry));
            },
            shouldRetry: ({ error }) =>
              worthRetrying((error as AttemptFailed).failure) && !seen.stopped,
          }),
        };
      } catch (err) {
        if (!(err instanceof AttemptFailed)) throw err;
      }
      return {
        value: answer ? answer.value : null,
        attempts,
        error: answer ? null : (seen.last?.detail ?? "no attempt made"),
        stopped: seen.stopped,
        raw,
        elapsed_ms: Math.round(performance.now() - started),
      };
    },
  };
}
