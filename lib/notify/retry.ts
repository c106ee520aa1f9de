/**
 * Bounded retries for alert deliveries. A lost alert costs more than a duplicate, so a
 * dropped connection, a timeout, a 429 or a 5xx is tried again with exponential backoff;
 * a 4xx (bad URL, bad payload, no permission) is not, since repeating it cannot help.
 */
import pRetry from "p-retry";

/** A webhook answered with a non-2xx status; `retryAfterMs` from its `retry-after` header. */
export class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "HttpStatusError";
  }
}

/** How retries behave. */
export interface RetryOptions {
  /** Further attempts after the first. */
  retries: number;
  /** First backoff; doubled each attempt. */
  baseDelayMs?: number;
  /** Cap of any one wait, including a server's `retry-after`, so an alert is not held for minutes. */
  maxDelayMs?: number;
  /** Injectable so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Told about each failed attempt that will be retried. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails permanently, or the retries are spent (then
 * rethrows the last error). p-retry drives the attempts; its own delay is off, so the
 * wait follows this backoff and the server's `retry-after`, through an injectable sleep.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { retries, baseDelayMs = 500, maxDelayMs = 30_000, sleep = sleepReal, onRetry } = options;
  return pRetry((attemptNumber) => attempt(attemptNumber - 1), {
    retries,
    minTimeout: 0,
    maxTimeout: 0,
    shouldRetry: ({ error }) => isRetryable(error),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (!retriesLeft || !isRetryable(error)) return;
      const hinted = retryAfterOf(error);
      const delay = Math.min(maxDelayMs, hinted ?? baseDelayMs * 2 ** (attemptNumber - 1));
      onRetry?.(error, attemptNumber, delay);
      await sleep(delay);
    },
  });
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  // nodemailer's connection-level codes
  "ECONNECTION",
  "ESOCKET",
  "EDNS",
]);

/** Whether another attempt may succeed: network trouble, timeouts, 429, 5xx, SMTP 4xx replies. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as {
    name?: string;
    code?: string;
    status?: number;
    responseCode?: number;
    cause?: unknown;
  };
  if (typeof e.status === "number") return e.status === 429 || e.status >= 500;
  // SMTP: 4xx replies are transient by definition (RFC 5321), 5xx permanent.
  if (typeof e.responseCode === "number") return e.responseCode >= 400 && e.responseCode < 500;
  if (e.name === "TimeoutError" || e.name === "AbortError") return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  // fetch wraps socket errors: TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }).
  if (e.name === "TypeError" && e.cause !== undefined) return true;
  return e.cause !== undefined && isRetryable(e.cause);
}

function retryAfterOf(error: unknown): number | null {
  if (error instanceof HttpStatusError) return error.retryAfterMs;
  // Octokit's HttpError carries the response headers.
  const headers = (
    error as { response?: { headers?: Record<string, string | number | undefined> } } | null
  )?.response?.headers;
  const value = headers?.["retry-after"];
  return value === undefined ? null : parseRetryAfter(String(value));
}

/** `retry-after` as milliseconds: delta-seconds or an HTTP date; null when unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
