/**
 * A run killed mid-way resumes from its last finished node in a new process: the SQLite
 * checkpointer carries the thread across processes, as it carries it across CI jobs.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createScratchRepo } from "../../synth/scratch-repo.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

const projectDir = resolve(import.meta.dirname, "../..");
let workspace: string;
afterAll(async () => rm(workspace, { recursive: true, force: true }));

/** Runs the pipeline CLI; resolves with its output, or kills it when `killOn` is printed. */
function runCli(
  args: string[],
  killOn?: RegExp,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(projectDir, "cli/pipeline.ts"), ...args],
      { cwd: projectDir, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } },
    );
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (killOn && killOn.test(out) && child.exitCode === null) child.kill("SIGKILL");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", rej);
    child.on("close", (code, signal) => res({ code, signal, out }));
  });
}

describe("resume after a kill", () => {
  it("continues at run_training_job in a new process without redoing earlier nodes", async () => {
    workspace = await mkdtemp(join(tmpdir(), "mlops-resume-"));
    const scratch = await createScratchRepo({
      workspace,
      evalPerClass: 3,
      configure: tinyTraining,
    });
    const batch = await synthesizeDataset({
      outDir: scratch.bucket,
      prefix: "b/a",
      datasetId: "farm-a",
      kind: "training",
      perClass: 6,
      seed: 7,
    });
    await scratch.commitManifest("data-manifests/farm-a.json", batch, "Add farm A");

    const killed = await runCli(
      ["--repo", scratch.repo, "--run-id", "run-1"],
      /run_training_job: training/,
    );
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.out).toMatch(/validate_data: quality_score/);

    const resumed = await runCli(["--repo", scratch.repo, "--resume", "run-1"]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/resuming run run-1 at run_training_job/);
    // Earlier nodes are not run again.
    expect(resumed.out).not.toMatch(/check_for_new_data:|validate_data:/);
    expect(resumed.out).toMatch(/run run-1: proposed for human review \(draft\)/);

    const state = JSON.parse(
      await readFile(join(scratch.repo, ".mlops/runs/run-1/state.json"), "utf8"),
    );
    // A first model with the floors off: the policy's bootstrap decision, a draft.
    expect(state.deployment_decision).toBe("HUMAN_REVIEW");
    expect(state.promotion).toMatchObject({ branch: "mlops/mango-ripeness-v1", draft: true });
    expect(state.steps.map((s: { node: string }) => s.node)).toEqual([
      "check_for_new_data",
      "validate_data",
      "run_training_job",
      "analyze_performance",
      "deploy_to_production",
      "alert_human",
    ]);
  }, 240_000);

  it("--stop-before hands a paused thread to another process, as the data job hands it to the GPU job", async () => {
    const scratch = { repo: join(workspace, "repo"), bucket: join(workspace, "bucket") };
    const batch = await synthesizeDataset({
      outDir: scratch.bucket,
      prefix: "b/b",
      datasetId: "farm-b",
      kind: "training",
      perClass: 6,
      seed: 8,
    });
    const { writeFile } = await import("node:fs/promises");
    const { stringifyManifest } = await import("../../lib/manifest.ts");
    await writeFile(join(scratch.repo, "data-manifests/farm-b.json"), stringifyManifest(batch));
    const data = await runCli([
      "--repo",
      scratch.repo,
      "--run-id",
      "run-2",
      "--stop-before",
      "run_training_job",
    ]);
    expect(data.code, data.out).toBe(0);
    expect(data.out).toMatch(
      /run run-2: paused before run_training_job \(resume with --resume run-2\)/,
    );
    expect(data.out).not.toMatch(/run_training_job: training/);
    const gpu = await runCli(["--repo", scratch.repo, "--resume", "run-2"]);
    expect(gpu.code, gpu.out).toBe(0);
    expect(gpu.out).toMatch(/resuming run run-2 at run_training_job/);
    expect(gpu.out).toMatch(/run_training_job: training mango-ripeness v2/);
  }, 240_000);

  it("an unknown run id is a clear error", async () => {
    const r = await runCli(["--repo", join(workspace, "repo"), "--resume", "no-such-run"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no run "no-such-run".*fix:/);
  }, 60_000);
});
