/**
 * The manifest-review action's entry, one mode per job of its workflow
 * (app/review-action.ts): `plan` outputs the matrix of shards, `shard` checks one shard,
 * `review` merges them, keeps the sticky comment, annotates each refused image on its
 * manifest line and fails the check below the gate, or as a fault to rerun when the photos
 * could not be fetched.
 */
import * as core from "@actions/core";
import { runManifestReview } from "../../app/review-action.ts";
import { optionalInput, repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const baseSha = requiredInput(
    "base_sha",
    "pass the base commit the job checked out (steps.manifests.outputs.base)",
  );
  const token = optionalInput("github_token");
  if (token) core.setSecret(token);
  const { repoDir, config } = repository();
  const report = await runManifestReview({
    mode: optionalInput("mode") ?? "review",
    repoDir,
    config,
    baseSha,
    pullRequest: optionalInput("pull_request"),
    manifest: optionalInput("manifest"),
    shard: optionalInput("shard"),
    shardsDir: optionalInput("shards_dir"),
    headRepo: optionalInput("head_repo"),
    env: { ...process.env, ...(token ? { GITHUB_TOKEN: token } : {}) },
    hooks: { setSecret: core.setSecret, warn: core.warning },
    log: (m) => core.info(m),
  });
  for (const line of report.info) core.info(line);
  for (const [name, value] of Object.entries(report.outputs)) core.setOutput(name, value);
  for (const { message, ...at } of report.errors) core.error(message, at);
  if (report.failure) core.setFailed(report.failure);
  if (report.summary) await core.summary.addRaw(report.summary).write();
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
