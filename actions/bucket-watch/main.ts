/**
 * The bucket-watch action's entry: new images under the incoming location become a
 * manifest proposed as a pull request (app/propose-data.ts).
 */
import * as core from "@actions/core";
import { proposeData } from "../../app/propose-data.ts";
import { repository, requiredInput } from "../lib/inputs.ts";
import { chooseToken, warnIfGithubToken } from "../lib/token.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const incomingUri = requiredInput(
    "incoming_uri",
    "set the repository variable MLOPS_INCOMING_URI, e.g. s3://mango-data/incoming",
  );
  const chosen = chooseToken();
  if (!chosen)
    throw new Error(
      "input github_token is required: pass ${{ github.token }} (and pr_token, an app or personal token, so that checks run on the pull request)",
    );
  const { repoDir, config } = repository();
  const out = await proposeData({
    repoDir,
    config,
    incomingUri,
    env: { ...process.env, GITHUB_TOKEN: chosen.token },
    hooks: { setSecret: core.setSecret, warn: core.warning },
  });
  for (const s of out.skipped) core.warning(`${s.key}: ${s.reason}`);
  if (out.kind === "nothing_new") {
    core.info(`nothing new under ${incomingUri}`);
    core.setOutput("manifest", "");
    core.setOutput("pull-request", "");
    return;
  }
  core.setOutput("manifest", out.manifest);
  core.setOutput("pull-request", out.pullRequest);
  core.info(`${out.created ? "opened" : "updated"} ${out.pullRequest}`);
  await warnIfGithubToken(chosen, out.pullRequest);
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
