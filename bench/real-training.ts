/**
 * The training recipe on the real four-stage photos in ../shared/data: trains on the train
 * split (early stopping on a stratified 10% of it), judges on the 600 val photos it never
 * saw, and prints one JSON line: the settings changed, val macro-F1, accuracy, seconds.
 * This is how the defaults in worker/README.md's ablation were chosen.
 *
 *   npx tsx bench/real-training.ts '{"labelSmoothing":0.1}' [label]
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
const overrides = JSON.parse(process.argv[2] ?? "{}") as Partial<TrainConfig>;
const label =
  process.argv[3] ?? (JSON.stringify(overrides) === "{}" ? "defaults" : JSON.stringify(overrides));
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
  const result = await trainModel({
    train: photos.filter((p) => p.split === "train").map(asImage),
    val: [],
    evaluation: photos.filter((p) => p.split === "val").map(asImage),
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
} finally {
  await rm(out, { recursive: true, force: true });
}
