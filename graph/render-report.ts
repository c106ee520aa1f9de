/**
 * The run report (`report.md`): what happened, node by node, and where the evidence is.
 * It is read as a file of the run folder (locally, or in the run's artifact), so its links
 * are relative to that folder, and no path in it is the absolute path of the machine that
 * ran it: run-folder files are shown relative to the run folder, repository files relative
 * to the repository.
 */
import { basename, dirname, isAbsolute, relative } from "node:path";
import type { MlopsConfig } from "../lib/config.ts";
import { codeBlock, codeSpan } from "../lib/markdown.ts";
import { QUALITY_FILES, TRAINING_FILES } from "../lib/run-folder.ts";
import {
  analystLine,
  comparisonTable,
  confusionChangeList,
  evaluationSetLine,
  inert,
  pct,
  statisticsTable,
  verdictList,
} from "./render-tables.ts";
import { judgedLine, shippedVsTfjsTable, slicesSection } from "./render-slices.ts";
import type { MLOpsStateType } from "./state.ts";

/** Where the run's files lie, so the report names them relative to these folders. */
export interface ReportPlaces {
  runDir: string;
  repoDir: string;
}

/** `path` within `base`, or undefined when it lies outside. */
function within(base: string, path: string): string | undefined {
  const r = relative(base, path);
  if (r === "") return ".";
  return r.startsWith("..") || isAbsolute(r) ? undefined : r;
}

/**
 * `path` as a report shows it: unchanged when relative; relative to the run folder, then
 * to the repository, when inside them; without `places`, what follows the run's own folder
 * (`.../<run_id>/`); else the file name alone. Never an absolute path.
 */
export function shownPath(
  path: string,
  state: Pick<MLOpsStateType, "run_id">,
  places?: ReportPlaces,
): string {
  if (!isAbsolute(path)) return path;
  const inside = places && (within(places.runDir, path) ?? within(places.repoDir, path));
  if (inside) return inside;
  const marker = `/${state.run_id}/`;
  const at = state.run_id ? path.lastIndexOf(marker) : -1;
  return at >= 0 ? path.slice(at + marker.length) : basename(path);
}

/** An alert's location: a URL or a channel's name as is, a file as shownPath shows it. */
const shownLocation = (location: string, state: MLOpsStateType, places?: ReportPlaces) =>
  isAbsolute(location) ? shownPath(location, state, places) : location;

/** The PNG copies committed on the proposal branch: links on GitHub, paths on a local branch. */
function committedPlots(state: MLOpsStateType): string {
  const p = state.promotion?.plots;
  if (!p) return "";
  const link = (text: string, to: string) =>
    /^https?:\/\//.test(to) ? `[${text}](${to})` : `${text} ${codeSpan(to)}`;
  const links = [
    p.curves && link("training curves", p.curves),
    p.confusion && link("confusion matrix", p.confusion),
    p.contactSheet && link("contact sheet", p.contactSheet),
  ].filter(Boolean);
  return links.length
    ? `On the proposal branch \`${state.promotion!.branch}\` as PNG: ${links.join(", ")}.\n`
    : "";
}

/** The training section: the worker's SVG charts, by their path in the run folder. */
function trainingSection(state: MLOpsStateType, places?: ReportPlaces): string {
  if (!state.candidate_model_path) return "";
  const folder = shownPath(dirname(state.candidate_model_path), state, places);
  const committed = committedPlots(state);
  return `## Training\n\n![training curves](${folder}/${TRAINING_FILES.curves})\n\n![confusion matrix](${folder}/${TRAINING_FILES.confusion})\n${committed ? `\n${committed}` : ""}`;
}

/** Which file each model was judged as and, when they differ, the shipped files beside TF.js. */
function shippedSections(state: MLOpsStateType, cfg: MlopsConfig): string[] {
  const judged = judgedLine(state);
  const vsTfjs = shippedVsTfjsTable(state, cfg);
  return [
    ...(judged ? [`${judged}\n`] : []),
    ...(vsTfjs ? [`## Shipped file vs TF.js\n\n${vsTfjs}\n`] : []),
  ];
}

