import { describe, expect, it } from "vitest";
import { dropoutKeepMask, mixupPlan, smoothedTargets } from "../../worker/batch.ts";
import { mulberry32 } from "../../worker/split.ts";

describe("training targets and masks", () => {
  it("smooths one-hot targets as Keras' label_smoothing does", () => {
    expect([...smoothedTargets([1, 0], 4, 0)]).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    const s = smoothedTargets([2], 4, 0.1);
    expect([...s].map((v) => Number(v.toFixed(6)))).toEqual([0.025, 0.025, 0.925, 0.025]);
    expect(() => smoothedTargets([0], 2, 1)).toThrow("label smoothing must be in [0, 1), got 1");
  });

  it("keeps (1 - rate) of the features, scaled by 1 / (1 - rate)", () => {
    const mask = dropoutKeepMask(100_000, 0.2, mulberry32(3));
    const kept = mask.filter((v) => v > 0);
    expect(kept.length / mask.length).toBeCloseTo(0.8, 2);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1.25)]));
  });

  it("pairs every image with a partner by permutation, lambda in [1/2, 1] with Beta(a, a)'s spread", () => {
    const { partner, lambda } = mixupPlan(1000, 0.4, mulberry32(5));
    expect([...partner].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Math.min(...lambda)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...lambda)).toBeLessThanOrEqual(1);
    // E[max(l, 1 - l)] for Beta(0.4, 0.4) is about 0.84; a broken sampler lands far from it.
    const mean = lambda.reduce((a, b) => a + b, 0) / lambda.length;
    expect(mean).toBeGreaterThan(0.8);
    expect(mean).toBeLessThan(0.88);
    expect(mixupPlan(8, 0.4, mulberry32(5))).toEqual(mixupPlan(8, 0.4, mulberry32(5)));
  });
});
