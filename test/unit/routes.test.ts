import { END } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import {
  checkDeploymentDecision,
  routeAfterCheck,
  routeAfterDeploy,
  routeAfterValidation,
} from "../../graph/routes.ts";
import { buildGraph } from "../../graph/graph.ts";

describe("routing, edge by edge", () => {
  it("check_for_new_data: new data goes to validate_data, none ends the run", () => {
    expect(routeAfterCheck({ new_data_path: "data-manifests/a.json" })).toBe("validate_data");
    expect(routeAfterCheck({ new_data_path: null })).toBe(END);
  });

  it("validate_data: score at or above the threshold trains, below alerts", () => {
    expect(routeAfterValidation({ quality_score: 7.0 }, 7.0)).toBe("run_training_job");
    expect(routeAfterValidation({ quality_score: 9.4 }, 7.0)).toBe("run_training_job");
    expect(routeAfterValidation({ quality_score: 6.99 }, 7.0)).toBe("alert_human");
    expect(routeAfterValidation({ quality_score: 0 }, 7.0)).toBe("alert_human");
    // A missing score must never be read as a pass.
    expect(routeAfterValidation({ quality_score: null }, 7.0)).toBe("alert_human");
    // The threshold is configuration, not a constant.
    expect(routeAfterValidation({ quality_score: 8.0 }, 8.5)).toBe("alert_human");
  });

  it("check_deployment_decision: APPROVE and HUMAN_REVIEW deploy, REJECT and nothing alert", () => {
    expect(checkDeploymentDecision({ deployment_decision: "APPROVE" })).toBe(
      "deploy_to_production",
    );
    expect(checkDeploymentDecision({ deployment_decision: "HUMAN_REVIEW" })).toBe(
      "deploy_to_production",
    );
    expect(checkDeploymentDecision({ deployment_decision: "REJECT" })).toBe("alert_human");
    expect(checkDeploymentDecision({ deployment_decision: null })).toBe("alert_human");
  });

  it("deploy_to_production: a draft for review also alerts a person; an approval ends", () => {
    expect(routeAfterDeploy({ deployment_decision: "HUMAN_REVIEW" })).toBe("alert_human");
    expect(routeAfterDeploy({ deployment_decision: "APPROVE" })).toBe(END);
  });

  it("the compiled graph has the seed's seven steps and edges", () => {
    const drawable = buildGraph({ threshold: 7 }).getGraph();
    const nodes = Object.keys(drawable.nodes).sort();
    expect(nodes).toEqual(
      [
        "__end__",
        "__start__",
        "alert_human",
        "analyze_performance",
        "check_for_new_data",
        "deploy_to_production",
        "run_training_job",
        "validate_data",
      ].sort(),
    );
    const edges = drawable.edges.map((e) => `${e.source}->${e.target}`).sort();
    expect(edges).toEqual([
      "__start__->check_for_new_data",
      "alert_human->__end__",
      "analyze_performance->alert_human",
      "analyze_performance->deploy_to_production",
      "check_for_new_data->__end__",
      "check_for_new_data->validate_data",
      "deploy_to_production->__end__",
      "deploy_to_production->alert_human",
      "run_training_job->analyze_performance",
      "validate_data->alert_human",
      "validate_data->run_training_job",
    ]);
  });
});
