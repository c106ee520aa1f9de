import { describe, expect, it } from "vitest";
import { ensureNativeBackend } from "../../worker/backend.ts";
import { FusedMobileNetV2 } from "../../worker/fused-mobilenet.ts";
import {
  beyondRounding,
  compareOnBatch,
  lossCurves,
  seededBatch,
  TWIN,
  twinModel,
} from "../helpers/fused-twin.ts";

// As training runs: oneDNN on, one intra-op thread. "Float32 rounding" is measured, not
// assumed: each implementation's own gradient on the same batch in reverse order differs by
// up to ~1% of its norm in the first layers, and the gap between them must stay within a
// small multiple of that (test/helpers/fused-twin.ts).
const tf = await ensureNativeBackend();

describe("fused MobileNetV2 step against tfjs-layers (oneDNN on)", () => {
  it("gives the same loss and gradients on a seeded batch", () => {
    const { layersLoss, fusedLoss, gaps } = compareOnBatch(tf);
    expect(Math.abs(fusedLoss - layersLoss)).toBeLessThan(1e-5);
    expect(gaps).toHaveLength(158); // every trainable weight of the layers model
    const { offenders, worst } = beyondRounding(gaps);
    console.log(
      `oneDNN on: loss ${layersLoss} vs ${fusedLoss}; largest gradient gap ${worst.ratio.toFixed(2)}x float32 rounding (${worst.name})`,
    );
    expect(offenders).toEqual([]);
  });

  it("follows the same loss curve over several Adam steps", async () => {
    const { layers, fused } = await lossCurves(tf, 6, 1e-3);
    console.log(
      `loss curves: layers ${layers.map((l) => l.toFixed(4)).join(" ")} / fused ${fused.map((l) => l.toFixed(4)).join(" ")}`,
    );
    expect(fused[0]).toBeCloseTo(layers[0]!, 5);
    for (let i = 1; i < layers.length; i++)
      expect(Math.abs(fused[i]! - layers[i]!) / layers[i]!).toBeLessThan(0.02);
    expect(fused.at(-1)!).toBeLessThan(fused[0]! * 0.8); // it learns, as the layers model does
  });

  it("infers with batch norm folded into the convolutions as the layers model does with its moving statistics", () => {
    const model = twinModel(tf);
    const net = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: TWIN.alpha });
    const { x, y } = seededBatch(tf);
    try {
      // Steps and a recalibration give weights and moving statistics far from their initial values.
      for (let i = 0; i < 3; i++) net.trainStep({ x, targets: y, learningRate: 1e-2 });
      net.recalibrate([x]);
      net.writeTo(model);
      const ours = net.predict(x);
      const theirs = model.predict(x) as typeof ours;
      const gap = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!;
      console.log(
        `folded inference vs the layers model: largest probability difference ${gap.toExponential(2)}`,
      );
      expect(gap).toBeLessThan(1e-4);
      expect(tf.argMax(ours, 1).arraySync()).toEqual(tf.argMax(theirs, 1).arraySync());
      // A change of the weights refolds: the next prediction follows it.
      net.trainStep({ x, targets: y, learningRate: 1e-2 });
      net.writeTo(model);
      const after = tf
        .max(tf.abs(tf.sub(net.predict(x), model.predict(x) as typeof ours)))
        .dataSync()[0]!;
      expect(after).toBeLessThan(1e-4);
      tf.dispose([ours, theirs]);
    } finally {
      net.dispose();
      model.dispose();
      tf.dispose([x, y]);
    }
  });
});
