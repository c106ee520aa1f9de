import type { ClassificationMetrics } from "../lib/metrics.ts";

/**
 * The DL worker's contract: what the graph hands to `trainModel`/`evaluateModel` and what
 * comes back. Plain JSON-able data only, so results can sit in graph state and in files.
 */

/** Hyper-parameters of one training run. */
export interface TrainConfig {
  /** MobileNetV2 width multiplier (default 0.35). */
  alpha: number;
  /** Square input side in pixels (default 96). */
  inputSize: number;
  /** Images per optimiser step (default 32). */
  batchSize: number;
  /** Maximum number of epochs; early stopping may end sooner. */
  epochs: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Epochs without a new best validation loss before training stops. */
  patience: number;
  /** Seeds weight initialisation, shuffling, the validation split, dropout and augmentation. */
  seed: number;
  /** Random jitter of training batches (never val/eval): true = default strengths, an object = these, false or absent = off (as in the config). */
  augment?: boolean | AugmentConfig;
  /** Weight the loss by inverse class frequency (default true). */
  classWeights?: boolean;
  /** "cosine" (default): linear warm-up, then cosine decay; "constant": `learningRate` throughout. */
  lrSchedule?: "cosine" | "constant";
  /** Warm-up length for the cosine schedule, in epochs (default 1). */
  warmupEpochs?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
  /** Label smoothing of the training targets, in [0, 1) (default 0: one-hot). */
  labelSmoothing?: number;
  /**
   * Data-parallel replicas, one worker thread and core each, every batch split between
   * them (BatchNorm statistics per replica). "auto" (default): 2 on a CPU with 2 cores or
   * more, 1 on a GPU or a single core.
   */
  replicas?: number | "auto";
  /** Mixup's Beta(alpha, alpha) parameter; absent or 0 = no mixup. */
  mixup?: number;
  /** Decay of an exponential moving average of the weights, which is what gets validated and kept; absent or 0 = off. */
  emaDecay?: number;
  /** "auto" (default, or MLOPS_TRAIN_DEVICE), "cpu" or "gpu" (an error when no GPU is found): see backend.ts. */
  device?: "auto" | "cpu" | "gpu";
}

/**
 * Strength of the training-time augmentation; a missing field takes its default (see
 * worker/augment.ts), 0 or false turns that part off. No hue or saturation jitter: colour
 * is what tells a ripe mango from an unripe one.
 */
export interface AugmentConfig {
  /** Mirror left-right with probability 1/2 (default true). */
  flip?: boolean;
  /** Largest rotation either way, in degrees (default 15). */
  rotationDeg?: number;
  /** Smallest share of the image area a random crop keeps (default 0.8; 1 = no crop). */
  minCropArea?: number;
  /** Largest aspect-ratio change of the crop, as a factor (default 4/3; 1 = square only). */
  maxAspect?: number;
  /** Largest brightness shift either way, as a share of the full range (default 0.1). */
  brightness?: number;
  /** Largest contrast change either way, as a factor offset (default 0.2: x0.8 to x1.2). */
  contrast?: number;
}

/** One line of `training-log.jsonl`. */
export interface EpochLog {
  /** 1-based. */
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  /** Wall time of the epoch, validation included. */
  seconds: number;
  /** Training throughput (optimiser steps only, augmentation included). */
  images_per_s: number;
  /** Learning rate of the epoch's last optimiser step. */
  lr?: number;
}

/** What `trainModel` produced. */
export interface TrainResult {
  /** `outDir/tfjs`: model.json + weights, loadable with `loadModel`. */
  modelDir: string;
  /** Class names; index i is output unit i. */
  labels: string[];
  /** On the evaluation set, with the restored best weights. */
  metrics: ClassificationMetrics;
  /** Argmax class index per evaluation image, in input order. */
  predictions: number[];
  history: EpochLog[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  trainSeconds: number;
  /** TF.js backend that trained (always "tensorflow": the worker refuses others). */
  backend: string;
  /** Where the kernels ran, e.g. "GPU:0 NVIDIA H200" or "CPU, oneDNN, 1 thread". */
  device: string;
  /** Data-parallel replicas the batches were split over (worker/parallel.ts). */
  replicas: number;
  /** Loss weight per class name (all 1 when class weighting is off). */
  classWeights?: Record<string, number>;
  /** SVG charts in the run folder, for the report to embed. */
  plots?: { curves: string; confusion: string };
}
