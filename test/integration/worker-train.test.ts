import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateModel } from "../../worker/evaluate.ts";
import { mulberry32, stratifiedSplit } from "../../worker/split.ts";
import { trainModel, type ProgressLine } from "../../worker/train.ts";
import type { TrainConfig, TrainResult } from "../../worker/types.ts";
import type { LabeledImage } from "../../lib/dataset.ts";

// An easy task a from-scratch MobileNetV2 must get right in a few epochs: three strongly
// different colours with per-pixel noise, written as real PNG files. Batches of 16 mix the
// classes, so BatchNorm keeps the colour differences (a one-class batch would erase them).
const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [40, 60, 220],
};
const LABELS = Object.keys(COLOURS);
const CONFIG: TrainConfig = {
  alpha: 0.35,
  inputSize: 32,
  batchSize: 16,
  epochs: 5,
  learningRate: 1e-3,
  patience: 10,
  seed: 7,
  augment: true,
};

async function writeImages(dir: string, perClass: number, seed: number): Promise<LabeledImage[]> {
  const rng = mulberry32(seed);
  const size = 40;
  await mkdir(dir, { recursive: true });
  const images: LabeledImage[] = [];
  for (const [label, rgb] of Object.entries(COLOURS)) {
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size * 3);
      for (let p = 0; p < px.length; p++)
        px[p] = Math.max(0, Math.min(255, rgb[p % 3]! + Math.round((rng() - 0.5) * 60)));
      const png = await sharp(px, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toBuffer();
      const path = join(dir, `${label}_${i}.png`);
      await sharp(png).toFile(path);
      images.push({ path, label, sha256: createHash("sha256").update(png).digest("hex") });
    }
  }
  return images;
}

