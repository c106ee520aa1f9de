import { describe, expect, it } from "vitest";

// Plain Eigen kernels (oneDNN off, read when libtensorflow loads: this file runs in its own
// process; everything that loads it is imported after the setting): the fused gradients must match tfjs-layers' op-by-op ones to float32 rounding.
process.env.TF_ENABLE_ONEDNN_OPTS = "0";
const { ensureNativeBackend } = await import("../../worker/backend.ts");
const { compareOnBatch, beyondRounding } = await import("../helpers/fused-twin.ts");
const tf = await ensureNativeBackend();

describe("fused MobileNetV2 step against tfjs-layers (oneDNN off)", () => {
  it("matches loss and every gradient to float32 rounding with Eigen's kernels too", () => {
    const { layersLoss, fusedLoss, gaps } = compareOnBatch(tf);
    expect(Math.abs(fusedLoss - layersLoss)).toBeLessThan(1e-5);
    const { offenders, worst } = beyondRounding(gaps);
    console.log(
      `oneDNN off: loss ${layersLoss} vs ${fusedLoss}; largest gradient gap ${worst.ratio.toFixed(2)}x float32 rounding (${worst.name})`,
    );
    expect(offenders).toEqual([]);
  });
});
