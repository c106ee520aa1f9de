/**
 * The small pieces of a training step around the fused network: targets, the dropout
 * mask, mixup, "precise BN" batches and inference-mode passes over decoded images. The passes
 * see the clean (never augmented) images, because that is what the model meets at
 * inference time.
 */
import * as tf from "@tensorflow/tfjs";
import { augmentBatch } from "./augment.ts";
import type { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import type { ReplicaBatch } from "./parallel.ts";
import { toInputTensor } from "./images.ts";

/** Images used to re-estimate BatchNorm statistics after each epoch. */
export const BN_RECALIBRATION_IMAGES = 256;

/**
 * The batches whose statistics replace every BatchNorm layer's moving mean/variance after
 * an epoch ("precise BN", Wu & Johnson 2021). The momentum-0.99 moving averages start at
 * mean 0 / variance 1 and need hundreds of steps to catch up; a from-scratch run of a few
 * hundred images has only ~10 steps an epoch, so without this the validation loss
 * (inference mode) says nothing for the first epochs and early stopping would stop on
 * noise. Whole batches only, so each batch weighs the same; at most 256 images.
 */
export function* recalibrationBatches(
  pixels: Uint8Array[],
  inputSize: number,
  batchSize: number,
): Generator<tf.Tensor4D> {
  const n = Math.max(
    Math.min(batchSize, pixels.length),
    Math.floor(Math.min(BN_RECALIBRATION_IMAGES, pixels.length) / batchSize) * batchSize,
  );
  for (let start = 0; start < n; start += batchSize) {
    const x = toInputTensor(pixels.slice(start, Math.min(n, start + batchSize)), inputSize);
    try {
      yield x;
    } finally {
      x.dispose();
    }
  }
}

/** Softmax outputs for already-decoded images, batch by batch, in inference mode. */
export function probabilitiesOf(
  net: FusedMobileNetV2,
  pixels: Uint8Array[],
  inputSize: number,
  batchSize: number,
): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < pixels.length; start += batchSize) {
    const y = tf.tidy(() =>
      net.predict(toInputTensor(pixels.slice(start, start + batchSize), inputSize)),
    );
    out.push(...(y.arraySync() as number[][]));
    y.dispose();
  }
  return out;
}

/**
 * Row-major [n, k] targets: one-hot, or with label smoothing `eps` the true class gets
 * 1 - eps + eps/k and every class eps/k (Szegedy et al. 2016; Keras' `label_smoothing`).
 */
export function smoothedTargets(classes: readonly number[], k: number, eps: number): Float32Array {
  if (!(eps >= 0 && eps < 1)) throw new Error(`label smoothing must be in [0, 1), got ${eps}`);
  const out = new Float32Array(classes.length * k).fill(eps / k);
  classes.forEach((c, i) => (out[i * k + c] = 1 - eps + eps / k));
  return out;
}

/** Inverted dropout's keep-mask: 0 with probability `rate`, else 1 / (1 - rate). */
export function dropoutKeepMask(size: number, rate: number, rng: () => number): Float32Array {
  const keep = 1 / (1 - rate);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng() < rate ? 0 : keep;
  return out;
}

/** A batch blended by a mixup plan: x = l x_i + (1 - l) x_j, targets and loss weights alike. */
export function mixBatch(
  x: tf.Tensor4D,
  targets: tf.Tensor2D,
  weights: number[],
  plan: { partner: Int32Array; lambda: Float32Array },
) {
  const n = plan.lambda.length;
  const partner = tf.tensor1d(plan.partner, "int32");
  const blend = <T extends tf.Tensor>(t: T, lam: tf.Tensor): T =>
    tf.add(tf.mul(t, lam), tf.mul(tf.gather(t, partner), tf.sub(1, lam))) as T;
  return {
    x: blend(x, tf.tensor4d(plan.lambda, [n, 1, 1, 1])),
    targets: blend(targets, tf.tensor2d(plan.lambda, [n, 1])),
    sampleWeights: weights.map(
      (w, i) =>
        (plan.lambda[i] as number) * w +
        (1 - (plan.lambda[i] as number)) * (weights[plan.partner[i] as number] as number),
    ),
  };
}

/**
 * Mixup (Zhang et al. 2018): per image a partner from the same batch (a random
 * permutation) and a weight lambda ~ Beta(alpha, alpha), kept >= 1/2 so each blend is
 * mostly its own image.
 */
export function mixupPlan(
  n: number,
  alpha: number,
  rng: () => number,
): { partner: Int32Array; lambda: Float32Array } {
  if (!(alpha > 0)) throw new Error(`mixup alpha must be > 0, got ${alpha}`);
  const partner = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [partner[i], partner[j]] = [partner[j] as number, partner[i] as number];
  }
  const lambda = Float32Array.from({ length: n }, () => {
    const l = betaSample(alpha, rng);
    return Math.max(l, 1 - l);
  });
  return { partner, lambda };
}

/** Beta(a, a) by Johnk's method: exact for any a > 0, fast for the small a mixup uses. */
function betaSample(a: number, rng: () => number): number {
  for (;;) {
    const x = rng() ** (1 / a);
    const y = rng() ** (1 / a);
    if (x + y <= 1 && x + y > 0) return x / (x + y);
  }
}

/** A share of a batch as the tensors of a fused training step (augmented, mixed, masked). */
export function batchTensors(
  part: ReplicaBatch,
  inputSize: number,
  numClasses: number,
  featureCount: number,
) {
  const n = part.weights.length;
  const bytes = inputSize * inputSize * 3;
  let x = toInputTensor(
    Array.from({ length: n }, (_, i) => part.pixels.subarray(i * bytes, (i + 1) * bytes)),
    inputSize,
  );
  if (part.jitter) x = augmentBatch(x, part.jitter);
  let targets = tf.tensor2d(part.targets, [n, numClasses]);
  let sampleWeights = [...part.weights];
  if (part.mix) ({ x, targets, sampleWeights } = mixBatch(x, targets, sampleWeights, part.mix));
  return {
    x,
    targets,
    sampleWeights,
    ...(part.dropoutMask ? { dropoutMask: tf.tensor2d(part.dropoutMask, [n, featureCount]) } : {}),
  };
}
