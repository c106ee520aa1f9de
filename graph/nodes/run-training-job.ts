/**
 * run_training_job: trains the candidate on everything production learned from plus the
 * new manifest (minus the images validate_data refused), and evaluates it on the frozen
 * evaluation set. The DL worker is a service, so a GPU runner or a remote job can replace it.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { assertUnchanged } from "../../lib/manifest-files.ts";
import { readRecordedManifest } from "../../lib/manifest-history.ts";
import { type Manifest } from "../../lib/manifest.ts";
import { readManifest } from "../../lib/manifest-file.ts";
import { materializeManifest } from "../../lib/dataset.ts";
import { loadEvaluationSet } from "../../lib/evaluation-set.ts";
import { runFolder, TRAINING_FILES } from "../../lib/run-folder.ts";
import { batchProgressReporter } from "../../worker/progress.ts";
import type { LabeledImage } from "../../lib/dataset.ts";
import { type NodeConfig, type PipelineServices, servicesOf } from "../services.ts";
import {
  type MLOpsStateType,
  type MLOpsUpdate,
  step,
  type TfliteSummary,
  type TrainingSummary,
} from "../state.ts";

/** Adds the .tflite proof to the candidate's metrics.json, where the issue asks for it. */
async function recordTflite(metricsPath: string, tflite: TfliteSummary): Promise<void> {
  const metrics = JSON.parse(await readFile(metricsPath, "utf8")) as Record<string, unknown>;
  await writeFile(metricsPath, JSON.stringify({ ...metrics, tflite }, null, 2) + "\n");
}

/** A manifest the candidate learns from, at the content it must be read at. */
interface TrainingManifest {
  path: string;
  /** sha256 of the bytes to train on: the lineage's record, or what validate_data checked. */
  sha256: string;
  /** The version whose lineage records it; null for this run's new manifest. */
  version: string | null;
}

/** Manifests the candidate learns from: production's lineage plus the new one. */
async function trainingManifests(
  services: PipelineServices,
  state: MLOpsStateType,
): Promise<TrainingManifest[]> {
  const production = await services.registry.production();
  const earlier = production
    ? ((await services.registry.lineage(production.version))?.manifests ?? [])
    : [];
  const newPath = state.new_data_path!;
  // The new manifest replaces its own earlier version (an edited trained manifest).
  return [
    ...earlier
      .filter((m) => m.path !== newPath)
      .map((m) => ({ path: m.path, sha256: m.sha256, version: production!.version })),
    { path: newPath, sha256: state.manifest_sha256!, version: null },
  ];
}

/** Reads a training manifest at exactly the bytes that were validated (or trained before). */
async function readTrainingManifest(
  services: PipelineServices,
  m: TrainingManifest,
  scratchDir: string,
): Promise<Manifest> {
  if (m.version) {
    const recorded = await readRecordedManifest({
      repoDir: services.repoDir,
      path: m.path,
      sha256: m.sha256,
      version: m.version,
      scratchDir,
    });
    if (recorded.source !== "working tree")
      services.log(
        `run_training_job: ${m.path} as ${m.version} learned it, from ${recorded.source}`,
      );
    return recorded.manifest;
  }
  await assertUnchanged(services.repoDir, m.path, m.sha256, "run_training_job");
  return readManifest(resolve(services.repoDir, m.path));
}

/** The node. */
export async function runTrainingJob(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { config: cfg, registry, log } = services;
  const rejected = new Set(state.rejected_images);
  const seen = new Set<string>();
  const train: LabeledImage[] = [];
  const val: LabeledImage[] = [];
  const lineage: TrainingSummary["manifests"] = [];
  const scratchDir = join(runFolder(services.runDir(state.run_id)).dir, "manifests");
  for (const entry of await trainingManifests(services, state)) {
    const { path } = entry;
    const manifest = await readTrainingManifest(services, entry, scratchDir);
    const local = await materializeManifest(
      manifest,
      services.openStore(manifest.base_uri),
      services.cache,
      {
        exclude: path === state.new_data_path ? rejected : undefined,
      },
    );
    // The same photo in two manifests is one example, not two.
    for (const [split, into] of [
      [local.train, train],
      [local.val, val],
    ] as const) {
      for (const img of split)
        if (!seen.has(img.sha256)) {
          seen.add(img.sha256);
          into.push(img);
        }
    }
    lineage.push({
      path,
      sha256: entry.sha256,
      dataset_id: manifest.dataset_id,
      images: manifest.images.length,
    });
  }
  const evaluation = await loadEvaluationSet(services);
  const leaked = evaluation.images.filter((i) => seen.has(i.sha256)).length;
  if (leaked)
    throw new Error(
      `${leaked} evaluation images also appear in the training data; the comparison would be meaningless (fix: remove them from the training manifest)`,
    );

  // Reserved once the data is known good, so a run that stops above burns no number.
  const version = await registry.reserveVersion(state.run_id);
  const outDir = resolve(runFolder(services.runDir(state.run_id)).candidate);
  log(
    `run_training_job: training ${cfg.model_name} ${version} (device: ${cfg.training.device}) on ${train.length} images (val ${val.length}, eval ${evaluation.images.length}) from ${lineage.length} manifest(s)`,
  );
  const result = await services.trainer.train({
    train,
    val,
    evaluation: evaluation.images,
    labels: cfg.labels,
    outDir,
    onBatch: batchProgressReporter({ tty: false, write: (t) => log(`  ${t.trimEnd()}`) }),
    onProgress: (p) =>
      log(
        `  epoch ${p.epoch}: loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} val_loss ${p.val_loss.toFixed(3)} val_acc ${p.val_accuracy.toFixed(3)} ${p.images_per_s.toFixed(0)} img/s ETA ${Math.round(p.eta_s)}s`,
      ),
  });
  // A model that has not been proven as a .tflite in a real runtime is never a candidate:
  // analyze_performance gates on the shipped variant's proof.
  const tflite = await services.trainer.exportTflite({
    modelDir: result.modelDir,
    outDir,
    version: Number(version.slice(1)),
    labels: cfg.labels,
    evaluation: evaluation.images,
    training: train,
    runId: state.run_id,
  });
  await recordTflite(join(outDir, TRAINING_FILES.metrics), tflite);
  for (const v of tflite.variants) {
    log(
      `run_training_job: ${v.variant} .tflite ${v.candidate ? `proven (${v.bytes} bytes, max logit diff ${v.max_logit_diff?.toExponential(1)}, agreement ${((v.argmax_agreement ?? 0) * 100).toFixed(1)}%, ${v.median_latency_ms?.toFixed(1)} ms/image)` : `refused: ${v.reasons.join("; ")}`}`,
    );
  }
  log(
    `run_training_job: ${version} accuracy ${(result.metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${(result.metrics.macro_f1 * 100).toFixed(1)}% on the evaluation set (best epoch ${result.bestEpoch}, trained on ${result.device})`,
  );
  return {
    model_version: version,
    candidate_model_path: result.modelDir,
    candidate_metrics: result.metrics,
    tflite,
    training_summary: {
      best_epoch: result.bestEpoch,
      epochs_run: result.history.length,
      train_seconds: result.trainSeconds,
      device:
        result.replicas > 1 ? `${result.device}, x${result.replicas} replicas` : result.device,
      train_images: train.length,
      val_images: val.length,
      eval_images: evaluation.images.length,
      excluded_images: rejected.size,
      manifests: lineage,
    },
    steps: step("run_training_job", `${version}: accuracy ${result.metrics.accuracy.toFixed(3)}`),
  };
}
