/**
 * The world of the fault suite's pipeline cases: a scratch repository (synth/scratch-repo.ts)
 * that trains a tiny model in seconds, a batch maker, runs that keep their log, and a
 * snapshot of everything a failed or refused run must leave alone: main's production
 * pointer, the merged versions, the halted-manifest records (`refs/mlops/rejected/*`) and
 * the version reservations.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type RunOptions, type RunResult, runPipeline } from "../../app/pipeline.ts";
import type { Manifest } from "../../lib/manifest.ts";
import { Registry } from "../../lib/registry.ts";
import { reservations } from "../../lib/version-reservation.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import { tinyTraining } from "./tiny-config.ts";

export const MODEL = "mango-ripeness";
export const POINTER = `models/${MODEL}/production.json`;

/**
 * tinyTraining, with the float32 .tflite's logit tolerance widened: a 2-epoch model on a
 * handful of photos can miss the 1e-4 proof by a hair, and these cases are about the
 * pipeline's flow, not the export's precision.
 */
export function faultTraining(config: Record<string, unknown>): Record<string, unknown> {
  const tiny = tinyTraining(config);
  const policy = tiny.policy as Record<string, unknown>;
  return { ...tiny, policy: { ...policy, tflite: { float32_max_logit_diff: 1e-2 } } };
}

/** What a run must not change unless it says so. */
export interface Snapshot {
  /** main's production pointer, as committed. */
  pointer: string;
  /** Merged versions in the working tree's registry. */
  versions: string[];
  /** sha256 of every halted manifest. */
  rejected: string[];
  /** version -> run id. */
  reserved: Record<string, string>;
}

/** The pipeline world of one test file. */
export interface PipelineWorld {
  scratch: ScratchRepo;
  /** Every line the runs logged, in order. */
  logs: string[];
  /** A training batch of `perClass` photos of verde and maduro under the prefix `name`. */
  batch(name: string, seed: number, perClass?: number): Promise<Manifest>;
  /** One run on the scratch repository with its config (and `extra`). */
  run(extra?: Partial<RunOptions>): Promise<RunResult>;
  snapshot(): Promise<Snapshot>;
}

/** Builds the world (optionally training and merging v1 from `first`) around the file's tests. */
export function usePipelineWorld(
  opts: { first?: { name: string; seed: number }; timeoutMs?: number } = {},
): PipelineWorld {
  let workspace = "";
  const w = { logs: [] as string[] } as PipelineWorld;
  w.batch = (name, seed, perClass = 4) =>
    synthesizeDataset({
      outDir: w.scratch.bucket,
      prefix: name,
      datasetId: name,
      kind: "training",
      perClass,
      seed,
      classes: ["verde", "maduro"],
    });
  w.run = (extra = {}) =>
    runPipeline({
      repoDir: w.scratch.repo,
      config: w.scratch.config(),
      env: {},
      ...extra,
      services: { log: (m: string) => w.logs.push(m), ...extra.services },
    });
  w.snapshot = async () => {
    const registry = new Registry(w.scratch.repo, "models", MODEL);
    return {
      pointer: await w.scratch.git("show", `main:${POINTER}`).catch(() => "(none)"),
      versions: await registry.versions(),
      rejected: [...(await registry.rejectedManifests())].sort(),
      reserved: Object.fromEntries(await reservations(w.scratch.repo, MODEL)),
    };
  };

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), "mlops-faults-pipeline-"));
    w.scratch = await createScratchRepo({ workspace, evalPerClass: 2, configure: faultTraining });
    if (!opts.first) return;
    const { name, seed } = opts.first;
    await w.scratch.commitManifest(`data-manifests/${name}.json`, await w.batch(name, seed), name);
    const first = await w.run();
    if (!first.state.promotion)
      throw new Error(`the first run did not propose v1: ${first.summary}`);
    await w.scratch.git("merge", "-q", "--no-ff", "-m", "Merge v1", first.state.promotion.branch);
  }, opts.timeoutMs ?? 180_000);
  afterAll(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });
  return w;
}
