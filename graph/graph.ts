/**
 * The orchestrator's graph: wiring only. The seed's seven nodes and edges, kept exactly:
 *   START -> check_for_new_data -> (new data) validate_data -> (score >= threshold) run_training_job
 *   -> analyze_performance -> check_deployment_decision
 *        APPROVE -> deploy_to_production -> END
 *        HUMAN_REVIEW -> deploy_to_production (draft) -> alert_human -> END
 *        REJECT -> alert_human -> END
 * check_deployment_decision is the conditional edge after analyze_performance.
 */
import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { alertHuman } from "./nodes/alert-human.ts";
import { analyzePerformance } from "./nodes/analyze-performance.ts";
import { checkForNewData } from "./nodes/check-for-new-data.ts";
import { deployToProduction } from "./nodes/deploy-to-production.ts";
import { runTrainingJob } from "./nodes/run-training-job.ts";
import { validateData } from "./nodes/validate-data.ts";
import {
  checkDeploymentDecision,
  routeAfterCheck,
  routeAfterDeploy,
  routeAfterValidation,
} from "./routes.ts";
import { PipelineContext } from "./services.ts";
import { MLOpsState } from "./state.ts";

/** Nodes a run can pause before (`stopBefore`) and resume at: every node after the first. */
export const PAUSABLE_NODES = [
  "validate_data",
  "run_training_job",
  "analyze_performance",
  "deploy_to_production",
  "alert_human",
] as const;
export type PausableNode = (typeof PAUSABLE_NODES)[number];

/** Builds and compiles the graph; `threshold` is validate_data's quality gate. */
export function buildGraph(opts: { threshold: number; checkpointer?: BaseCheckpointSaver }) {
  return new StateGraph(MLOpsState, PipelineContext)
    .addNode("check_for_new_data", checkForNewData)
    .addNode("validate_data", validateData)
    .addNode("run_training_job", runTrainingJob)
    .addNode("analyze_performance", analyzePerformance)
    .addNode("deploy_to_production", deployToProduction)
    .addNode("alert_human", alertHuman)
    .addEdge(START, "check_for_new_data")
    .addConditionalEdges("check_for_new_data", routeAfterCheck, ["validate_data", END])
    .addConditionalEdges("validate_data", (s) => routeAfterValidation(s, opts.threshold), [
      "run_training_job",
      "alert_human",
    ])
    .addEdge("run_training_job", "analyze_performance")
    .addConditionalEdges("analyze_performance", checkDeploymentDecision, [
      "deploy_to_production",
      "alert_human",
    ])
    .addConditionalEdges("deploy_to_production", routeAfterDeploy, ["alert_human", END])
    .addEdge("alert_human", END)
    .compile({ checkpointer: opts.checkpointer });
}

/** The compiled graph's type. */
export type MLOpsGraph = ReturnType<typeof buildGraph>;
