/**
 * The training recipe on the real four-stage photos in ../shared/data: trains on the train
 * split (early stopping on a stratified 10% of it), judges on the 600 val photos it never
 * saw, and prints one JSON line: the settings changed, val macro-F1, accuracy, seconds.
 * This is how the defaults in worker/README.md's ablation were chosen.
 *
 *   npx tsx bench/real-training.ts '{"labelSmoothing":0.1}' [label] [--tflite]
 *
 * With `--tflite`, the trained model is also exported as every .tflite variant the pipeline
 * writes (calibrated on the training photos as the trainer does) and each is proven in
 * LiteRT on the 600 val photos with the default gates: one more JSON line per variant.
 *
 * The argument overrides the project's default training config (mlops.config.json's
 * `training` section as trainModel sees it).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigSchema } from "../lib/config.ts";
import { trainConfigOf } from "../worker/settings.ts";
import { trainModel } from "../worker/train.ts";
import type { TrainConfig } from "../worker/types.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import { readRealSet, REAL_4STAGE, realSetPresent } from "./real-photos.ts";

if (!realSetPresent(REAL_4STAGE)) {
  console.error(`the real four-stage photos are not at ${REAL_4STAGE}: nothing to train on`);
  process.exit(2);
}
const withTflite = process.argv.includes("--tflite");
const args = process.argv.slice(2).filter((a) => a !== "--tflite");
const overrides = JSON.parse(args[0] ?? "{}") as Partial<TrainConfig>;
const label =
  args[1] ?? (JSON.stringify(overrides) === "{}" ? "defaults" : JSON.stringify(overrides));
const photos = readRealSet(REAL_4STAGE);
const labels = [...new Set(photos.map((p) => p.label))].sort();
const asImage = (p: (typeof photos)[number]): LabeledImage => ({
  path: p.file,
  label: p.label,
  sha256: p.sha256,
});
const config: TrainConfig = { ...trainConfigOf(ConfigSchema.parse({}).training), ...overrides };
const out = await mkdtemp(join(tmpdir(), "real-training-"));
const started = performance.now();
try {
  const train = photos.filter((p) => p.split === "train").map(asImage);
  const evaluation = photos.filter((p) => p.split === "val").map(asImage);
  const result = await trainModel({
    train,
    val: [],
    evaluation,
    labels,
    config,
    outDir: out,
    onProgress: (p) =>
      console.error(
        `epoch ${p.epoch}: loss ${p.loss.toFixed(3)} val_loss ${p.val_loss.toFixed(3)} val_acc ${p.val_accuracy.toFixed(3)} ${p.images_per_s.toFixed(0)} img/s`,
      ),
  });
  const m = result.metrics;
  console.log(
    JSON.stringify({
      setting: label,
      macro_f1: Number(m.macro_f1.toFixed(4)),
      accuracy: Number(m.accuracy.toFixed(4)),
      per_class_f1: Object.fromEntries(
        Object.entries(m.per_class).map(([k, v]) => [k, Number(v.f1.toFixed(3))]),
      ),
      best_epoch: result.bestEpoch,
      epochs_run: result.history.length,
      train_seconds: Math.round(result.trainSeconds),
      seconds: Math.round((performance.now() - started) / 1000),
      train_img_s: Math.round(
        result.history.reduce((a, h) => a + h.images_per_s, 0) / result.history.length,
      ),
    }),
  );
  if (withTflite)
    for (const v of await exportOnRealPhotos(result.modelDir, train, evaluation))
      console.log(JSON.stringify(v));
} finally {
  await rm(out, { recursive: true, force: true });
}

/** Every variant written and proven as the trainer does it, on the val photos. */
async function exportOnRealPhotos(
  modelDir: string,
  train: LabeledImage[],
  evaluation: LabeledImage[],
): Promise<object[]> {
  const { exportVariants } = await import("../worker/tflite/export.ts");
  const { evalSetFromImages } = await import("../worker/tflite/verify.ts");
  const { calibrationSample } = await import("../worker/tflite/calibrate.ts");
  const { describePreprocessing } = await import("../worker/images.ts");
  const p = ConfigSchema.parse({}).policy.tflite;
  const loose = {
    minArgmaxAgreement: p.int8_min_argmax_agreement,
    maxAccuracyDrop: p.int8_max_accuracy_drop,
  };
  const sample = calibrationSample(train, undefined, config.seed);
  const exported = await exportVariants({
    model: modelDir,
    outDir: join(out, "tflite"),
    version: 1,
    labels,
    preprocessing: describePreprocessing(config.inputSize),
    evalSet: await evalSetFromImages(evaluation, labels, config.inputSize),
    calibration: (await evalSetFromImages(sample, labels, config.inputSize)).inputs,
    gates: {
      float32: { maxLogitDiff: p.float32_max_logit_diff, minArgmaxAgreement: 1 },
      float16: loose,
      int8: loose,
      int8_full: {
        minArgmaxAgreement: p.int8_full_min_argmax_agreement,
        maxAccuracyDrop: p.int8_full_max_accuracy_drop,
      },
    },
  });
  return exported.variants.map((v) => ({
    setting: label,
    variant: v.variant,
    bytes: v.verification?.bytes,
    argmax_agreement: v.verification?.argmax_agreement,
    accuracy: v.verification?.accuracy,
    tfjs_accuracy: v.verification?.reference_accuracy,
    max_logit_diff: v.verification?.max_logit_diff,
    litert_ms: v.verification?.median_latency_ms,
    gate: v.candidate ? "passed" : v.reasons,
  }));
}
