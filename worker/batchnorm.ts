/**
 * Inference-mode passes over already-decoded images during training: "precise BN"
 * recalibration and validation probabilities. Both see the clean (never augmented)
 * images, because that is what the model meets at inference time.
 */
import * as tf from "@tensorflow/tfjs-node";
import { toInputTensor } from "./images.ts";

/** Images used to re-estimate BatchNorm statistics after each epoch. */
export const BN_RECALIBRATION_IMAGES = 256;

/**
 * Replaces every BatchNorm layer's moving mean/variance with their average over a few
 * training batches under the current weights ("precise BN", Wu & Johnson 2021).
 * The momentum-0.99 moving averages start at mean 0 / variance 1 and need hundreds of
 * steps to catch up; a from-scratch run of a few hundred images has only ~10 steps an
 * epoch, so without this the validation loss (inference mode) says nothing for the first
 * epochs and early stopping would stop on noise. Costs one forward pass over <= 256 images.
 */
export function recalibrateBatchNorm(model: tf.LayersModel, pixels: Uint8Array[], inputSize: number, batchSize: number): void {
  const bns = model.layers.filter((l) => l.getClassName() === "BatchNormalization") as unknown as { momentum: number }[];
  const saved = bns.map((b) => b.momentum);
  // Whole batches only, so each batch's statistics weigh the same in the average.
  const n = Math.max(Math.min(batchSize, pixels.length), Math.floor(Math.min(BN_RECALIBRATION_IMAGES, pixels.length) / batchSize) * batchSize);
  try {
    for (let b = 0; b * batchSize < n; b++) {
      // tfjs: moving = moving * momentum + batch * (1 - momentum); b/(b+1) makes it a running mean.
      for (const layer of bns) layer.momentum = b / (b + 1);
      const batch = pixels.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
      tf.tidy(() => {
        model.apply(toInputTensor(batch, inputSize), { training: true }); // run for its side effect only
      });
    }
  } finally {
    bns.forEach((layer, i) => (layer.momentum = saved[i] as number));
  }
}

/** Softmax outputs for already-decoded images, batch by batch, in inference mode. */
export async function probabilitiesOf(model: tf.LayersModel, pixels: Uint8Array[], inputSize: number, batchSize: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < pixels.length; start += batchSize) {
    const y = tf.tidy(() => model.predict(toInputTensor(pixels.slice(start, start + batchSize), inputSize)) as tf.Tensor2D);
    out.push(...((await y.array()) as number[][]));
    y.dispose();
  }
  return out;
}
