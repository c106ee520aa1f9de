import { describe, expect, it } from "vitest";
import { classCounts, inverseFrequencyWeights, namedWeights } from "../../worker/class-weights.ts";
import { DEFAULT_FINAL_LR_FRACTION, learningRateAt, planSchedule } from "../../worker/schedule.ts";

describe("learning-rate schedule", () => {
  // 12 epochs of 8 batches, as the demo's 256 training images at batch 32.
  const s = planSchedule(0.002, 12, 8);
  const lrs = Array.from({ length: s.totalSteps }, (_, i) => learningRateAt(i, s));

  it("warms up linearly over the first epoch, never at 0", () => {
    expect(s).toEqual({
      base: 0.002,
      warmupSteps: 8,
      totalSteps: 96,
      finalFraction: DEFAULT_FINAL_LR_FRACTION,
    });
    expect(lrs.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => (0.002 * k) / 8));
  });

  it("then decays along a cosine from the peak to the floor at the planned last step", () => {
    expect(lrs[8]).toBe(0.002);
    for (let i = 9; i < lrs.length; i++) expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
    const mid = 8 + (96 - 1 - 8) / 2;
    expect(learningRateAt(mid, s)).toBeCloseTo(0.002 * (0.05 + 0.95 / 2), 12); // halfway: halfway down
    expect(lrs.at(-1)).toBeCloseTo(0.002 * 0.05, 12);
    expect(learningRateAt(500, s)).toBeCloseTo(0.002 * 0.05, 12); // past the plan: stays at the floor
  });

  it("caps warm-up at a quarter of a short run and can be turned off", () => {
    expect(planSchedule(0.001, 2, 3).warmupSteps).toBe(1);
    const flat = planSchedule(0.001, 5, 4, { kind: "constant" });
    expect(Array.from({ length: 20 }, (_, i) => learningRateAt(i, flat))).toEqual(
      new Array(20).fill(0.001),
    );
    const single = planSchedule(0.001, 1, 1);
    expect(learningRateAt(0, single)).toBe(0.001); // a one-step run trains at the peak, not the floor
  });
});

describe("class weights", () => {
  it("are inverse frequency with a mean of 1 over the images", () => {
    const counts = classCounts([0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2], 3);
    expect(counts).toEqual([6, 2, 4]);
    const w = inverseFrequencyWeights(counts);
    expect(w[0]).toBeCloseTo(12 / 18, 12);
    expect(w[1]).toBeCloseTo(2, 12);
    expect(w[2]).toBeCloseTo(1, 12);
    const perImage = counts.reduce((a, n, c) => a + n * w[c]!, 0) / 12;
    expect(perImage).toBeCloseTo(1, 12);
    // Every class pulls on the loss equally: weight x count is the same for all.
    expect(new Set(counts.map((n, c) => (n * w[c]!).toFixed(9))).size).toBe(1);
  });

  it("are all 1 on a balanced set and 0 for a class without images", () => {
    expect(inverseFrequencyWeights([5, 5, 5])).toEqual([1, 1, 1]);
    expect(inverseFrequencyWeights([4, 0, 2])).toEqual([0.75, 0, 1.5]);
    expect(namedWeights(["verde", "maduro"], [0.5, 1.5])).toEqual({ verde: 0.5, maduro: 1.5 });
  });

  it("refuse impossible input with the reason", () => {
    expect(() => inverseFrequencyWeights([0, 0])).toThrow(/no images/);
    expect(() => classCounts([0, 3], 3)).toThrow(/class index 3 is outside 0..2/);
  });
});
