/**
 * The promote action's entry: after a merge (or a revert) on the default branch, serve
 * exactly what the production pointer at this commit names (app/promote.ts).
 */
import * as core from "@actions/core";
import { promote } from "../../app/promote.ts";
import { repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const servingUri = requiredInput(
    "serving_uri",
    "set the repository variable MLOPS_SERVING_URI, e.g. s3://mango-app/models",
  );
  const token = requiredInput("github_token", "pass ${{ github.token }}");
  core.setSecret(token);
  const commit = process.env.GITHUB_SHA;
  if (!commit) throw new Error("GITHUB_SHA is not set (fix: run inside GitHub Actions)");
  const { repoDir, config } = repository();
  const out = await promote({
    repoDir,
    config,
    servingUri,
    commit,
    env: { ...process.env, GITHUB_TOKEN: token },
    hooks: { setSecret: core.setSecret, warn: core.warning },
    log: (m) => core.info(m),
  });
  core.setOutput("version", out.version ?? "");
  core.setOutput("changed", String(out.changed));
  for (const note of out.notes) core.notice(note);
  await core.summary
    .addHeading(`${out.model}: ${out.version ?? "no production model"}`, 2)
    .addRaw(
      out.changed
        ? `Now serving ${out.version} (was ${out.previousVersion ?? "nothing"}).`
        : `Already serving ${out.version}; nothing changed.`,
    )
    .write();
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
