/**
 * alert_human: tells a person what happened, why, the evidence, and the next step. Reached
 * when the data gate fails, when the analyst rejects, and after a draft proposal that
 * needs review. The alert is data (lib/notify/alert.ts); each channel renders it.
 */
import { isAbsolute, relative } from "node:path";
import { describeConfusion } from "../../lib/analyst/confusions.ts";
import type { AlertEvidence, AlertFact, AlertLink } from "../../lib/notify/index.ts";
import { type AlertMessage, type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** What changed for growers, in words: the mix-ups that grew, most first. */
function confusionsThatGrew(state: MLOpsStateType): AlertEvidence[] {
  if (state.confusion_changes.length === 0) return [];
  const candidate = state.model_version ?? "the candidate";
  const production = state.production_version ?? "production";
  return [
    {
      label: "Confusions that grew",
      items: state.confusion_changes.map((c) => describeConfusion(c, candidate, production)),
    },
  ];
}

/** What the analyst's guardrails and fallback did, when they did anything. */
function analystNotes(state: MLOpsStateType): AlertEvidence[] {
  const trace = state.analyst_trace;
  return [
    ...(trace?.override ? [`Guardrails: ${trace.override}`] : []),
    ...(trace?.fallback ? [`Analyst: ${trace.fallback}`] : []),
  ];
}

function factsOf(state: MLOpsStateType, model: string): AlertFact[] {
  return [
    { name: "Model", value: `${model} ${state.model_version ?? ""}`.trim() },
    { name: "Decision", value: state.deployment_decision ?? "data gate failed" },
    { name: "Production", value: state.production_version ?? "(none)" },
    {
      name: "Quality",
      value: state.quality_score === null ? "-" : `${state.quality_score.toFixed(1)} / 10`,
    },
    { name: "Run", value: state.run_id },
  ];
}

function linksOf(state: MLOpsStateType): AlertLink[] {
  const pr = state.promotion;
  return pr?.pr_url ? [{ label: `Pull request #${pr.pr_number}`, url: pr.pr_url }] : [];
}

/**
 * The alert for the state the run is in; pure. `shown` writes a file's path as a reader
 * elsewhere can follow it (relative to the run folder or the repository, never a runner's
 * absolute path); by default paths are kept as they are.
 */
export function composeAlert(
  state: MLOpsStateType,
  threshold: number,
  model: string,
  shown: (path: string) => string = (p) => p,
): AlertMessage {
  const common = {
    runId: state.run_id,
    facts: factsOf(state, model),
    links: linksOf(state),
    // One issue per manifest and outcome: a rerun comments instead of opening another.
    dedupeKey: `${state.deployment_decision ?? "gate"}:${state.new_data_path}`,
  };
  if (state.deployment_decision === "HUMAN_REVIEW" && state.promotion) {
    const { branch, commit, pr_body_path } = state.promotion;
    return {
      ...common,
      severity: "warning",
      title: `${model} ${state.model_version} needs a human review`,
      whatHappened: `the analyst could not approve ${state.model_version} on its own.`,
      why: state.decision_reason ?? "",
      evidence: [
        ...confusionsThatGrew(state),
        ...analystNotes(state),
        `the draft proposal on branch ${branch} (${commit.slice(0, 10)}); its pull request body is ${shown(pr_body_path)}.`,
      ],
      nextStep: `read the analysis; merge the proposal to ship ${state.model_version}, or close it. Production is unchanged until then.`,
    };
  }
  if (state.deployment_decision === "REJECT") {
    const trace = state.analyst_trace;
    return {
      ...common,
      severity: "error",
      title: `${model} ${state.model_version} rejected`,
      whatHappened: `the candidate trained on ${state.new_data_path} was judged against production ${state.production_version ?? "(none)"} and rejected.`,
      why: state.decision_reason ?? "",
      evidence: [
        ...confusionsThatGrew(state),
        ...analystNotes(state),
        ...(trace
          ? [
              `Analysis: ${shown(trace.analysis_dir)} (analysis.json${trace.llm_model ? ", prompt.md, llm-answer.json" : ""}).`,
            ]
          : []),
        ...(state.metric_deltas.length > 0
          ? [
              {
                label: "Metrics, production -> candidate",
                items: state.metric_deltas
                  .slice(0, 6)
                  .map((d) => `${d.metric} ${pct(d.production)} -> ${pct(d.candidate)}`),
              },
            ]
          : []),
      ],
      nextStep: `look at the data in ${state.new_data_path} (labels, coverage of the weak classes) and push a corrected manifest; production is unchanged.`,
    };
  }
  const score = state.quality_score?.toFixed(1) ?? "?";
  return {
    ...common,
    severity: "error",
    title: `Data gate failed for ${state.new_data_path}: quality ${score} / 10 (needs ${threshold})`,
    whatHappened: `validate_data scored the batch below the gate, so no training ran and production is unchanged.`,
    why:
      state.failure_analysis_report ??
      `the batch's quality score ${score} / 10 is below the gate's ${threshold}.`,
    evidence: state.quality_report_path
      ? [
          `the quality report ${shown(state.quality_report_path)} (per-image findings) and quality.md beside it.`,
        ]
      : [],
    nextStep: `fix or remove the listed files, update the manifest, and push it again.`,
  };
}

/**
 * A path as a reader of the alert elsewhere can follow it: in the run folder (kept with the
 * workflow run as an artifact), else in the repository, else as it is.
 */
export function readablePath(
  path: string,
  where: { runDir: string; repoDir: string; runId: string },
): string {
  const inside = (from: string) => {
    const r = relative(from, path);
    return r && !r.startsWith("..") && !isAbsolute(r) ? r : undefined;
  };
  const inRun = inside(where.runDir);
  if (inRun) return `${inRun} in the run folder of ${where.runId}`;
  return inside(where.repoDir) ?? path;
}

/** The node. */
export async function alertHuman(state: MLOpsStateType, config: NodeConfig): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const where = { runDir: services.runDir(state.run_id), repoDir: services.repoDir };
  const shown = (p: string) => readablePath(p, { ...where, runId: state.run_id });
  let alert = composeAlert(
    state,
    services.config.quality.threshold,
    services.config.model_name,
    shown,
  );
  const halted = state.deployment_decision !== "HUMAN_REVIEW";
  if (halted && state.new_data_path && state.manifest_sha256) {
    const ref = await services.registry.recordRejection(
      state.new_data_path,
      state.manifest_sha256,
      state.run_id,
      alert.title,
    );
    alert = {
      ...alert,
      nextStep: `${alert.nextStep}\nRecorded as ${ref}: later runs skip these exact manifest bytes; a corrected manifest is new data, or rerun with --manifest ${state.new_data_path}.`,
    };
  }
  const refs = await services.notifier.notify(alert, services.runDir(state.run_id));
  return { alerts: refs, steps: step("alert_human", alert.title) };
}
