/**
 * Running a saved model over labelled images, so production and candidate are judged on
 * the same evaluation set from their stored artifacts rather than from in-memory state.
 * tfjs-node is loaded through `ensureNativeBackend`, so importing this module is safe on
 * machines that never evaluate.
 */
import { resolve } from "node:path";
import type { LayersModel, Tensor, Tensor2D } from "@tensorflow/tfjs-node";
import type { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import { ensureNativeBackend } from "./backend.ts";
import { argmax, computeMetrics, toLabelIndices } from "../lib/metrics.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";

/** Class scores of a model over an image list, in input order. */
export interface Predictions {
  /** Argmax class index per image. */
  predictions: number[];
  /** Softmax output per image. */
  probabilities: number[][];
}

/** Loads a model saved by `trainModel` (the directory holding model.json). */
export async function loadModel(modelDir: string): Promise<LayersModel> {
  const tf = await ensureNativeBackend();
  const url = `file://${resolve(modelDir, "model.json")}`;
  try {
    return await tf.loadLayersModel(url);
  } catch (err) {
    throw new Error(`cannot load the TF.js model at ${url}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Predicts every image in batches (decoded lazily, in inference mode). A MobileNetV2 of
 * ours (`mobilenetv2_<alpha>_<size>`) runs as fused kernels; any other layers model runs
 * as it is.
 */
export async function predict(
  model: LayersModel,
  images: Pick<LabeledImage, "path">[],
  inputSize: number,
  batchSize = 32,
): Promise<Predictions> {
  const tf = await ensureNativeBackend();
  const alpha = /^mobilenetv2_([\d.]+)_\d+$/.exec(model.name)?.[1];
  if (alpha === undefined)
    return predictBatches(images, inputSize, batchSize, (x) => model.predict(x) as Tensor2D);
  const { FusedMobileNetV2 } = await import("./fused-mobilenet.ts");
  const net = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: Number(alpha) });
  try {
    return await predictWith(net, images, inputSize, batchSize);
  } finally {
    net.dispose();
  }
}

/** `predict` through a fused network already built. */
export async function predictWith(
  net: FusedMobileNetV2,
  images: Pick<LabeledImage, "path">[],
  inputSize: number,
  batchSize = 32,
): Promise<Predictions> {
  return predictBatches(images, inputSize, batchSize, (x) => net.predict(x));
}

async function predictBatches(
  images: Pick<LabeledImage, "path">[],
  inputSize: number,
  batchSize: number,
  run: (x: Tensor) => Tensor,
): Promise<Predictions> {
  const tf = await ensureNativeBackend();
  const { decodedBatches, toInputTensor } = await import("./images.ts");
  const probabilities: number[][] = [];
  const paths = images.map((i) => i.path);
  for await (const { pixels } of decodedBatches(paths, inputSize, batchSize)) {
    const y = tf.tidy(() => run(toInputTensor(pixels, inputSize)));
    const rows = (await y.array()) as number[][];
    y.dispose();
    probabilities.push(...rows);
  }
  return { predictions: probabilities.map(argmax), probabilities };
}

/** Re-evaluates a saved model on labelled images: metrics plus per-image outputs. */
export async function evaluateModel(
  modelDir: string,
  images: LabeledImage[],
  labels: string[],
  inputSize: number,
  batchSize = 32,
): Promise<Predictions & { metrics: ClassificationMetrics }> {
  const trueIdx = toLabelIndices(images, labels); // fail on a bad label before loading anything
  const model = await loadModel(modelDir);
  try {
    const units = model.outputs[0]?.shape.at(-1);
    if (units !== labels.length) {
      throw new Error(
        `the model at ${modelDir} has ${units} output classes but ${labels.length} labels were given [${labels.join(", ")}]`,
      );
    }
    const out = await predict(model, images, inputSize, batchSize);
    return { metrics: computeMetrics(trueIdx, out.predictions, labels), ...out };
  } finally {
    model.dispose();
  }
}
