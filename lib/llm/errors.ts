/**
 * What went wrong with one call through ChatOpenAI, in the words of the reports, and
 * whether another attempt may help. The statuses retried are the ones the openai SDK's
 * own `shouldRetry` retries (408, 409, 429, 5xx, and an `x-should-retry` header wins);
 * timeouts and dropped connections are retried too.
 */
import type { LlmFailure, LlmRetryPolicy } from "./types.ts";

function header(err: object, name: string): string | undefined {
  const headers = (err as { headers?: unknown }).headers;
  if (headers && typeof (headers as Headers).get === "function")
    return (headers as Headers).get(name) ?? undefined;
  if (headers && typeof headers === "object")
    return (headers as Record<string, string | undefined>)[name];
  return undefined;
}

/** One line, without LangChain's troubleshooting link, bounded for a report. */
function oneLine(message: string, max = 300): string {
  return message
    .replace(/Troubleshooting URL:\s*\S+/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, max);
}

function retryAfterMs(err: object): number | undefined {
  const ms = Number(header(err, "retry-after-ms"));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = header(err, "retry-after");
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Whether an HTTP status is worth another attempt, as the openai SDK decides it. */
function retryableStatus(err: object, status: number): boolean {
  const hint = header(err, "x-should-retry");
  if (hint === "true" || hint === "false") return hint === "true";
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Classifies an error thrown by one structured-output call (`timeoutMs`: the attempt's limit). */
export function classifyLlmError(err: unknown, timeoutMs: number): LlmFailure {
  const e = (err && typeof err === "object" ? err : { message: String(err) }) as {
    status?: unknown;
    name?: string;
    message?: string;
    code?: string;
    cause?: { code?: string };
    constructor?: { name?: string };
  };
  const message = oneLine(e.message ?? String(err));
  if (typeof e.status === "number") {
    const wait = retryAfterMs(e);
    return {
      outcome: "http_error",
      status: e.status,
      detail: `HTTP ${e.status}: ${message}`,
      retryable: retryableStatus(e, e.status),
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    };
  }
  if (
    e.name === "TimeoutError" ||
    e.name === "AbortError" ||
    e.constructor?.name === "APIConnectionTimeoutError" ||
    /timed? ?out/i.test(message)
  )
    return {
      outcome: "timeout",
      detail: `no answer within ${timeoutMs} ms (timeout)`,
      retryable: true,
    };
  if (
    e.constructor?.name === "APIConnectionError" ||
    e.code === "ECONNREFUSED" ||
    e.cause?.code === "ECONNREFUSED" ||
    /connection/i.test(message)
  )
    return {
      outcome: "network_error",
      detail: `cannot reach the endpoint: ${message}`,
      retryable: true,
    };
  // From here on the model answered, but not in the required shape.
  const invalid = (detail: string): LlmFailure => ({
    outcome: "invalid_answer",
    detail,
    retryable: true,
  });
  const issues = (err as { issues?: Array<{ path?: PropertyKey[]; message?: string }> }).issues;
  if (Array.isArray(issues))
    return invalid(
      `the answer is outside the schema: ${issues
        .slice(0, 5)
        .map((i) => `${(i.path ?? []).map(String).join(".") || "(root)"}: ${i.message ?? ""}`)
        .join("; ")}`,
    );
  if (e.name === "SyntaxError" || /not valid JSON/i.test(message))
    return invalid(`the answer is not valid JSON: ${message}`);
  if (e.constructor?.name === "OutputParserException")
    return invalid(`the answer is outside the schema: ${message}`);
  return invalid(`invalid answer: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${message}`);
}

/** The wait before retry number `retry` (1-based): Retry-After wins, both capped. */
export function retryWaitMs(failure: LlmFailure, retry: number, policy: LlmRetryPolicy): number {
  const backoff = policy.backoffMs * 2 ** (retry - 1);
  return Math.min(policy.maxBackoffMs, failure.retryAfterMs ?? backoff);
}
