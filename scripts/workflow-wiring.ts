/**
 * Rules on how the workflows call this repository's own actions, so a setting the README
 * promises cannot be dropped from one workflow unnoticed:
 *
 * - `pr-token`: a step that may open a pull request (`./actions/bucket-watch`, and
 *   `./actions/pipeline` unless it stops before training) passes `pr_token`, since a pull
 *   request opened with `github.token` starts no workflow;
 * - `alert-channels`: a step that may alert (`./actions/pipeline`, `./actions/promote`)
 *   gets every alert channel's variable in its environment (the step's, the job's or the
 *   workflow's), since a channel left out there is silently off in that workflow.
 * Pure.
 */
import { NOTIFY_ENV } from "../lib/notify/index.ts";
import type { LintProblem } from "./workflow-security.ts";
import { get, items, type YamlNode } from "./workflow-yaml.ts";

/** The actions that open pull requests, and when they do. */
const OPENS_PULL_REQUESTS: Record<string, (step: YamlNode) => boolean> = {
  "./actions/bucket-watch": () => true,
  // The data job stops before training: it never reaches deploy_to_production.
  "./actions/pipeline": (step) => get(get(step, "with"), "stop_before") === undefined,
};
const CHANNEL_ENVIRONMENT: string[] = Object.values(NOTIFY_ENV);
const ALERTS = new Set(["./actions/pipeline", "./actions/promote"]);

const keys = (node: YamlNode | undefined) =>
  node?.kind === "map" ? node.entries.map((e) => e.key) : [];

/** The wiring rules on a parsed workflow. */
export function wiringRules(file: string, root: YamlNode): LintProblem[] {
  const problems: LintProblem[] = [];
  const workflowEnv = keys(get(root, "env"));
  const jobs = get(root, "jobs");
  for (const entry of jobs?.kind === "map" ? jobs.entries : []) {
    const jobEnv = keys(get(entry.value, "env"));
    for (const step of items(get(entry.value, "steps"))) {
      const uses = get(step, "uses");
      const action = uses?.kind === "scalar" ? uses.value : "";
      const where = `job "${entry.key}", ${action}`;
      if (OPENS_PULL_REQUESTS[action]?.(step) && !keys(get(step, "with")).includes("pr_token"))
        problems.push({
          file,
          line: step.line,
          rule: "pr-token",
          message: `${where} may open a pull request but passes no pr_token, so it is opened with github.token and no workflow runs on it (fix: "pr_token: \${{ steps.app-token.outputs.token || secrets.MLOPS_PR_TOKEN }}" after an actions/create-github-app-token step, as pipeline.yml does)`,
        });
      if (!ALERTS.has(action)) continue;
      const env = new Set([...workflowEnv, ...jobEnv, ...keys(get(step, "env"))]);
      const missing = CHANNEL_ENVIRONMENT.filter((name) => !env.has(name));
      if (missing.length)
        problems.push({
          file,
          line: step.line,
          rule: "alert-channels",
          message: `${where} may alert but its environment lacks ${missing.join(", ")}, so those channels are off in this workflow (fix: pass each from secrets.* or vars.*, as pipeline.yml does)`,
        });
    }
  }
  return problems;
}
