import { describe, expect, it } from "vitest";
import {
  mcnemarExact,
  pairedStatistics,
  quantileSorted,
  seededRandom,
} from "../../lib/analyst/stats.ts";

const labels = ["verde", "maduro"];

/** n images of class 0; the first `b` only production gets right, the next `c` only the candidate, then `both` right for both. */
function paired(b: number, c: number, both: number, neither = 0) {
  const truth: number[] = [];
  const production: number[] = [];
  const candidate: number[] = [];
  const push = (p: boolean, q: boolean, k: number) => {
    for (let i = 0; i < k; i++) {
      truth.push(0);
      production.push(p ? 0 : 1);
      candidate.push(q ? 0 : 1);
    }
  };
  push(true, false, b);
  push(false, true, c);
  push(true, true, both);
  push(false, false, neither);
  return { truth, production, candidate };
}

describe("McNemar's exact test", () => {
  it("matches the binomial tail computed by hand", () => {
    // n = 10 discordant, min = 1: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024.
    expect(mcnemarExact(1, 9).p_value).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(9, 1).p_value).toBeCloseTo(22 / 1024, 12);
    // n = 5, min = 0: 2 / 32.
    expect(mcnemarExact(0, 5).p_value).toBeCloseTo(0.0625, 12);
    // n = 20, min = 5: 2 * (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20.
    expect(mcnemarExact(5, 15).p_value).toBeCloseTo((2 * 21700) / 1048576, 12);
  });

  it("is 1 when the models disagree equally or never", () => {
    expect(mcnemarExact(0, 0).p_value).toBe(1);
    expect(mcnemarExact(7, 7).p_value).toBe(1);
  });

  it("stays finite for thousands of discordant images (0.5^n underflows)", () => {
    const p = mcnemarExact(1500, 1700).p_value;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.001);
    expect(mcnemarExact(1600, 1600).p_value).toBe(1);
  });
});

describe("the paired bootstrap", () => {
  it("interpolates quantiles as numpy does", () => {
    expect(quantileSorted([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([10, 20], 0.975)).toBeCloseTo(19.75);
  });

  it("gives a zero-width interval when the models agree on every image", () => {
    const s = pairedStatistics({
      ...paired(0, 0, 80, 20),
      labels,
      focusClass: "verde",
      resamples: 200,
      confidence: 0.95,
      seed: 1,
    });
    for (const i of s.intervals) expect([i.delta, i.low, i.high]).toEqual([0, 0, 0]);
    expect(s.mcnemar.p_value).toBe(1);
  });

  it("matches the normal approximation of the accuracy change computed by hand", () => {
    // n = 2000, b = 60 production-only, c = 40 candidate-only: delta = -20/2000 = -0.01.
    // Per-image variance of the paired difference: (b + c)/n - delta^2 = 0.05 - 0.0001 = 0.0499;
    // standard error sqrt(0.0499 / 2000) = 0.004995; 95% interval -0.01 ± 1.96 * 0.004995 = [-0.0198, -0.0002].
    const s = pairedStatistics({
      ...paired(60, 40, 1700, 200),
      labels,
      focusClass: "verde",
      resamples: 4000,
      confidence: 0.95,
      seed: 11,
    });
    const acc = s.intervals.find((i) => i.metric === "accuracy")!;
    expect(acc.delta).toBeCloseTo(-0.01, 12);
    expect(acc.low).toBeCloseTo(-0.0198, 3);
    expect(acc.high).toBeCloseTo(-0.0002, 3);
    expect(s.mcnemar).toMatchObject({ production_only: 60, candidate_only: 40 });
  });

  it("is reproducible from its seed and changes with it", () => {
    const data = paired(30, 45, 300, 25);
    const run = (seed: number) =>
      pairedStatistics({
        ...data,
        labels,
        focusClass: "verde",
        resamples: 500,
        confidence: 0.9,
        seed,
      });
    expect(run(5)).toEqual(run(5));
    expect(run(5).intervals[0]!.low).not.toBe(run(6).intervals[0]!.low);
  });

  it("refuses predictions that do not pair up", () => {
    expect(() =>
      pairedStatistics({
        truth: [0, 1],
        production: [0],
        candidate: [0, 1],
        labels,
        focusClass: "verde",
        resamples: 100,
        confidence: 0.95,
        seed: 1,
      }),
    ).toThrow(/pair up/);
  });

  it("draws the same numbers from the same seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
