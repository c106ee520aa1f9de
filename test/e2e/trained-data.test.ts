/**
 * Training data is exactly what was validated. Production v1 learned from farm-a.json;
 * then one push edits farm-a.json (every maduro relabelled verde) and adds farm-b.json.
 * The run that trains v2 on farm-b must read farm-a at the bytes v1 learned from, not the
 * unvalidated edit; the edit is new data of its own, waiting for the data gate. A deleted
 * trained manifest still trains from history, and a run resumed after its manifest
 * changed stops instead of training bytes the gate did not check.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../app/pipeline.ts";
import type { Manifest } from "../../lib/manifest.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

let workspace: string;
let scratch: ScratchRepo;
let farmA: Manifest;
const quiet = { log: () => {} };

const run = (extra: Parameters<typeof runPipeline>[0] extends infer O ? Partial<O> : never) =>
  runPipeline({ repoDir: scratch.repo, config: scratch.config(), services: quiet, ...extra });

async function batch(name: string, seed: number): Promise<Manifest> {
  return synthesizeDataset({
    outDir: scratch.bucket,
    prefix: name,
    datasetId: name,
    kind: "training",
    perClass: 4,
    seed,
    classes: ["verde", "maduro"],
  });
}

/** Training-set labels per class of a finished run, from its lineage as recorded. */
async function lineageOf(version: string) {
  const text = await scratch.git(
    "show",
    `mlops/mango-ripeness-${version}:models/mango-ripeness/${version}/lineage.json`,
  );
  return JSON.parse(text) as { manifests: Array<{ path: string; sha256: string }> };
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "mlops-trained-"));
  scratch = await createScratchRepo({ workspace, evalPerClass: 2, configure: tinyTraining });
  farmA = await batch("farm-a", 21);
  await scratch.commitManifest("data-manifests/farm-a.json", farmA, "Add farm A");
  const first = await run({});
  expect(first.state.model_version).toBe("v1");
  await scratch.git("merge", "-q", "--no-ff", "-m", "Merge v1", first.state.promotion!.branch);
}, 240_000);
afterAll(async () => rm(workspace, { recursive: true, force: true }));

describe("training data is exactly what was validated", () => {
  it("trains on a trained manifest's recorded bytes, not on an unvalidated edit", async () => {
    const recorded = (await lineageOf("v1")).manifests[0]!;
    const edited = {
      ...farmA,
      images: farmA.images.map((i) => ({ ...i, label: "verde" })),
    };
    await writeFile(join(scratch.repo, "data-manifests/farm-a.json"), JSON.stringify(edited));
    await scratch.commitManifest(
      "data-manifests/farm-b.json",
      await batch("farm-b", 22),
      "Edit A, add B",
    );
    const r = await run({ manifest: "data-manifests/farm-b.json" });
    expect(r.state.new_data_path).toBe("data-manifests/farm-b.json");
    expect(r.state.training_summary?.manifests.map((m) => [m.path, m.sha256])).toEqual([
      ["data-manifests/farm-a.json", recorded.sha256],
      ["data-manifests/farm-b.json", r.state.manifest_sha256],
    ]);
    expect(r.state.pending_manifests).toEqual([]);
  }, 240_000);

  it("still trains when a trained manifest was deleted, reading it from history", async () => {
    await unlink(join(scratch.repo, "data-manifests/farm-a.json"));
    await scratch.git("commit", "-q", "-am", "Remove farm A");
    await scratch.commitManifest("data-manifests/farm-c.json", await batch("farm-c", 23), "Add C");
    const r = await run({ manifest: "data-manifests/farm-c.json" });
    expect(r.state.model_version).not.toBeNull();
    expect(r.state.training_summary?.manifests.map((m) => m.path)).toContain(
      "data-manifests/farm-a.json",
    );
  }, 240_000);

  it("stops a resumed run whose manifest changed after validation, changing nothing", async () => {
    await scratch.commitManifest("data-manifests/farm-d.json", await batch("farm-d", 24), "Add D");
    const paused = await run({
      manifest: "data-manifests/farm-d.json",
      stopBefore: "run_training_job",
    });
    expect(paused.outcome).toBe("paused");
    const path = join(scratch.repo, "data-manifests/farm-d.json");
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"maduro"', '"verde"'));
    const pointer = await scratch.git("rev-parse", "HEAD:models/mango-ripeness/production.json");
    const err = (await run({ resume: paused.runId }).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /run_training_job: data-manifests\/farm-d\.json changed since this run began .*fix: start a new run/s,
    );
    // It cannot be resumed: the message says to start a new run, not to resume this one.
    expect(err.message).toMatch(/Start a new run: npm run pipeline -- --repo /);
    expect(err.message).not.toMatch(/--resume/);
    expect(await scratch.git("rev-parse", "HEAD:models/mango-ripeness/production.json")).toBe(
      pointer,
    );
  }, 240_000);

  it("refuses to resume a run that never ran, leaving no folder behind", async () => {
    await expect(run({ resume: "never-ran" })).rejects.toThrow(/no run "never-ran"/);
    expect(existsSync(join(scratch.repo, ".mlops/runs/never-ran"))).toBe(false);
  });
});
