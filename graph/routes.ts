/**
 * The graph's conditional edges: pure functions of the state, each returning the name of
 * the next node. The seed's routing, kept exactly.
 */
import { END } from "@langchain/langgraph";
import type { MLOpsStateType } from "./state.ts";

/** After check_for_new_data: train only when there is new data. */
export function routeAfterCheck(
  state: Pick<MLOpsStateType, "new_data_path">,
): "validate_data" | typeof END {
  return state.new_data_path ? "validate_data" : END;
}

/** After validate_data: a quality_score at or above the threshold goes on to training. */
export function routeAfterValidation(
  state: Pick<MLOpsStateType, "quality_score">,
  threshold: number,
): "run_training_job" | "alert_human" {
  return state.quality_score !== null && state.quality_score >= threshold
    ? "run_training_job"
    : "alert_human";
}

/** check_deployment_decision: APPROVE and HUMAN_REVIEW are proposed (the latter as a draft); REJECT alerts. */
export function checkDeploymentDecision(
  state: Pick<MLOpsStateType, "deployment_decision">,
): "deploy_to_production" | "alert_human" {
  switch (state.deployment_decision) {
    case "APPROVE":
    case "HUMAN_REVIEW":
      return "deploy_to_production";
    default:
      // REJECT, or no decision at all (which must never ship).
      return "alert_human";
  }
}

/** After deploy_to_production: a draft for review also alerts a person; an approval ends. */
export function routeAfterDeploy(
  state: Pick<MLOpsStateType, "deployment_decision">,
): "alert_human" | typeof END {
  return state.deployment_decision === "HUMAN_REVIEW" ? "alert_human" : END;
}
