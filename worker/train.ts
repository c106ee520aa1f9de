/**
 * The run_training_job's real work: trains MobileNetV2 from scratch on labelled image
 * files, keeps the weights of the epoch with the best validation loss, scores them on the
 * frozen evaluation set and writes the artifacts the rest of the pipeline reads:
 *
 *   outDir/tfjs/               model.json + weights.bin (`loadModel`)
 *   outDir/training-log.jsonl  one EpochLog per line, appended as epochs finish
 *   outDir/metrics.json        evaluation metrics + labels, config, backend, history, sizes
 *   outDir/predictions.json    {labels, keys (sha256), predictions, probabilities}
 *
 * Everything random (initial weights, validation split, shuffling, dropout) follows
 * `config.seed`. Decoded training images stay in memory as inputSize² RGB bytes (27 KB
 * each at 96 px), so each epoch costs only the network, not JPEG decoding.
 *
 * Importing this module loads libtensorflow; code that must also run where the native
 * backend is absent should `await ensureNativeBackend()` and then `await import()` it.
 */
import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { ensureNativeBackend } from "./backend.ts";
import { predict } from "./evaluate.ts";
import { decodeImages, toInputTensor } from "./images.ts";
import { argmax, computeMetrics, crossEntropy, toLabelIndices } from "./metrics.ts";
import { buildMobileNetV2 } from "./mobilenet-v2.ts";
import type { EpochLog, LabeledImage, TrainConfig, TrainResult } from "./types.ts";

/** One progress report: the epoch just finished and the time left if no early stop. */
export type ProgressLine = EpochLog & { eta_s: number };

/** Inputs of `trainModel`. */
export interface TrainRequest {
  train: LabeledImage[];
  /** May be empty: a stratified 10% of `train` is then held out. */
  val: LabeledImage[];
  /** The frozen evaluation set the metrics are computed on. */
  evaluation: LabeledImage[];
  /** Class names; index i is output unit i. */
  labels: string[];
  config: TrainConfig;
  outDir: string;
  onProgress?: (line: ProgressLine) => void;
}

/** Share of each class held out for validation when no validation set is given. */
export const DEFAULT_VAL_FRACTION = 0.1;

/** Trains, restores the best epoch's weights, evaluates and writes the artifacts. */
export async function trainModel(req: TrainRequest): Promise<TrainResult> {
  const { labels, config } = req;
  checkRequest(req);
  await ensureNativeBackend();
  const outDir = resolve(req.outDir);
  const modelDir = join(outDir, "tfjs");
  const logPath = join(outDir, "training-log.jsonl");
  await mkdir(outDir, { recursive: true });
  await rm(logPath, { force: true });

  const rng = mulberry32(config.seed);
  const { train, val } = req.val.length > 0 ? { train: req.train, val: req.val } : stratifiedSplit(req.train, DEFAULT_VAL_FRACTION, rng);
  const trainY = toLabelIndices(train, labels);
  const valY = toLabelIndices(val, labels);
  const evalY = toLabelIndices(req.evaluation, labels);
  const trainPixels = await decodeImages(train.map((i) => i.path), config.inputSize);
  const valPixels = await decodeImages(val.map((i) => i.path), config.inputSize);

  const model = buildMobileNetV2({ alpha: config.alpha, inputSize: config.inputSize, numClasses: labels.length, seed: config.seed });
  const optimizer = tf.train.adam(config.learningRate);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  // tfjs' Dropout reuses its seed on every call (the same mask every step); a fresh seed
  // from our stream per step keeps it both random and reproducible.
  const dropouts = model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as { seed?: number }[];

  const history: EpochLog[] = [];
  let best: { epoch: number; valLoss: number; weights: tf.Tensor[] } | undefined;
  const fitStart = performance.now();
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffled(train.length, rng);
      let lossSum = 0;
      let accSum = 0;
      for (let start = 0; start < order.length; start += config.batchSize) {
        const idx = order.slice(start, start + config.batchSize);
        for (const d of dropouts) d.seed = Math.floor(rng() * 2 ** 31);
        const x = toInputTensor(idx.map((i) => trainPixels[i] as Uint8Array), config.inputSize);
        const y = tf.oneHot(idx.map((i) => trainY[i] as number), labels.length);
        const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
        tf.dispose([x, y]);
        lossSum += (loss as number) * idx.length;
        accSum += (acc as number) * idx.length;
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      recalibrateBatchNorm(model, order.map((i) => trainPixels[i] as Uint8Array), config.inputSize, config.batchSize);
      const valProbs = await probabilitiesOf(model, valPixels, config.inputSize, config.batchSize);
      const valLoss = crossEntropy(valProbs, valY);
      const line: EpochLog = {
        epoch,
        loss: lossSum / train.length,
        accuracy: accSum / train.length,
        val_loss: valLoss,
        val_accuracy: valProbs.filter((p, i) => argmax(p) === valY[i]).length / val.length,
        seconds: (performance.now() - t0) / 1000,
        images_per_s: train.length / trainSeconds,
      };
      history.push(line);
      await appendFile(logPath, JSON.stringify(line) + "\n");
      if (!best || valLoss < best.valLoss) {
        tf.dispose(best?.weights);
        best = { epoch, valLoss, weights: model.getWeights().map((w) => w.clone()) };
      }
      const stop = epoch - best.epoch >= config.patience;
      const meanEpoch = history.reduce((a, h) => a + h.seconds, 0) / history.length;
      req.onProgress?.({ ...line, eta_s: stop ? 0 : (config.epochs - epoch) * meanEpoch });
      if (stop) break;
    }
    const fitSeconds = (performance.now() - fitStart) / 1000;
    if (!best) throw new Error("training ran no epoch (config.epochs must be >= 1)");
    model.setWeights(best.weights); // BN moving statistics included: they are weights too
    await model.save(`file://${modelDir}`);

    const evaluated = await predict(model, req.evaluation, config.inputSize, config.batchSize);
    const metrics = computeMetrics(evalY, evaluated.predictions, labels);
    const backend = tf.getBackend();
    await writeJson(join(outDir, "metrics.json"), {
      ...metrics,
      labels,
      config,
      backend,
      best_epoch: best.epoch,
      history,
      train_images: train.length,
      val_images: val.length,
      eval_images: req.evaluation.length,
      train_seconds: fitSeconds,
    });
    await writeJson(join(outDir, "predictions.json"), {
      labels,
      keys: req.evaluation.map((i) => i.sha256),
      predictions: evaluated.predictions,
      probabilities: evaluated.probabilities,
    });
    return { modelDir, labels: [...labels], metrics, predictions: evaluated.predictions, history, bestEpoch: best.epoch, trainSeconds: fitSeconds, backend };
  } finally {
    tf.dispose(best?.weights);
    model.dispose();
    optimizer.dispose();
  }
}

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
function recalibrateBatchNorm(model: tf.LayersModel, pixels: Uint8Array[], inputSize: number, batchSize: number): void {
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
async function probabilitiesOf(model: tf.LayersModel, pixels: Uint8Array[], inputSize: number, batchSize: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let start = 0; start < pixels.length; start += batchSize) {
    const y = tf.tidy(() => model.predict(toInputTensor(pixels.slice(start, start + batchSize), inputSize)) as tf.Tensor2D);
    out.push(...((await y.array()) as number[][]));
    y.dispose();
  }
  return out;
}

