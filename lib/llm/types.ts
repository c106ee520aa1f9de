/**
 * The vocabulary of the one LLM client (client.ts) that the LLM analyst and the VLM
 * reviewer share, free of any client library: reports and tests depend on these shapes.
 */

/** Where an OpenAI-compatible chat model is, and how long one attempt may take. */
export interface LlmEndpoint {
  /** e.g. https://api.openai.com/v1, or a local vLLM/Ollama at http://127.0.0.1:8000/v1. */
  baseUrl: string;
  model: string;
  /** The endpoint's key; local servers accept any, so a placeholder is sent when unset. */
  apiKey?: string;
  /** One attempt's limit (each retry gets its own). */
  timeoutMs: number;
  temperature?: number;
}

/** How failed attempts are retried: bounded, with exponential backoff. */
export interface LlmRetryPolicy {
  /** Further attempts after the first. */
  maxRetries: number;
  /** First wait; doubled each retry. */
  backoffMs: number;
  /** Cap of any one wait, a server's Retry-After included. */
  maxBackoffMs: number;
  /** Whether an answer that is not valid JSON, or fails the schema or the caller's check, is asked again. */
  retryInvalidAnswers: boolean;
  /** Waits between attempts; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
}

/** How one attempt ended. */
export type LlmAttemptOutcome =
  "ok" | "http_error" | "timeout" | "invalid_answer" | "network_error";

/** One request to the model and how it ended, for the reports. */
export interface LlmAttempt {
  attempt: number;
  outcome: LlmAttemptOutcome;
  /** The HTTP status of an `http_error`. */
  status?: number;
  detail: string;
  ms: number;
}

/** A failed attempt, classified: what went wrong and whether another attempt may help. */
export interface LlmFailure {
  outcome: Exclude<LlmAttemptOutcome, "ok">;
  status?: number;
  detail: string;
  /** Worth another attempt as far as the transport goes (invalid answers: the policy decides). */
  retryable: boolean;
  /** What the server's Retry-After asked for. */
  retryAfterMs?: number;
}

/** Our own verdict on a parsed answer, beyond what the SDK checked. */
export type Checked<V> = { ok: true; value: V } | { ok: false; problem: string };

/** One question with a structured answer. */
export interface StructuredQuestion<V> {
  /** The chat messages (LangChain message objects or `{ role, content }`). */
  messages: unknown[];
  /** The answer's schema (zod), sent as a JSON schema or a function's parameters. */
  schema: object;
  /** The schema's name at the endpoint (response format or function name). */
  name: string;
  method?: "jsonSchema" | "functionCalling";
  /** Validates the parsed answer; a problem (or a thrown ZodError) makes it an invalid answer. */
  check: (answer: unknown) => Checked<V>;
  /** Before each retry: a reason not to make it (a cost budget), or undefined to go on. */
  beforeRetry?: (attempt: number) => string | undefined;
  /** Told about each attempt as it ends. */
  onAttempt?: (attempt: LlmAttempt) => void;
}

/** What asking produced. Never an exception: a failure is data for the report. */
export interface LlmAnswer<V> {
  /** The checked answer; null when no attempt gave one. */
  value: V | null;
  attempts: LlmAttempt[];
  /** The last failure's detail; null with a value. */
  error: string | null;
  /** Why retrying stopped before the retries were spent (see `beforeRetry`); else null. */
  stopped: string | null;
  /** The last attempt's HTTP response body exactly as received (null when none arrived). */
  raw: string | null;
  elapsed_ms: number;
}

/** A chat model at one endpoint, under one retry policy. */
export interface LlmClient {
  readonly model: string;
  readonly baseUrl: string;
  ask<V>(question: StructuredQuestion<V>): Promise<LlmAnswer<V>>;
}
