/**
 * alert_human: tells a person what happened, the evidence, and the next step. Reached
 * when the data gate fails, when the analyst rejects, and after a draft proposal that
 * needs review.
 */
import { confusionChangeList } from "../render.ts";
import { fromAlertMessage } from "../../lib/notify/index.ts";
import { type NodeConfig, servicesOf, type AlertMessage } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

/** The alert for the state the run is in; pure. */
export function composeAlert(
  state: MLOpsStateType,
  threshold: number,
  model: string,
): AlertMessage {
  const evidence = (lines: Array<string | false | null | undefined>) =>
    lines.filter(Boolean).join("\n");
  if (state.deployment_decision === "HUMAN_REVIEW" && state.promotion) {
    return {
      runId: state.run_id,
      severity: "warning",
      title: `${model} ${state.model_version} needs a human review`,
      body: evidence([
        state.confusion_changes.length > 0 &&
          `Confusions that grew:\n${confusionChangeList(state)}`,
        `What happened: the analyst could not approve ${state.model_version} on its own.`,
        `Why: ${state.decision_reason}`,
        state.analyst_trace?.override && `Guardrails: ${state.analyst_trace.override}`,
        state.analyst_trace?.fallback && `Analyst: ${state.analyst_trace.fallback}`,
        `Evidence: the draft proposal on branch ${state.promotion.branch} (${state.promotion.commit.slice(0, 10)}); its pull request body is ${state.promotion.pr_body_path}.`,
        `Next step: read the analysis; merge the proposal to ship ${state.model_version}, or close it. Production is unchanged until then.`,
      ]),
    };
  }
  if (state.deployment_decision === "REJECT") {
    return {
      runId: state.run_id,
      severity: "error",
      title: `${model} ${state.model_version} rejected`,
      body: evidence([
        // What changed for growers first: the mix-ups that grew, in words.
        state.confusion_changes.length > 0 &&
          `Confusions that grew:\n${confusionChangeList(state)}`,
        `What happened: the candidate trained on ${state.new_data_path} was judged against production ${state.production_version ?? "(none)"} and rejected.`,
        `Why: ${state.decision_reason}`,
        state.analyst_trace?.override && `Guardrails: ${state.analyst_trace.override}`,
        state.analyst_trace?.fallback && `Analyst: ${state.analyst_trace.fallback}`,
        state.analyst_trace &&
          `Analysis: ${state.analyst_trace.analysis_dir} (analysis.json${state.analyst_trace.llm_model ? ", prompt.md, llm-answer.json" : ""}).`,
        state.metric_deltas.length > 0 &&
          `Evidence: ${state.metric_deltas
            .slice(0, 6)
            .map(
              (d) =>
                `${d.metric} ${(d.production * 100).toFixed(1)}% -> ${(d.candidate * 100).toFixed(1)}%`,
            )
            .join("; ")}.`,
        `Next step: look at the data in ${state.new_data_path} (labels, coverage of the weak classes) and push a corrected manifest; production is unchanged.`,
      ]),
    };
  }
  return {
    runId: state.run_id,
    severity: "error",
    title: `Data gate failed for ${state.new_data_path}: quality ${state.quality_score?.toFixed(1) ?? "?"} / 10 (needs ${threshold})`,
    body: evidence([
      `What happened: validate_data scored the batch below the gate, so no training ran and production is unchanged.`,
      state.failure_analysis_report,
      state.quality_report_path &&
        `Evidence: ${state.quality_report_path} (per-image findings) and quality.md beside it.`,
      `Next step: fix or remove the listed files, update the manifest, and push it again.`,
    ]),
  };
}

/** The node. */
export async function alertHuman(state: MLOpsStateType, config: NodeConfig): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const alert = composeAlert(state, services.config.quality.threshold, services.config.model_name);
  const halted = state.deployment_decision !== "HUMAN_REVIEW";
  if (halted && state.new_data_path && state.manifest_sha256) {
    const ref = await services.registry.recordRejection(
      state.new_data_path,
      state.manifest_sha256,
      state.run_id,
      alert.title,
    );
    alert.body += `\nRecorded as ${ref}: later runs skip these exact manifest bytes; a corrected manifest is new data, or rerun with --manifest ${state.new_data_path}.`;
  }
  const links = state.promotion?.pr_url
    ? [{ label: `Pull request #${state.promotion.pr_number}`, url: state.promotion.pr_url }]
    : [];
  alert.content = {
    ...fromAlertMessage(alert, links),
    facts: [
      { name: "Model", value: `${services.config.model_name} ${state.model_version ?? ""}`.trim() },
      { name: "Decision", value: state.deployment_decision ?? "data gate failed" },
      { name: "Production", value: state.production_version ?? "(none)" },
      {
        name: "Quality",
        value: state.quality_score === null ? "-" : `${state.quality_score.toFixed(1)} / 10`,
      },
      { name: "Run", value: state.run_id },
    ],
    // One issue per manifest and outcome: a rerun comments instead of opening another.
    dedupeKey: `${state.deployment_decision ?? "gate"}:${state.new_data_path}`,
  };
  const refs = await services.notifier.notify(alert, services.runDir(state.run_id));
  return { alerts: refs, steps: step("alert_human", alert.title) };
}
