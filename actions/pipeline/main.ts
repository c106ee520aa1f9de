/**
 * The pipeline action's entry: parse inputs, run (or resume) the graph (app/pipeline.ts),
 * set outputs and a job summary.
 */
import * as core from "@actions/core";
import { runPipeline } from "../../app/pipeline.ts";
import { PAUSABLE_NODES, type PausableNode } from "../../graph/graph.ts";
import { optionalInput, repository } from "../lib/inputs.ts";
import { writeJobSummary } from "../lib/summary.ts";
import { chooseToken, warnIfGithubToken } from "../lib/token.ts";

/** Reads and checks the inputs; a bad value names the input, the allowed values and what came. */
export function parseInputs() {
  const stopBefore = optionalInput("stop_before");
  if (stopBefore && !(PAUSABLE_NODES as readonly string[]).includes(stopBefore))
    throw new Error(
      `input stop_before: expected one of ${PAUSABLE_NODES.join(", ")}, received "${stopBefore}"`,
    );
  const inputs = {
    manifest: optionalInput("manifest"),
    stopBefore: stopBefore as PausableNode | undefined,
    resume: optionalInput("resume"),
    token: chooseToken(),
  };
  if (inputs.resume && inputs.manifest)
    throw new Error("inputs resume and manifest exclude each other (a resumed run keeps its own)");
  return inputs;
}

/** Runs the action. */
export async function run(): Promise<void> {
  const inputs = parseInputs();
  const { repoDir, config } = repository();
  const result = await runPipeline({
    repoDir,
    config,
    manifest: inputs.manifest,
    resume: inputs.resume,
    stopBefore: inputs.stopBefore,
    services: { log: (m) => core.info(m) },
    env: inputs.token ? { ...process.env, GITHUB_TOKEN: inputs.token.token } : process.env,
    hooks: { setSecret: core.setSecret, warn: core.warning },
    pushHaltedRecord: Boolean(inputs.token),
  });
  core.setOutput("run-id", result.runId);
  core.setOutput("outcome", result.outcome);
  core.setOutput("next", result.paused.join(","));
  core.setOutput("decision", result.state.deployment_decision ?? "");
  await writeJobSummary(result.jobSummary);
  await warnIfGithubToken(inputs.token, result.state.promotion?.pr_url ?? undefined);
  if (result.halted) core.warning(`run ${result.runId}: ${result.summary}`);
}

await run().catch((err: unknown) => core.setFailed((err as Error).message));
