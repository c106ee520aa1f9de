/**
 * Bounded retries of alert deliveries: a server's retry-after is honoured up to the cap,
 * a 4xx is not retried, and retry-after is read as seconds or an HTTP date.
 */
import { describe, expect, it } from "vitest";
import { HttpStatusError, parseRetryAfter, withRetry } from "../../lib/notify/index.ts";

describe("retry", () => {
  it("honours retry-after up to the cap, and stops on a 4xx", async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    let n = 0;
    const out = await withRetry(
      async () => {
        if (n++ < 2) throw new HttpStatusError("429", 429, n === 1 ? 2_000 : 120_000);
        return "sent";
      },
      { retries: 3, sleep, maxDelayMs: 30_000 },
    );
    expect(out).toBe("sent");
    expect(sleeps).toEqual([2_000, 30_000]);

    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpStatusError("404", 404);
        },
        { retries: 3, sleep },
      ),
    ).rejects.toThrow("404");
    expect(calls).toBe(1);
  });

  it("reads retry-after as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(
      parseRetryAfter("Wed, 01 Jan 2031 00:00:10 GMT", Date.parse("Wed, 01 Jan 2031 00:00:00 GMT")),
    ).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});