describe("trainModel on a tiny colour task", () => {
  let tmp: string;
  let train: LabeledImage[];
  let evaluation: LabeledImage[];
  let result: TrainResult;
  const progress: ProgressLine[] = [];
  const tensorsAfterEpoch: number[] = [];
  let tensorsBefore: number;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "worker-train-"));
    train = await writeImages(join(tmp, "train"), 30, 1);
    evaluation = await writeImages(join(tmp, "eval"), 4, 2);
    tensorsBefore = tf.memory().numTensors;
    result = await trainModel({
      train,
      val: [], // exercises the stratified hold-out
      evaluation,
      labels: LABELS,
      config: CONFIG,
      outDir: join(tmp, "run1"),
      onProgress: (line) => {
        progress.push(line);
        tensorsAfterEpoch.push(tf.memory().numTensors);
      },
    });
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("writes the model, the training log, metrics and predictions", async () => {
    const out = join(tmp, "run1");
    expect(result.modelDir).toBe(join(out, "tfjs"));
    expect(existsSync(join(out, "tfjs", "model.json"))).toBe(true);
    expect(existsSync(join(out, "tfjs", "weights.bin"))).toBe(true);
    const log = (await readFile(join(out, "training-log.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(log).toEqual(result.history);
    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
    expect(metrics).toMatchObject({
      labels: LABELS,
      config: CONFIG,
      backend: "tensorflow",
      device: expect.stringMatching(/^CPU, oneDNN( off)?, \d+ threads?$/),
      runtime: { package: "@tensorflow/tfjs-node", backend: "tensorflow" },
      best_epoch: result.bestEpoch,
      train_images: 81, // 30 per class minus a stratified 10% (3 each) held out
      val_images: 9,
      eval_images: 12,
      accuracy: result.metrics.accuracy,
    });
    const preds = JSON.parse(await readFile(join(out, "predictions.json"), "utf8"));
    expect(preds.keys).toEqual(evaluation.map((i) => i.sha256));
    expect(preds.predictions).toEqual(result.predictions);
    expect(preds.probabilities).toHaveLength(12);
  });

  it("logs every epoch with throughput and a shrinking ETA", () => {
    expect(result.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.map((p) => p.eta_s).at(-1)).toBe(0);
    for (const h of result.history) expect(h.images_per_s).toBeGreaterThan(0);
  });

  it("learns: training loss falls and evaluation accuracy is well above chance", () => {
    const [first, last] = [result.history[0]!, result.history.at(-1)!];
    expect(last.loss).toBeLessThan(first.loss);
    expect(result.metrics.accuracy).toBeGreaterThan(0.6); // chance is 1/3
  });

  it("does not leak tensors from epoch to epoch, nor after training", () => {
    // Epoch 1 allocates Adam's slots and the best-weights copy; after that the count is flat.
    expect(new Set(tensorsAfterEpoch.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it("re-evaluating the saved model reproduces the predictions", async () => {
    const again = await evaluateModel(result.modelDir, evaluation, LABELS, CONFIG.inputSize);
    expect(again.predictions).toEqual(result.predictions);
    expect(again.metrics).toEqual(result.metrics);
  });

  it("is reproducible: the same seed gives the same loss history, augmentation included", async () => {
    const rerun = await trainModel({
      train,
      val: [],
      evaluation,
      labels: LABELS,
      config: CONFIG,
      outDir: join(tmp, "run2"),
    });
    // Exactly equal on tfjs-node's CPU kernels here (oneDNN, same thread count).
    const curve = (r: TrainResult) => r.history.map((h) => [h.loss, h.val_loss, h.lr]);
    expect(curve(rerun)).toEqual(curve(result));
  });

  it("with weight averaging and label smoothing keeps the averaged weights, which differ from the raw ones and still learn", async () => {
    const config = { ...CONFIG, epochs: 3, emaDecay: 0.9, labelSmoothing: 0.1 };
    const averaged = await trainModel({
      train,
      val: [],
      evaluation,
      labels: LABELS,
      config,
      outDir: join(tmp, "run-ema"),
    });
    const raw = await trainModel({
      train,
      val: [],
      evaluation,
      labels: LABELS,
      config: { ...config, emaDecay: 0 },
      outDir: join(tmp, "run-raw"),
    });
    // The same steps (training loss) but other weights judged (validation loss).
    expect(averaged.history.map((h) => h.loss)).toEqual(raw.history.map((h) => h.loss));
    expect(averaged.history.map((h) => h.val_loss)).not.toEqual(raw.history.map((h) => h.val_loss));
    expect(averaged.metrics.accuracy).toBeGreaterThan(0.6);
    expect(
      JSON.parse(await readFile(join(tmp, "run-ema", "metrics.json"), "utf8")).config,
    ).toMatchObject({ emaDecay: 0.9, labelSmoothing: 0.1 });
  });

  it("trains on two data-parallel replicas when told, learns, records them and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    const split = await trainModel({
      train,
      val: [],
      evaluation,
      labels: LABELS,
      config: { ...CONFIG, replicas: 2 },
      outDir: join(tmp, "run-replicas"),
    });
    expect(split.replicas).toBe(2);
    expect(result.replicas).toBe(1); // "auto" with batches of 16: one replica keeps BN statistics over 16 images
    expect(split.history.at(-1)!.loss).toBeLessThan(split.history[0]!.loss);
    expect(split.metrics.accuracy).toBeGreaterThan(0.6);
    expect(
      JSON.parse(await readFile(join(tmp, "run-replicas", "metrics.json"), "utf8")).replicas,
    ).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("follows the warm-up + cosine schedule, one LR per epoch in the log", () => {
    const lrs = result.history.map((h) => h.lr!);
    expect(lrs[0]).toBe(CONFIG.learningRate); // one epoch of warm-up ends at the peak
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThan(lrs[i - 1]!);
    expect(lrs.at(-1)!).toBeCloseTo(CONFIG.learningRate * 0.05, 10); // the planned last step reaches the floor
  });

  it("writes the training curves and the confusion matrix as standalone SVG", async () => {
    expect(result.plots).toEqual({
      curves: join(tmp, "run1", "training-curves.svg"),
      confusion: join(tmp, "run1", "confusion-matrix.svg"),
    });
    for (const path of Object.values(result.plots!)) {
      const svg = await readFile(path, "utf8");
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const png = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
      expect(png.info.width).toBeGreaterThan(300);
    }
    expect(await readFile(result.plots!.curves, "utf8")).toContain(
      `best epoch ${result.bestEpoch}`,
    );
  });

  it("records balanced class weights (all 1) in metrics.json", async () => {
    const metrics = JSON.parse(await readFile(join(tmp, "run1", "metrics.json"), "utf8"));
    expect(metrics.class_weights).toEqual({ red: 1, green: 1, blue: 1 });
    expect(result.classWeights).toEqual(metrics.class_weights);
    expect(metrics.augmentation).toMatchObject({ flip: true, rotationDeg: 15 });
  });
});

describe("stratifiedSplit", () => {
  it("holds out about 10% of every class, at least one, never a class's last image", () => {
    const img = (label: string, i: number) => ({
      path: `${label}${i}`,
      label,
      sha256: `${label}${i}`,
    });
    const images = [
      ...Array.from({ length: 20 }, (_, i) => img("a", i)),
      ...Array.from({ length: 3 }, (_, i) => img("b", i)),
      img("c", 0),
    ];
    const { train, val } = stratifiedSplit(images, 0.1, mulberry32(1));
    expect(val.filter((i) => i.label === "a")).toHaveLength(2);
    expect(val.filter((i) => i.label === "b")).toHaveLength(1);
    expect(val.filter((i) => i.label === "c")).toHaveLength(0);
    expect(train.length + val.length).toBe(images.length);
    expect(stratifiedSplit(images, 0.1, mulberry32(1))).toEqual({ train, val }); // seeded
  });
});
