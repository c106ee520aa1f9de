/**
 * What a finished training run leaves in its folder (train.ts), once the best epoch's
 * weights are back in the network: the tfjs-layers model saved with them, the metrics on
 * the frozen evaluation set, the two charts, metrics.json and predictions.json, and the
 * `TrainResult` that sums them up.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { LabeledImage } from "../lib/dataset.ts";
import { computeMetrics } from "../lib/metrics.ts";
import type { BackendDescription } from "./backend.ts";
import { namedWeights } from "./class-weights.ts";
import { predictWith } from "./evaluate.ts";
import type { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import { renderConfusionMatrix, renderTrainingCurves } from "./plots.ts";
import type { LrSchedule } from "./schedule.ts";
import type { AugmentConfig, EpochLog, TrainConfig, TrainResult } from "./types.ts";
import { type PredictionsFile, TRAINING_FILES } from "../lib/run-folder.ts";

/** A finished run, its network holding the weights to keep. */
export interface FinishedRun {
  net: FusedMobileNetV2;
  /** The tfjs-layers model the network writes its weights into before saving. */
  model: tf.LayersModel;
  evaluation: LabeledImage[];
  /** Class index of each evaluation image. */
  evalY: number[];
  labels: string[];
  config: TrainConfig;
  outDir: string;
  modelDir: string;
  history: EpochLog[];
  bestEpoch: number;
  fitSeconds: number;
  augment: Required<AugmentConfig> | undefined;
  /** Loss weight of each class. */
  classWeights: number[];
  runtime: BackendDescription;
  replicas: number;
  trainImages: number;
  valImages: number;
  schedule: LrSchedule;
}

/** Saves the model, evaluates it and writes the run's charts and JSON files. */
export async function writeArtifacts(run: FinishedRun): Promise<TrainResult> {
  const { net, labels, config, outDir, history, bestEpoch, runtime, replicas } = run;
  net.writeTo(run.model);
  await run.model.save(`file://${run.modelDir}`);

  const evaluated = await predictWith(net, run.evaluation, config.inputSize, config.batchSize);
  const metrics = computeMetrics(run.evalY, evaluated.predictions, labels);
  const backend = tf.getBackend();
  const plots = {
    curves: join(outDir, TRAINING_FILES.curves),
    confusion: join(outDir, TRAINING_FILES.confusion),
  };
  await writeFile(
    plots.curves,
    renderTrainingCurves(history, bestEpoch, { augmented: run.augment !== undefined }),
  );
  await writeFile(
    plots.confusion,
    renderConfusionMatrix(
      metrics.confusion_matrix,
      `Confusion matrix: evaluation set, best epoch ${bestEpoch}`,
    ),
  );
  const class_weights = namedWeights(labels, run.classWeights);
  await writeJson(join(outDir, TRAINING_FILES.metrics), {
    ...metrics,
    labels,
    config,
    backend,
    device: runtime.device,
    replicas,
    runtime,
    best_epoch: bestEpoch,
    history,
    train_images: run.trainImages,
    val_images: run.valImages,
    eval_images: run.evaluation.length,
    train_seconds: run.fitSeconds,
    class_weights,
    augmentation: run.augment ?? false,
    lr_schedule: run.schedule,
    plots: { curves: TRAINING_FILES.curves, confusion: TRAINING_FILES.confusion },
  });
  const predictions: PredictionsFile = {
    labels: [...labels],
    keys: run.evaluation.map((i) => i.sha256),
    predictions: evaluated.predictions,
    probabilities: evaluated.probabilities,
  };
  await writeJson(join(outDir, TRAINING_FILES.predictions), predictions);
  return {
    modelDir: run.modelDir,
    labels: [...labels],
    metrics,
    predictions: evaluated.predictions,
    history,
    bestEpoch,
    trainSeconds: run.fitSeconds,
    backend,
    device: runtime.device,
    replicas,
    classWeights: class_weights,
    plots,
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}
