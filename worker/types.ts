/**
 * The DL worker's contract: what the graph hands to `trainModel`/`evaluateModel` and what
 * comes back. Plain JSON-able data only, so results can sit in graph state and in files.
 */

/** One image on local disk with its class label; `sha256` identifies it in predictions. */
export interface LabeledImage {
  /** Local file (JPEG/PNG/WebP: anything sharp decodes). */
  path: string;
  label: string;
  sha256: string;
}

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
  /** Seeds weight initialisation, shuffling, the validation split and dropout. */
  seed: number;
}

/** Per-class scores; precision/recall/F1 are 0 where undefined (see metrics.ts). */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of evaluation images whose true label is this class. */
  support: number;
}

/** Classification quality on one image set. */
export interface ClassificationMetrics {
  n: number;
  accuracy: number;
  /** Mean F1 over the classes with support > 0. */
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  /** rows = true class, cols = predicted class, both in `labels` order. */
  confusion_matrix: { labels: string[]; matrix: number[][] };
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
  /** Training throughput (optimiser steps only). */
  images_per_s: number;
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
}
