/**
 * The GitHub client the pipeline uses: Octokit from @actions/github, pointed at an
 * explicit API root, with retries the REST API needs in practice. GitHub answers 502/503/504
 * under load and 403/429 when a rate limit is hit; both clear up by waiting, so the
 * client waits (bounded) rather than failing a promotion after the model was trained.
 * Retrying a create that succeeded but whose answer was lost is safe here because the
 * callers reconcile "already exists" answers (see promotion.ts).
 */
import { getOctokit } from "@actions/github";
import pRetry from "p-retry";

/** The Octokit instance with REST methods and pagination. */
export type Octokit = ReturnType<typeof getOctokit>;

/** A client bound to one repository. */
export interface GitHubClient {
  octokit: Octokit;
  owner: string;
  repo: string;
}

/** How the client retries. */
export interface RetryPolicy {
  /** Retries per request after the first attempt. */
  maxRetries: number;
  /** The longest single wait; a rate limit resetting later fails at once with a clear error. */
  maxWaitMs: number;
  /** First backoff for server errors; doubles each retry. */
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: (message: string) => void;
}

/** Options of `createGitHubClient`. */
export interface GitHubClientOptions {
  token: string;
  /** The API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  owner: string;
  repo: string;
  retry?: Partial<RetryPolicy>;
}

/** An HTTP failure as Octokit reports it (RequestError): status plus the response. */
export interface RequestFailure {
  status: number;
  message: string;
  response?: { headers: Record<string, string | number | undefined>; data?: unknown };
}

/** A rate limit that resets later than the client is willing to wait. */
export class GitHubRateLimitError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = "GitHubRateLimitError";
  }
}

/** What to do after a failed attempt. */
export type RetryDecision =
  { retry: true; waitMs: number; reason: string } | { retry: false; tooLong?: string };

const DEFAULTS: RetryPolicy = {
  maxRetries: 4,
  maxWaitMs: 120_000,
  baseDelayMs: 1_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  log: (message) => console.warn(message),
};

/** Whether `err` is an HTTP failure from Octokit (it carries a numeric `.status`). */
export function isRequestFailure(err: unknown): err is RequestFailure {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as { status?: unknown }).status === "number"
  );
}

/** Whether `err` is an HTTP failure with `status` whose message or errors match `pattern`. */
export function isGitHubError(err: unknown, status: number, pattern?: RegExp): boolean {
  if (!isRequestFailure(err) || err.status !== status) return false;
  if (!pattern) return true;
  const data = err.response?.data as
    { message?: string; errors?: { message?: string; code?: string }[] } | undefined;
  const texts = [
    err.message,
    data?.message,
    ...(data?.errors ?? []).flatMap((e) => [e.message, e.code]),
  ];
  return texts.some((t) => typeof t === "string" && pattern.test(t));
}

/**
 * Pure: whether and how long to wait after `failure` on attempt `attempt` (0-based).
 * Server errors back off exponentially; a rate limit waits for `retry-after`, else for
 * `x-ratelimit-reset` (plus a second of clock skew), else a minute (GitHub's advice for
 * secondary limits without headers).
 */
export function retryDecision(
  failure: RequestFailure,
  attempt: number,
  policy: Pick<RetryPolicy, "maxRetries" | "maxWaitMs" | "baseDelayMs" | "now">,
): RetryDecision {
  if (attempt >= policy.maxRetries) return { retry: false };
  const headers = failure.response?.headers ?? {};
  const header = (name: string) =>
    headers[name] === undefined ? undefined : String(headers[name]);
  // Octokit reports a connection failure as status 500 without a response.
  const transient =
    [502, 503, 504].includes(failure.status) || (failure.status === 500 && !failure.response);
  if (transient) {
    return {
      retry: true,
      waitMs: Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxWaitMs),
      reason: `GitHub answered ${failure.status}`,
    };
  }
  const limited =
    failure.status === 429 ||
    (failure.status === 403 &&
      (header("x-ratelimit-remaining") === "0" ||
        header("retry-after") !== undefined ||
        /rate limit/i.test(failure.message)));
  if (!limited) return { retry: false };
  let waitMs = 60_000;
  let until = "in a minute";
  const retryAfter = Number(header("retry-after"));
  const reset = Number(header("x-ratelimit-reset"));
  if (header("retry-after") !== undefined && Number.isFinite(retryAfter)) {
    waitMs = retryAfter * 1000;
    until = `after ${retryAfter} s (retry-after)`;
  } else if (header("x-ratelimit-remaining") === "0" && Number.isFinite(reset)) {
    waitMs = Math.max(reset * 1000 - policy.now() + 1000, 0);
    until = `at ${new Date(reset * 1000).toISOString()} (x-ratelimit-reset)`;
  }
  if (waitMs > policy.maxWaitMs) {
    return {
      retry: false,
      tooLong: `GitHub rate limit hit (${failure.status}); it resets ${until}, later than this run waits (${Math.round(policy.maxWaitMs / 1000)} s): rerun after the reset, or use a token with a higher limit`,
    };
  }
  return { retry: true, waitMs, reason: `GitHub rate limit (${failure.status}), resets ${until}` };
}

