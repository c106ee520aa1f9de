/**
 * Holds the fused MobileNetV2 step to the tfjs-layers model it replaces: the same seeded
 * batch through both, loss and per-weight gradients side by side. Used by the fused-step
 * tests with oneDNN on (as training runs) and off (plain Eigen kernels, where the two must
 * agree to float32 rounding).
 */
import type * as tfn from "@tensorflow/tfjs-node";
import type { TF } from "../../worker/backend.ts";
import { FusedMobileNetV2 } from "../../worker/fused-mobilenet.ts";
import { buildMobileNetV2 } from "../../worker/mobilenet-v2.ts";

export const TWIN = { alpha: 0.35, inputSize: 96, numClasses: 4, batch: 32, seed: 11 };

/** A seeded batch and one-hot targets. */
export function seededBatch(tf: TF): { x: tfn.Tensor4D; y: tfn.Tensor2D } {
  const { inputSize, numClasses, batch } = TWIN;
  const x = tf.randomUniform(
    [batch, inputSize, inputSize, 3],
    -1,
    1,
    "float32",
    TWIN.seed,
  ) as tfn.Tensor4D;
  const y = tf
    .oneHot(
      Array.from({ length: batch }, (_, i) => (i * 7) % numClasses),
      numClasses,
    )
    .toFloat() as tfn.Tensor2D;
  return { x, y };
}

export function twinModel(tf: TF): tfn.LayersModel {
  void tf;
  return buildMobileNetV2({
    alpha: TWIN.alpha,
    inputSize: TWIN.inputSize,
    numClasses: TWIN.numClasses,
    seed: TWIN.seed,
    dropout: 0,
  });
}

/**
 * Per weight: the layers gradient's norm, the norm of its difference from the fused one
 * (`gap`), and `rounding`: the larger of what each implementation's gradient differs from
 * itself on the same batch in reverse order (the same sums in another order, so float32
 * rounding and nothing else).
 */
export interface GradientGap {
  name: string;
  norm: number;
  gap: number;
  rounding: number;
}

/** Loss of both and the per-weight gradient gaps on one batch (training mode, no dropout). */
export function compareOnBatch(tf: TF): {
  layersLoss: number;
  fusedLoss: number;
  gaps: GradientGap[];
} {
  const model = twinModel(tf);
  const { x, y } = seededBatch(tf);
  const fused = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: TWIN.alpha });
  try {
    const f = fused.gradients({ x, targets: y });
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tfn.Variable }).val);
    const layersGrads = (xs: tfn.Tensor, ys: tfn.Tensor) =>
      tf.variableGrads(
        () =>
          tf.mean(
            tf.metrics.categoricalCrossentropy(
              ys,
              model.apply(xs, { training: true }) as tfn.Tensor,
            ),
          ) as tfn.Scalar,
        vars,
      );
    const { value, grads } = layersGrads(x, y);
    const [rx, ry] = [tf.reverse(x, 0), tf.reverse(y, 0)];
    const reversed = layersGrads(rx, ry);
    const fusedReversed = fused.gradients({ x: rx, targets: ry });
    const gaps = model.trainableWeights.map((w, i) => {
      const name = w.originalName ?? w.name;
      const ours = f.grads.get(name);
      if (!ours) throw new Error(`the fused step has no gradient for ${name}`);
      const theirs = grads[vars[i]!.name] as tfn.Tensor;
      const norm = (t: tfn.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0] as number);
      // Rounding: the larger of what each implementation differs from itself on the reversed batch.
      const rounding = Math.max(
        norm(tf.sub(theirs, reversed.grads[vars[i]!.name] as tfn.Tensor)),
        norm(tf.sub(ours, fusedReversed.grads.get(name) as tfn.Tensor)),
      );
      return { name, norm: norm(theirs), gap: norm(tf.sub(theirs, ours)), rounding };
    });
    const out = { layersLoss: value.dataSync()[0] as number, fusedLoss: f.loss, gaps };
    tf.dispose([
      value,
      rx,
      ry,
      reversed.value,
      ...fusedReversed.grads.values(),
      ...Object.values(reversed.grads),
      ...Object.values(grads),
      ...f.grads.values(),
    ]);
    return out;
  } finally {
    fused.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * Checks every gradient against float32 rounding: the fused gradient may differ from the
 * layers one by at most twice what either differs from itself when the batch is summed in
 * reverse order (one draw of the rounding noise; measured here: at most 0.6x with
 * Eigen's kernels, 1.7x with oneDNN's on one thread, whose sums run in another order). Gradients
 * below `floor` of the largest are analytically zero (a BN beta whose shift the next
 * training-mode BN subtracts again) and hold rounding noise on both sides: 4x. Returns the offenders and the worst ratio.
 */
export function beyondRounding(
  gaps: GradientGap[],
  floor = 1e-4,
  allowance = 2,
): { offenders: string[]; worst: { name: string; ratio: number } } {
  const largest = Math.max(...gaps.map((g) => g.norm));
  const offenders: string[] = [];
  let worst = { name: "", ratio: 0 };
  for (const g of gaps) {
    const ratio = g.gap === 0 ? 0 : g.gap / g.rounding; // 0 / 0: a residual branch behind gamma = 0 gets no gradient
    const allowed = g.norm < floor * largest ? 2 * allowance : allowance;
    if (!(ratio <= allowed))
      offenders.push(
        `${g.name}: gap ${g.gap.toExponential(2)} vs rounding ${g.rounding.toExponential(2)}`,
      );
    if (g.norm >= floor * largest && ratio > worst.ratio) worst = { name: g.name, ratio };
  }
  return { offenders, worst };
}

/** Losses of `steps` Adam steps on the same batch: tfjs-layers' trainOnBatch, then the fused step. */
export async function lossCurves(
  tf: TF,
  steps: number,
  learningRate: number,
): Promise<{ layers: number[]; fused: number[] }> {
  const { x, y } = seededBatch(tf);
  const a = twinModel(tf);
  const b = twinModel(tf);
  const fused = FusedMobileNetV2.fromLayersModel(tf, b, { alpha: TWIN.alpha });
  const optimizer = tf.train.adam(learningRate);
  a.compile({ optimizer, loss: "categoricalCrossentropy" });
  try {
    const layers: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < steps; i++) {
      layers.push((await a.trainOnBatch(x, y)) as number);
      ours.push(fused.trainStep({ x, targets: y, learningRate }).loss);
    }
    return { layers, fused: ours };
  } finally {
    fused.dispose();
    a.dispose();
    b.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}
