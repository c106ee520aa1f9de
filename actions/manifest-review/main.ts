/**
 * The manifest-review action's entry: the data gate on each manifest a pull request adds
 * or changes, summed up in one sticky comment (app/review-manifests.ts). A manifest below
 * the gate fails the check, after the comment says why.
 */
import * as core from "@actions/core";
import { reviewPullRequest } from "../../app/review-manifests.ts";
import { repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const baseSha = requiredInput(
    "base_sha",
    "pass the base commit the job checked out (steps.manifests.outputs.base)",
  );
  const prInput = requiredInput("pull_request", "pass ${{ github.event.pull_request.number }}");
  const pullRequest = Number(prInput);
  if (!Number.isInteger(pullRequest) || pullRequest <= 0)
    throw new Error(`input pull_request: expected a pull request number, received "${prInput}"`);
  const token = requiredInput("github_token", "pass ${{ github.token }}");
  core.setSecret(token);
  const { repoDir, config } = repository();
  const review = await reviewPullRequest({
    repoDir,
    config,
    baseSha,
    pullRequest,
    env: { ...process.env, GITHUB_TOKEN: token },
    hooks: { setSecret: core.setSecret, warn: core.warning },
    log: (m) => core.info(m),
  });
  if (review.kind === "no_manifests") {
    core.info("no training manifest changed");
    core.setOutput("passed", "true");
    return;
  }
  core.info(`review comment ${review.comment.action}: ${review.comment.url}`);
  await core.summary.addRaw(review.body).write();
  core.setOutput("passed", String(!review.failed.length));
  if (review.failed.length)
    core.setFailed(
      `${review.failed.join(", ")} below the data gate (see the pull request comment)`,
    );
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
