/**
 * The pipeline action's entry: parse inputs, run (or resume) the graph, set outputs and a
 * job summary. The work lives in graph/run.ts, where tests reach it without Actions.
 */
import * as core from "@actions/core";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runPipeline } from "../../graph/run.ts";
import { loadConfig } from "../../lib/config.ts";
import { git } from "../../lib/git.ts";

const NODES = [
  "validate_data",
  "run_training_job",
  "analyze_performance",
  "deploy_to_production",
  "alert_human",
] as const;

/** The action's inputs, checked. */
export interface PipelineInputs {
  manifest?: string;
  stopBefore?: (typeof NODES)[number];
  resume?: string;
  githubToken?: string;
}

const optional = (name: string) => core.getInput(name) || undefined;

/** Reads and checks the inputs; a bad value names the input, the allowed values and what came. */
export function parseInputs(): PipelineInputs {
  const stopBefore = optional("stop_before");
  if (stopBefore && !(NODES as readonly string[]).includes(stopBefore)) {
    throw new Error(
      `input stop_before: expected one of ${NODES.join(", ")}, received "${stopBefore}"`,
    );
  }
  const inputs = {
    manifest: optional("manifest"),
    stopBefore: stopBefore as PipelineInputs["stopBefore"],
    resume: optional("resume"),
    githubToken: optional("github_token"),
  };
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  if (inputs.resume && inputs.manifest)
    throw new Error(
      "inputs resume and manifest exclude each other: a resumed run keeps its manifest",
    );
  return inputs;
}

/** Runs the action. */
export async function run(): Promise<void> {
  const inputs = parseInputs();
  const repoDir = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const config = loadConfig(join(repoDir, "mlops.config.json"));
  // The services propose on GitHub and open alert issues with this token (graph/services.ts).
  if (inputs.githubToken) process.env.GITHUB_TOKEN = inputs.githubToken;
  const result = await runPipeline({
    repoDir,
    config,
    manifest: inputs.manifest,
    resume: inputs.resume,
    stopBefore: inputs.stopBefore,
    services: { log: (m) => core.info(m) },
  });
  core.setOutput("run-id", result.runId);
  core.setOutput("outcome", result.outcome);
  core.setOutput("next", result.paused.join(","));
  core.setOutput("decision", result.state.deployment_decision ?? "");
  const report = await readFile(join(result.runDir, "report.md"), "utf8");
  await core.summary.addRaw(report).write();
  if (/halted/.test(result.outcome)) {
    core.warning(`run ${result.runId}: ${result.outcome}`);
    // The halted manifest's record must outlive this runner: push refs/mlops/rejected/*.
    if (inputs.githubToken)
      await git(repoDir, ["push", "origin", "refs/mlops/rejected/*:refs/mlops/rejected/*"]).catch(
        (err: Error) => core.warning(`could not push the halted-manifest record: ${err.message}`),
      );
  }
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
