/**
 * When a GitHub call is retried and how long it waits: server errors back off
 * exponentially, rate limits wait for their reset, and refusals are not retried.
 */
import { describe, expect, it } from "vitest";
import { retryDecision } from "../../lib/github/client.ts";

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

describe("retryDecision", () => {
  const policy = { maxRetries: 3, maxWaitMs: 60_000, baseDelayMs: 500, now: () => NOW };
  it("backs off exponentially on server errors and stops after maxRetries", () => {
    const failure = { status: 504, message: "Gateway Timeout", response: { headers: {} } };
    expect([0, 1, 2, 3].map((a) => retryDecision(failure, a, policy))).toMatchObject([
      { retry: true, waitMs: 500 },
      { retry: true, waitMs: 1000 },
      { retry: true, waitMs: 2000 },
      { retry: false },
    ]);
  });
  it("retries a connection failure (500 without a response) but not a 500 answer", () => {
    expect(retryDecision({ status: 500, message: "ECONNRESET" }, 0, policy)).toMatchObject({
      retry: true,
    });
    expect(
      retryDecision({ status: 500, message: "boom", response: { headers: {} } }, 0, policy),
    ).toEqual({ retry: false });
  });
  it("does not retry a 403 that is not a rate limit, nor a 404 or 422", () => {
    for (const status of [403, 404, 422])
      expect(
        retryDecision(
          {
            status,
            message: "Resource not accessible by integration",
            response: { headers: { "x-ratelimit-remaining": "4000" } },
          },
          0,
          policy,
        ),
      ).toEqual({ retry: false });
  });
  it("waits a minute for a secondary rate limit without headers", () => {
    expect(
      retryDecision(
        {
          status: 403,
          message: "You have exceeded a secondary rate limit",
          response: { headers: {} },
        },
        0,
        policy,
      ),
    ).toMatchObject({ retry: true, waitMs: 60_000 });
  });
});
