/**
 * The manifest-review action's entry: the data gate on each manifest a pull request adds
 * or changes, summarised in one sticky comment that every push updates. A manifest below
 * the gate fails the check, after the comment says why.
 */
import * as core from "@actions/core";
import { join } from "node:path";
import { upsertStickyComment } from "../../lib/github/sticky-comment.ts";
import {
  changedManifests,
  reviewManifests,
  renderReviewComment,
} from "../../app/review-manifests.ts";
import { githubClient, repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const baseSha = requiredInput("base_sha", "pass ${{ github.event.pull_request.base.sha }}");
  const prInput = requiredInput("pull_request", "pass ${{ github.event.pull_request.number }}");
  const pullRequest = Number(prInput);
  if (!Number.isInteger(pullRequest) || pullRequest <= 0)
    throw new Error(`input pull_request: expected a pull request number, received "${prInput}"`);
  const token = requiredInput("github_token", "pass ${{ github.token }}");
  const { repoDir, config } = repository();
  const manifests = await changedManifests(repoDir, baseSha, config);
  if (!manifests.length) {
    core.info("no training manifest changed");
    core.setOutput("passed", "true");
    return;
  }
  const results = await reviewManifests({
    repoDir,
    manifests,
    outDir: join(repoDir, ".mlops", "review"),
    log: (m) => core.info(m),
  });
  const runUrl = process.env.GITHUB_RUN_ID
    ? `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}/actions/runs/${process.env.GITHUB_RUN_ID}`
    : undefined;
  const body = renderReviewComment(results, config.quality.threshold, runUrl);
  const comment = await upsertStickyComment(
    githubClient(token),
    pullRequest,
    "manifest-review",
    body,
  );
  core.info(`review comment ${comment.action}: ${comment.url}`);
  await core.summary.addRaw(body).write();
  const failed = results.filter((r) => !r.passed);
  core.setOutput("passed", String(!failed.length));
  if (failed.length)
    core.setFailed(
      `${failed.map((f) => f.manifest).join(", ")} below the data gate (see the pull request comment)`,
    );
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