/**
 * A client for `owner/repo` at `baseUrl`. The retry hook wraps every request, pagination
 * pages and uploads included; `retry.sleep`/`retry.now` let tests skip the waiting.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const policy: RetryPolicy = { ...DEFAULTS, ...options.retry };
  // baseUrl is passed explicitly: @actions/github reads GITHUB_API_URL at import time,
  // which would silently send a test's (or GHES's) requests to api.github.com.
  const octokit = getOctokit(options.token, { baseUrl: options.baseUrl.replace(/\/$/, "") });
  octokit.hook.wrap("request", async (request, requestOptions) => {
    // p-retry drives the attempts; retryDecision says whether and how long to wait (GitHub's
    // rate-limit headers included), so p-retry's own delay is off.
    const decisions = new WeakMap<object, RetryDecision>();
    const decide = (err: unknown, attempt: number): RetryDecision => {
      if (!isRequestFailure(err)) return { retry: false };
      const known = decisions.get(err);
      if (known) return known;
      const decision = retryDecision(err, attempt, policy);
      decisions.set(err, decision);
      return decision;
    };
    try {
      return await pRetry(() => request(requestOptions), {
        retries: policy.maxRetries,
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: ({ error, attemptNumber }) => decide(error, attemptNumber - 1).retry,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          const decision = decide(error, attemptNumber - 1);
          if (!decision.retry) return;
          policy.log(
            `${decision.reason} on ${requestOptions.method} ${requestOptions.url}; retry ${attemptNumber}/${policy.maxRetries} in ${Math.round(decision.waitMs / 100) / 10} s`,
          );
          await policy.sleep(decision.waitMs);
        },
      });
    } catch (err) {
      const decision = isRequestFailure(err) ? decisions.get(err) : undefined;
      if (decision && !decision.retry && decision.tooLong)
        throw new GitHubRateLimitError(decision.tooLong, (err as RequestFailure).status, {
          cause: err,
        });
      throw err;
    }
  });
  return { octokit, owner: options.owner, repo: options.repo };
}

/** Splits `GITHUB_REPOSITORY` ("owner/repo"), with an error naming the variable. */
export function parseRepository(
  value: string,
  source = "GITHUB_REPOSITORY",
): { owner: string; repo: string } {
  const m = value.trim().match(/^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/);
  if (!m) throw new Error(`${source} must be "owner/repo"; received "${value}"`);
  return { owner: m[1]!, repo: m[2]! };
}

/**
 * The one way a GitHub client is built from an environment: `GITHUB_TOKEN` and
 * `GITHUB_REPOSITORY` ("owner/repo"), at `GITHUB_API_URL` (GHES, or a test's server).
 * Undefined without a token; a token without a repository is an error that says how to fix it.
 */
export function gitHubClientFromEnv(
  env: Record<string, string | undefined>,
  retry?: Partial<RetryPolicy>,
): GitHubClient | undefined {
  const token = env.GITHUB_TOKEN?.trim() || undefined;
  const repository = env.GITHUB_REPOSITORY?.trim() || undefined;
  if (!token) return undefined;
  if (!repository)
    throw new Error(
      'GITHUB_TOKEN is set but GITHUB_REPOSITORY is not: set it to "owner/repo" to use GitHub, or unset GITHUB_TOKEN to work on local branches',
    );
  return createGitHubClient({
    token,
    baseUrl: env.GITHUB_API_URL?.trim() || "https://api.github.com",
    ...parseRepository(repository),
    ...(retry ? { retry } : {}),
  });
}

/** The most characters GitHub takes in an issue, pull request or comment body (422 "body is too long"). */
export const GITHUB_BODY_LIMIT = 65536;

const count = (n: number) => n.toLocaleString("en-US");

/** Pure: what is left out when `text` is cut at `at`, by its Markdown headings. */
function leftOut(text: string, at: number): string {
  const headings = [...text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)];
  const current = headings.filter((h) => h.index < at).pop();
  const after = headings.filter((h) => h.index >= at).map((h) => `"${h[1]}"`);
  const sections =
    after.length > 4
      ? `${after.slice(0, 4).join(", ")} and ${after.length - 4} more`
      : after.join(", ");
  return [
    current && `the rest of "${current[1]}"`,
    after.length && `the section${after.length > 1 ? "s" : ""} ${sections}`,
  ]
    .filter(Boolean)
    .join(" and ");
}

/**
 * Pure: `text` within `limit` characters (GitHub's, or less to leave room for a prefix).
 * Longer text is cut at a line break and ends with a line saying how much was left out,
 * which sections, and where the whole is (`fullReport`); a code fence left open by the cut
 * is closed first so that line reads as text.
 */
export function fitToBodyLimit(
  text: string,
  fullReport: string,
  limit = GITHUB_BODY_LIMIT,
): string {
  if (text.length <= limit) return text;
  const note = (kept: number) => {
    const what = leftOut(text, kept);
    return `\n\n---\n**Cut to fit GitHub's limit of ${count(GITHUB_BODY_LIMIT)} characters:** ${count(text.length - kept)} of ${count(text.length)} characters are left out${what ? ` (${what})` : ""}. The full report: ${fullReport}.\n`;
  };
  let room = note(0).length + 8;
  while (room < limit) {
    let kept = text.slice(0, limit - room);
    const lineEnd = kept.lastIndexOf("\n");
    if (lineEnd > kept.length / 2) kept = kept.slice(0, lineEnd);
    const fences = kept.match(/^[ \t]*(`{3,}|~{3,})/gm) ?? [];
    const close = fences.length % 2 ? `\n${fences[fences.length - 1]!.trim()}` : "";
    const out = kept + close + note(kept.length);
    if (out.length <= limit) return out;
    room += out.length - limit;
  }
  return note(0).slice(0, limit);
}
