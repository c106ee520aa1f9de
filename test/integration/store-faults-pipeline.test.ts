/**
 * A store outage during a pipeline run is a run error, never a verdict on the batch: the
 * run fails in validate_data naming the store, no halted-manifest record
 * (`refs/mlops/rejected/*`) is written, the registry, production and the repository's
 * refs are unchanged, and resuming the same run once the store answers completes it.
 * Real s3rver behind a gate on 127.0.0.1 that resets every connection during the outage.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../app/pipeline.ts";
import { git } from "../../lib/git.ts";
import type { Manifest } from "../../lib/manifest.ts";
import { Registry } from "../../lib/registry.ts";
import { S3Store, createS3Client, openStore } from "../../lib/storage/index.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import {
  type RunningS3rver,
  type StoreGate,
  startS3rver,
  startStoreGate,
} from "../helpers/s3rver.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

let workspace: string;
let scratch: ScratchRepo;
let s3: RunningS3rver;
let gate: StoreGate;
let client: S3Client;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "mlops-store-fault-"));
  scratch = await createScratchRepo({ workspace, evalPerClass: 2, configure: tinyTraining });
  s3 = await startS3rver({ buckets: ["incoming"] });
  gate = await startStoreGate({ port: s3.port }, "forward");
  client = createS3Client(s3.settings);
  // The batch is made on disk, then uploaded: the run reads it from S3 only.
  const local = await synthesizeDataset({
    outDir: join(workspace, "upload"),
    prefix: "farm-a",
    datasetId: "farm-a",
    kind: "training",
    perClass: 3,
    seed: 17,
  });
  const store = new S3Store("s3://incoming", client);
  for (const img of local.images)
    await store.put(img.key, await readFile(join(workspace, "upload", img.key)));
  const manifest: Manifest = { ...local, base_uri: "s3://incoming" };
  await scratch.commitManifest("data-manifests/farm-a.json", manifest, "Add farm A from S3");
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await gate?.stop();
  await s3?.stop();
  await rm(workspace, { recursive: true, force: true });
});

/** Every ref of the repository with its commit, and the registry's view of production. */
async function repositoryState() {
  const config = scratch.config();
  const registry = new Registry(scratch.repo, config.paths.registry, config.model_name);
  return {
    refs: await git(scratch.repo, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    production: await registry.production(),
    versions: await registry.versions(),
    rejected: [...(await registry.rejectedManifests())],
  };
}

describe("a store outage during a run", () => {
  it("fails the run without a verdict, changes nothing, and the resumed run completes", async () => {
    const before = await repositoryState();
    expect(before.rejected).toEqual([]);
    const logs: string[] = [];
    const services = {
      log: (m: string) => logs.push(m),
      // The real opener, reaching s3rver through the gate with its credentials.
      openStore: (uri: string) => openStore(uri, { ...s3.settings, endpoint: gate.endpoint }),
    };
    const run = { repoDir: scratch.repo, config: scratch.config(), env: {}, services };

    gate.mode = "reset";
    const err = await runPipeline({ ...run, runId: "outage-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(
        [
          "^Run outage-1 failed in validate_data: GetObject s3://incoming/farm-a/\\S+ failed: .*",
          "\\(after 3 attempts\\)\\. The store could not be used, which says nothing about the data: .*then retry\\n",
          "Nothing was promoted\\. After fixing the cause, resume with: npm run pipeline -- --repo .* --resume outage-1$",
        ].join(""),
      ),
    );
    expect(gate.connections).toBeGreaterThan(0);
    // No halted-manifest record, no version, no production, no new branch or commit.
    expect(await repositoryState()).toEqual(before);

    gate.mode = "forward";
    const resumed = await runPipeline({ ...run, resume: "outage-1" });
    expect(resumed.halted).toBe(false);
    expect(["proposed", "proposed_for_review"]).toContain(resumed.outcome);
    expect(resumed.state.new_data_path).toBe("data-manifests/farm-a.json");
    expect(resumed.state.quality_score).toBeGreaterThanOrEqual(7);
    expect(resumed.state.steps.map((s: { node: string }) => s.node).slice(0, 3)).toEqual([
      "check_for_new_data",
      "validate_data",
      "run_training_job",
    ]);
    expect((await repositoryState()).rejected).toEqual([]);
    expect(logs.some((l) => l.startsWith("resuming run outage-1 at validate_data"))).toBe(true);
  }, 300_000);
});