/** The run report (`report.md`); `places` makes the run's paths relative (see shownPath). */
export function renderRunReport(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  outcome: string,
  places?: ReportPlaces,
): string {
  const shown = (path: string) => codeSpan(shownPath(path, state, places));
  const lines = [
    `# Run ${state.run_id}: ${outcome}`,
    "",
    `- Manifest: ${state.new_data_path ? codeSpan(state.new_data_path) : "none (no new data)"}`,
    state.quality_score !== null
      ? `- Data quality: ${state.quality_score.toFixed(1)} / 10 (gate ${cfg.quality.threshold})${state.quality_report_path ? `; report: ${shown(state.quality_report_path)}` : ""}`
      : "",
    state.model_version
      ? `- Candidate: ${cfg.model_name} ${state.model_version}, accuracy ${pct(state.candidate_metrics?.accuracy)}, macro-F1 ${pct(state.candidate_metrics?.macro_f1)}`
      : "",
    state.tflite
      ? `- TFLite: ${state.tflite.shipped ? `ships ${state.tflite.shipped.variant} ${shown(state.tflite.shipped.file)}` : `no ${state.tflite.ship} file passed its proof`}; ${state.tflite.variants.map((v) => `${v.variant} ${v.candidate ? "proven" : "refused"}`).join(", ")}`
      : "",
    state.production_version
      ? `- Production: ${state.production_version}, accuracy ${pct(state.production_metrics?.accuracy)}`
      : "",
    state.deployment_decision
      ? `- Decision: **${state.deployment_decision}**: ${inert(state.decision_reason ?? "")}`
      : "",
    state.promotion
      ? `- Promotion: branch \`${state.promotion.branch}\` at ${state.promotion.commit.slice(0, 10)}${state.promotion.draft ? " (draft, needs review)" : ""}${state.promotion.pr_url ? `; pull request ${state.promotion.pr_url}` : ""}; pull request body: ${shown(state.promotion.pr_body_path)}`
      : "",
    ...state.alerts.map(
      (a) =>
        `- Alert (${a.channel}): ${inert(a.reason)}: ${codeSpan(shownLocation(a.location, state, places))}`,
    ),
    state.pending_manifests.length
      ? `- Waiting for later runs: ${state.pending_manifests.map(codeSpan).join(", ")}`
      : "",
    "",
    state.failure_analysis_report
      ? `## What went wrong\n\n${codeBlock(state.failure_analysis_report)}\n`
      : "",
    state.confusion_changes.length
      ? `## Confusions that grew\n\n${confusionChangeList(state)}\n`
      : "",
    state.metric_deltas.length ? `## Candidate vs production\n\n${comparisonTable(state)}\n` : "",
    ...shippedSections(state, cfg),
    state.analysis_statistics ? `## Statistics\n\n${statisticsTable(state, cfg)}\n` : "",
    ...(state.slices ? [`## Slices\n\n${slicesSection(state)}\n`] : []),
    state.deployment_decision
      ? `## Analyst\n\n${analystLine(state)}${state.analyst_trace ? ` Evidence: ${shown(state.analyst_trace.analysis_dir)}.` : ""}${state.evaluation_set ? ` Evaluation set${evaluationSetLine(state)} (${state.evaluation_set.images} images).` : ""}\n`
      : "",
    state.policy_verdicts.length ? `## Policy checks\n\n${verdictList(state)}\n` : "",
    trainingSection(state, places),
    state.quality_report_path
      ? `Data quality details: [${QUALITY_FILES.markdown}](${QUALITY_FILES.markdown}) (the images it flagged, or a sample of a clean batch: [contact sheet](${QUALITY_FILES.contactSheet})).\n`
      : "",
    "## Steps",
    "",
    ...state.steps.map((s) => `- ${s.at} \`${s.node}\`: ${inert(s.note)}`),
    "",
  ];
  return lines.filter((l, i, all) => l !== "" || all[i - 1] !== "").join("\n");
}
