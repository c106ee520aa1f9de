/**
 * Running a saved model over labelled images, so production and candidate are judged on
 * the same evaluation set from their stored artifacts rather than from in-memory state.
 * tfjs-node is loaded through `ensureNativeBackend`, so importing this module is safe on
 * machines that never evaluate.
 */
import { resolve } from "node:path";
import type { LayersModel, Tensor2D } from "@tensorflow/tfjs-node";
import { ensureNativeBackend } from "./backend.ts";
import { argmax, computeMetrics, toLabelIndices } from "./metrics.ts";
import type { ClassificationMetrics, LabeledImage } from "./types.ts";

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
    throw new Error(`cannot load the TF.js model at ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** Predicts every image in batches (decoded lazily, in inference mode). */
export async function predict(
  model: LayersModel,
  images: Pick<LabeledImage, "path">[],
  inputSize: number,
  batchSize = 32,
): Promise<Predictions> {
  const tf = await ensureNativeBackend();
  const { decodedBatches, toInputTensor } = await import("./images.ts");
  const probabilities: number[][] = [];
  const paths = images.map((i) => i.path);
  for await (const { pixels } of decodedBatches(paths, inputSize, batchSize)) {
    const y = tf.tidy(() => model.predict(toInputTensor(pixels, inputSize)) as Tensor2D);
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
      throw new Error(`the model at ${modelDir} has ${units} output classes but ${labels.length} labels were given [${labels.join(", ")}]`);
    }
    const out = await predict(model, images, inputSize, batchSize);
    return { metrics: computeMetrics(trueIdx, out.predictions, labels), ...out };
  } finally {
    model.dispose();
  }
}
