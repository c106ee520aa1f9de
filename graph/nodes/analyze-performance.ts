/**
 * analyze_performance: a fair comparison. Production is re-evaluated from its registered
 * artifact (sha256-checked) on the same frozen evaluation set as the candidate, so a
 * changed evaluation set never compares stale numbers; then the analyst decides.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { analyzeWithRules } from "../../lib/analyst/rules.ts";
import { artifactsUri } from "../../lib/config.ts";
import { fetchModelFolder } from "../../lib/artifacts.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";
import { loadEvaluationSet } from "./run-training-job.ts";

/** The node. */
export async function analyzePerformance(state: MLOpsStateType, config: NodeConfig): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { config: cfg, registry, log } = services;
  const candidate = state.candidate_metrics!;
  const production = await registry.production();
  let productionMetrics = undefined;
  if (production) {
    const dir = join(services.runDir(state.run_id), "production", production.version);
    try {
      await fetchModelFolder(services.openStore(artifactsUri(services.repoDir, cfg)), production.artifact, dir);
      const evaluation = await loadEvaluationSet(services);
      productionMetrics = (await services.trainer.evaluate(dir, evaluation.images, production.artifact.labels)).metrics;
    } catch (err) {
      // Without a trustworthy production baseline no automatic decision is safe.
      const reason = `The production model ${production.version} could not be re-evaluated: ${(err as Error).message}. A person must compare ${state.model_version} by hand or repair the registry.`;
      log(`analyze_performance: ${reason}`);
      return {
        production_version: production.version,
        deployment_decision: "HUMAN_REVIEW",
        decision_reason: reason,
        analyst: "rules",
        steps: step("analyze_performance", "HUMAN_REVIEW: no production baseline"),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const analysis = analyzeWithRules({
    candidate,
    production: productionMetrics,
    productionVersion: production?.version,
    candidateVersion: state.model_version!,
    policy: cfg.policy,
  });
  log(`analyze_performance: ${analysis.decision}: ${analysis.reason}`);
  return {
    production_version: production?.version ?? null,
    production_metrics: productionMetrics ?? null,
    deployment_decision: analysis.decision,
    decision_reason: analysis.reason,
    policy_verdicts: analysis.verdicts,
    metric_deltas: analysis.deltas,
    analyst: analysis.analyst,
    failure_analysis_report: analysis.decision === "REJECT" ? analysis.reason : null,
    steps: step("analyze_performance", analysis.decision),
  };
}
