/**
 * The DL worker on its own, as a use case: train on a manifest's train split (its val
 * split for early stopping), evaluate on an evaluation manifest, with the `training`
 * settings and labels of a config: what `npm run train` runs. Writes `out/tfjs/`,
 * `out/metrics.json`, `out/predictions.json` and `out/training-log.jsonl`.
 */
import { resolve } from "node:path";
import { configDir, loadConfig } from "../lib/config.ts";
import { materializeManifest } from "../lib/dataset.ts";
import { readManifest } from "../lib/manifest-file.ts";
import { HashCache } from "../lib/storage/index.ts";
import { storesOf } from "./services.ts";
import { batchProgressReporter } from "../worker/progress.ts";
import { trainConfigOf } from "../worker/settings.ts";
import { type ProgressLine, trainModel } from "../worker/train.ts";
import type { TrainResult } from "../worker/types.ts";

/** What to train on, with which settings, and where progress goes. */
export interface TrainRequest {
  manifest: string;
  eval: string;
  out: string;
  config: string;
  cache: string;
  /** The per-batch bar (a terminal) or a line every few seconds (a log). */
  progress: { tty: boolean; write: (text: string) => void };
  onEpoch?: (line: ProgressLine) => void;
}

/** Trains and evaluates one model; labels outside the config's classes are an error naming them. */
export async function trainOnManifests(req: TrainRequest): Promise<TrainResult> {
  const config = loadConfig(resolve(req.config));
  const cache = new HashCache(resolve(req.cache));
  const open = storesOf(configDir(resolve(req.config)), config);
  const [data, evaluation] = await Promise.all([
    readManifest(resolve(req.manifest)),
    readManifest(resolve(req.eval)),
  ]);
  for (const m of [data, evaluation]) {
    const unknown = m.labels.filter((l) => !config.labels.includes(l));
    if (unknown.length)
      throw new Error(
        `${m.dataset_id}: labels ${unknown.join(", ")} are not classes of the model [${config.labels.join(", ")}] (fix: align the manifest with mlops.config.json)`,
      );
  }
  const local = await materializeManifest(data, open(data.base_uri), cache);
  const evalLocal = await materializeManifest(evaluation, open(evaluation.base_uri), cache);
  return trainModel({
    train: local.train,
    val: local.val,
    evaluation: evalLocal.eval,
    labels: config.labels,
    outDir: resolve(req.out),
    config: trainConfigOf(config.training),
    onBatch: batchProgressReporter(req.progress),
    ...(req.onEpoch ? { onProgress: req.onEpoch } : {}),
  });
}
