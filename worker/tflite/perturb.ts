/**
 * Gives every BatchNorm layer of a model seeded, non-trivial statistics and affine terms.
 * A freshly built model has mean 0, variance 1, gamma 1, beta 0, for which a wrong BN fold
 * (a swapped mean and beta, a missing epsilon) still gives the right answer; tests and the
 * benchmark use this so the fold is really exercised without minutes of training.
 */
import type { LayersModel, SymbolicTensor, Tensor, Tensor4D } from "@tensorflow/tfjs-node";
import { ensureNativeBackend } from "../backend.ts";

/**
 * Sets gamma in [0.5, 1.5] and beta in [-0.3, 0.3]. Moving mean and variance are random
 * ([-0.3, 0.3], [0.3, 2]) or, given `calibration` images, those images' own statistics at
 * each BN, layer by layer, as a trained network's would be. Without calibration an
 * untrained MobileNetV2's output does not depend on its input at all (measured: features
 * vary by 5e-9 between images), which makes argmax agreement meaningless.
 */
export async function perturbBatchNorm(
  model: LayersModel,
  seed: number,
  calibration?: Tensor4D,
): Promise<void> {
  const tf = await ensureNativeBackend();
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    let stats: { mean: Tensor; variance: Tensor } | undefined;
    if (calibration) {
      const upTo = tf.model({ inputs: model.inputs, outputs: layer.input as SymbolicTensor });
      stats = tf.tidy(() => {
        const x = upTo.predict(calibration) as Tensor;
        return tf.moments(x, [0, 1, 2]);
      });
    }
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[];
      switch (w.originalName.split("/").pop()) {
        case "gamma":
          return tf.randomUniform(shape, 0.5, 1.5, "float32", s++);
        case "beta":
          return tf.randomUniform(shape, -0.3, 0.3, "float32", s++);
        case "moving_mean":
          return stats ? stats.mean.clone() : tf.randomUniform(shape, -0.3, 0.3, "float32", s++);
        case "moving_variance":
          return stats ? stats.variance.clone() : tf.randomUniform(shape, 0.3, 2, "float32", s++);
        default:
          return w.read().clone();
      }
    });
    layer.setWeights(values);
    tf.dispose(values);
    if (stats) tf.dispose([stats.mean, stats.variance]);
  }
}
