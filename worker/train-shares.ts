/**
 * The training batches as the replicas take them (train.ts, parallel.ts): each batch cut
 * into one share per replica, with its pixels, augmentation jitter, soft targets, loss
 * weights, mixup plan and dropout mask. Every random draw is made here, on the main
 * thread, in a fixed order, so a run is the same whatever the number of replicas.
 */
import * as tf from "@tensorflow/tfjs";
import { sampleJitter } from "./augment.ts";
import { batchTensors, dropoutKeepMask, mixupPlan, smoothedTargets } from "./batch.ts";
import type { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import type { ReplicaBatch } from "./parallel.ts";
import { batchSeed, mulberry32 } from "./split.ts";
import type { AugmentConfig } from "./types.ts";

/** What the shares of a run are cut from. */
export interface ShareSource {
  seed: number;
  inputSize: number;
  numClasses: number;
  replicas: number;
  /** Decoded training images, inputSize² RGB bytes each. */
  trainPixels: Uint8Array[];
  /** Class index of each training image. */
  trainY: number[];
  /** Loss weight of each class. */
  classWeights: number[];
  augment: Required<AugmentConfig> | undefined;
  smoothing: number;
  mixup: number | undefined;
  dropoutRate: number;
  /** Features before the classifier (the dropout mask's width per image). */
  featureCount: number;
  rng: () => number;
}

/** Batch `batch` of `epoch` (training-image indices `idx`) cut into one share per replica. */
export function batchShares(
  src: ShareSource,
  idx: number[],
  epoch: number,
  batch: number,
): ReplicaBatch[] {
  const { inputSize, replicas, trainPixels, trainY, classWeights, rng } = src;
  const jitter = src.augment
    ? sampleJitter(idx.length, src.augment, mulberry32(batchSeed(src.seed, epoch, batch)))
    : undefined;
  const out: ReplicaBatch[] = [];
  for (let r = 0, from = 0; r < replicas; r++) {
    const to = from + Math.floor(idx.length / replicas) + (r < idx.length % replicas ? 1 : 0);
    const part = idx.slice(from, to);
    const pixels = new Uint8Array(part.length * inputSize * inputSize * 3);
    part.forEach((i, k) => pixels.set(trainPixels[i] as Uint8Array, k * inputSize * inputSize * 3));
    out.push({
      pixels,
      ...(jitter ? { jitter: jitter.slice(from, to) } : {}),
      targets: smoothedTargets(
        part.map((i) => trainY[i] as number),
        src.numClasses,
        src.smoothing,
      ),
      weights: part.map(
        (i) => ((classWeights[trainY[i] as number] as number) * part.length) / idx.length,
      ),
      ...(src.mixup ? { mix: mixupPlan(part.length, src.mixup, rng) } : {}),
      ...(src.dropoutRate > 0
        ? { dropoutMask: dropoutKeepMask(part.length * src.featureCount, src.dropoutRate, rng) }
        : {}),
    });
    from = to;
  }
  return out;
}

/**
 * One full training step of the judging network on a dummy batch before replicas start:
 * every kernel and attribute name the replicas will use is then registered (see
 * parallel.ts). Its weights are overwritten by the replicas' after every epoch.
 */
export function warmUp(
  net: FusedMobileNetV2,
  inputSize: number,
  numClasses: number,
  augment: Required<AugmentConfig> | undefined,
): void {
  tf.tidy(() => {
    const n = 2;
    const part: ReplicaBatch = {
      pixels: new Uint8Array(n * inputSize * inputSize * 3).fill(128),
      ...(augment ? { jitter: sampleJitter(n, augment, mulberry32(0)) } : {}),
      targets: smoothedTargets([0, 1 % numClasses], numClasses, 0.1),
      weights: [1, 1],
      mix: mixupPlan(n, 0.2, mulberry32(0)),
      dropoutMask: new Float32Array(n * net.featureCount).fill(1),
    };
    net.trainStep({
      ...batchTensors(part, inputSize, numClasses, net.featureCount),
      learningRate: 0,
    });
    net.predict(tf.zeros([1, inputSize, inputSize, 3]));
  });
}
