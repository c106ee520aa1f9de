/**
 * The promote action's entry: after a merge (or a revert) on the default branch, serve
 * exactly what the production pointer at this commit names, verified by sha256. A failed
 * verification changes nothing, fails the job and alerts.
 */
import * as core from "@actions/core";
import { artifactsUri } from "../../lib/config.ts";
import { readProductionPointer } from "../../lib/github/contents.ts";
import { promoteProduction, PromotionVerificationError } from "../../lib/github/promote.ts";
import { registryPaths } from "../../lib/registry.ts";
import { createServices } from "../../app/services.ts";
import { githubClient, repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const servingUri = requiredInput(
    "serving_uri",
    "set the repository variable MLOPS_SERVING_URI, e.g. s3://mango-app/models",
  );
  const token = requiredInput("github_token", "pass ${{ github.token }}");
  const commit = process.env.GITHUB_SHA;
  if (!commit) throw new Error("GITHUB_SHA is not set (fix: run inside GitHub Actions)");
  const { repoDir, config } = repository();
  const client = githubClient(token);
  const services = createServices(
    repoDir,
    config,
    { log: (m) => core.info(m) },
    { ...process.env, GITHUB_TOKEN: token },
    { setSecret: core.setSecret, warn: core.warning },
  );
  const pointerPath = registryPaths(config.paths.registry, config.model_name).production;
  try {
    const out = await promoteProduction({
      readPointer: () => readProductionPointer(client, pointerPath, commit),
      artifactStore: services.openStore(artifactsUri(repoDir, config)),
      servingStore: services.openStore(servingUri),
      servingKey: `${config.model_name}/production/model.tflite`,
      client,
      commit,
      log: (m) => core.info(m),
    });
    core.setOutput("version", out.version ?? "");
    core.setOutput("changed", String(out.changed));
    for (const note of out.notes) core.notice(note);
    await core.summary
      .addHeading(`${config.model_name}: ${out.version ?? "no production model"}`, 2)
      .addRaw(
        out.changed
          ? `Now serving ${out.version} (was ${out.previousVersion ?? "nothing"}).`
          : `Already serving ${out.version}; nothing changed.`,
      )
      .write();
  } catch (err) {
    if (err instanceof PromotionVerificationError) {
      await services.notifier.notify(
        {
          runId: `promote-${commit.slice(0, 10)}`,
          severity: "error",
          title: `Promotion of ${config.model_name} failed verification; production is unchanged`,
          body: `What happened: the artifact named by ${pointerPath} at ${commit} did not verify.\nEvidence: ${err.message}\nNext step: restore the artifact at its recorded location, or revert the pointer commit.`,
        },
        `${repoDir}/.mlops/promote`,
      );
    }
    throw err;
  }
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