function checkRequest({ train, evaluation, labels, config }: TrainRequest): void {
  const problems: string[] = [];
  if (labels.length < 2) problems.push(`labels: need at least 2 classes, got [${labels.join(", ")}]`);
  if (new Set(labels).size !== labels.length) problems.push(`labels: duplicates in [${labels.join(", ")}]`);
  if (train.length === 0) problems.push("train: no training images");
  if (evaluation.length === 0) problems.push("evaluation: no evaluation images");
  for (const key of ["inputSize", "batchSize", "epochs", "patience"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) problems.push(`config.${key}: must be a positive integer, got ${config[key]}`);
  }
  if (!(config.learningRate > 0)) problems.push(`config.learningRate: must be > 0, got ${config.learningRate}`);
  if (!(config.alpha > 0)) problems.push(`config.alpha: must be > 0, got ${config.alpha}`);
  if (!Number.isInteger(config.seed)) problems.push(`config.seed: must be an integer, got ${config.seed}`);
  if (problems.length > 0) throw new Error(`trainModel: invalid request:\n- ${problems.join("\n- ")}`);
}

/** Holds out `fraction` of each class (at least 1 where the class has 2+ images). */
export function stratifiedSplit(images: LabeledImage[], fraction: number, rng: () => number): { train: LabeledImage[]; val: LabeledImage[] } {
  const byLabel = new Map<string, number[]>();
  images.forEach((img, i) => byLabel.set(img.label, [...(byLabel.get(img.label) ?? []), i]));
  const held = new Set<number>();
  for (const idx of byLabel.values()) {
    if (idx.length < 2) continue;
    const take = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * fraction)));
    shuffled(idx.length, rng).slice(0, take).forEach((j) => held.add(idx[j] as number));
  }
  if (held.size === 0) {
    throw new Error("no validation images given and every class has fewer than 2 training images, so none can be held out; add images or pass a validation set");
  }
  return { train: images.filter((_, i) => !held.has(i)), val: images.filter((_, i) => held.has(i)) };
}

/** A permutation of 0..n-1 (Fisher-Yates). */
function shuffled(n: number, rng: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/** Small seeded PRNG (mulberry32): reproducible shuffles without a dependency. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}
