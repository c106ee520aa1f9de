/**
 * Pure renderers of what people read: the promotion pull request's body, the model card,
 * and the run report. No IO here, so each is tested on plain data.
 */
import { describeConfusion } from "../lib/analyst/confusions.ts";
import { classifyChange } from "../lib/analyst/policy.ts";
import type { MlopsConfig } from "../lib/config.ts";
import type { ModelArtifact } from "../lib/registry.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";
import { cell, codeBlock, codeSpan, escapeMarkdown } from "../lib/markdown.ts";

/**
 * Text that quotes manifest keys, labels or file names (a reason, a step's note), made
 * inert in the Markdown of the report and the pull request body, line by line.
 */
const inert = (text: string) => text.split("\n").map(escapeMarkdown).join("\n");
import type { MLOpsStateType } from "./state.ts";

const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
const signed = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}`;

/** Markdown table of per-class precision/recall/F1/support. */
export function perClassTable(m: ClassificationMetrics): string {
  const rows = Object.entries(m.per_class).map(
    ([label, c]) =>
      `| ${cell(label)} | ${pct(c.precision)} | ${pct(c.recall)} | ${pct(c.f1)} | ${c.support} |`,
  );
  return [
    "| class | precision | recall | F1 | support |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

/** Markdown confusion matrix (rows: true class, columns: predicted). */
export function confusionTable(m: ClassificationMetrics): string {
  const { labels, matrix } = m.confusion_matrix;
  return [
    `| true \\ predicted | ${labels.map(cell).join(" | ")} |`,
    `| --- |${labels.map(() => " ---: |").join("")}`,
    ...matrix.map((row, i) => `| **${cell(labels[i] ?? "")}** | ${row.join(" | ")} |`),
  ].join("\n");
}

function comparisonTable(state: MLOpsStateType): string {
  if (!state.metric_deltas.length)
    return "_No production model to compare with: this is the first version._";
  return [
    `| metric | production ${cell(state.production_version ?? "")} | candidate ${cell(state.model_version ?? "")} | change (pts) |`,
    "| --- | ---: | ---: | ---: |",
    ...state.metric_deltas.map(
      (d) =>
        `| ${cell(d.metric)} | ${pct(d.production)} | ${pct(d.candidate)} | ${signed(d.delta)} |`,
    ),
  ].join("\n");
}

function verdictList(state: MLOpsStateType): string {
  if (!state.policy_verdicts.length) return "_No policy checks ran._";
  const mark = (v: MLOpsStateType["policy_verdicts"][number]) =>
    v.skipped ? "⏭️" : v.passed ? "✅" : v.severity === "review" ? "⚠️" : "❌";
  return state.policy_verdicts.map((v) => `- ${mark(v)} \`${v.check}\`: ${v.detail}`).join("\n");
}

/** The confusion pairs that grew most, one sentence each; what a reviewer reads first. */
export function confusionChangeList(state: MLOpsStateType): string {
  if (!state.confusion_changes.length) return "";
  return state.confusion_changes
    .map(
      (c) =>
        `- ${describeConfusion(c, state.model_version ?? "the candidate", state.production_version ?? "production")}`,
    )
    .join("\n");
}

/** The paired statistics: each change with its bootstrap interval and how the policy reads it, then McNemar. */
export function statisticsTable(state: MLOpsStateType, cfg: MlopsConfig): string {
  const s = state.analysis_statistics;
  if (!s) return "";
  const reading = {
    clear_win: "clear win",
    clear_loss: "clear loss",
    not_clear: "not clear",
  } as const;
  const conf = Math.round(s.confidence * 100);
  return [
    `| metric | production | candidate | change (pts) | ${conf}% interval (pts) | reading |`,
    "| --- | ---: | ---: | ---: | ---: | --- |",
    ...s.intervals.map(
      (i) =>
        `| ${cell(i.metric)} | ${pct(i.production)} | ${pct(i.candidate)} | ${signed(i.delta)} | ${signed(i.low)} to ${signed(i.high)} | ${reading[classifyChange(i, cfg.policy)]} |`,
    ),
    "",
    `Paired on ${s.n} images; percentile bootstrap, ${s.resamples} resamples, seed ${s.seed}. McNemar's exact test on accuracy: ${s.mcnemar.production_only} images only production gets right, ${s.mcnemar.candidate_only} only the candidate, p = ${s.mcnemar.p_value.toPrecision(3)}.`,
    `A clear win lies entirely above +${(cfg.policy.min_improvement * 100).toFixed(1)} pts; a clear loss entirely below the allowed drop; an interval that straddles a threshold is not clear.`,
  ].join("\n");
}

/** Who decided: the rule-based analyst or the LLM, and whether the guardrails stepped in. */
export function analystLine(state: MLOpsStateType): string {
  const t = state.analyst_trace;
  const who =
    state.analyst === "llm"
      ? `the LLM analyst (\`${t?.llm_model}\`) within the policy's guardrails`
      : "the rule-based analyst";
  const parts = [`**Decided by:** ${who}.`];
  if (t?.llm_model && state.analyst !== "llm" && t.llm_decision)
    parts.push(`The LLM (\`${t.llm_model}\`) proposed ${t.llm_decision}.`);
  if (t?.override) parts.push(`**Guardrails overrode the LLM:** ${t.override}`);
  if (t?.fallback) parts.push(`**Fallback:** ${t.fallback}`);
  if (!t?.llm_model && !t?.fallback)
    parts.push("No LLM analyst is configured (`analyst.base_url`).");
  return parts.join(" ");
}

function evaluationSetLine(state: MLOpsStateType): string {
  const e = state.evaluation_set;
  return e ? ` ${codeSpan(e.path)}, sha256 \`${e.sha256.slice(0, 12)}…\`` : "";
}

function lineageList(state: MLOpsStateType): string {
  const t = state.training_summary;
  if (!t) return "";
  return t.manifests
    .map(
      (m) =>
        `- ${codeSpan(m.path)} (${escapeMarkdown(m.dataset_id)}, ${m.images} images, sha256 \`${m.sha256.slice(0, 12)}…\`)`,
    )
    .join("\n");
}

/** The .tflite variants with their proof in LiteRT (sizes, logit difference, agreement, latency, gate). */
export function tfliteTable(state: Pick<MLOpsStateType, "tflite">): string {
  const t = state.tflite;
  if (!t) return "_No .tflite export was made for this version._";
  const num = (x: number | null, f: (v: number) => string) => (x === null ? "–" : f(x));
  const rows = t.variants.map(
    (v) =>
      `| ${cell(v.variant)}${v.variant === t.ship ? " (shipped)" : ""} | ${num(v.bytes, (b) => `${(b / 1e6).toFixed(2)} MB`)} | ${num(v.max_logit_diff, (x) => x.toExponential(1))} | ${num(v.argmax_agreement, pct)} | ${num(v.accuracy, pct)} | ${num(v.median_latency_ms, (x) => `${x.toFixed(1)} ms`)} | ${v.candidate ? "✅ passed" : `❌ ${cell(v.reasons.join("; "))}`} |`,
  );
  return [
    "| variant | size | max \\|logit diff\\| vs TF.js | top-class agreement | accuracy | LiteRT latency (batch 1) | gate |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
}

/** The promotion pull request's body: the analysis a reviewer needs to merge or not. */
export function renderPullRequestBody(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  artifact: ModelArtifact,
): string {
  const m = state.candidate_metrics!;
  const t = state.training_summary!;
  const draft = state.deployment_decision === "HUMAN_REVIEW";
  return `${draft ? "> **Needs a human review** before it ships: merge only if you agree with the analysis below.\n\n" : ""}## ${cfg.model_name} ${state.model_version}: ${state.deployment_decision}

${state.confusion_changes.length ? `### Confusions that grew\n${confusionChangeList(state)}\n\n` : ""}**Why:** ${inert(state.decision_reason ?? "")}

${analystLine(state)}

Merging this pull request moves \`${cfg.paths.registry}/${cfg.model_name}/production.json\` to ${state.model_version}; the promote workflow then publishes the verified artifact. Reverting the merge rolls production back.

### Evaluation (frozen evaluation set, ${state.evaluation_set?.images ?? t.eval_images} images${evaluationSetLine(state)})
${comparisonTable(state)}
${state.analysis_statistics ? `\n### Statistics\n${statisticsTable(state, cfg)}\n` : ""}
Candidate: accuracy **${pct(m.accuracy)}**, macro-F1 **${pct(m.macro_f1)}**, ${cfg.policy.critical_class} F1 **${pct(m.per_class[cfg.policy.critical_class]?.f1)}**.

${perClassTable(m)}

<details><summary>Confusion matrix</summary>

${confusionTable(m)}

</details>

### Policy checks (analyst: ${state.analyst})
${verdictList(state)}

### Data
Quality score of the new batch: **${state.quality_score?.toFixed(1)} / 10** (gate ${cfg.quality.threshold}); ${t.excluded_images} refused image(s) left out of training.
Trained on ${t.train_images} images (val ${t.val_images}), best epoch ${t.best_epoch} of ${t.epochs_run}, ${t.train_seconds.toFixed(0)} s on ${t.device ?? "an unrecorded device"}:
${lineageList(state)}

### TFLite (proven in LiteRT on the evaluation set)
${tfliteTable(state)}

The app reads labels and preprocessing from the file's \`mango_mlops_metadata\` entry (see worker/tflite/README.md).

## Artifact
${artifact.files.map((f) => `- \`${f.name}\` ${f.bytes} bytes, sha256 \`${f.sha256}\` at \`${f.uri}\``).join("\n")}

<sub>Run \`${state.run_id}\` of mango-mlops.</sub>
`;
}

function augmentationText(a: MlopsConfig["training"]["augment"]): string {
  if (a === false) return "no augmentation";
  return `augmentation: ${a.flip ? "mirror, " : ""}rotation up to ${a.rotation_deg} deg, crops keeping ${a.min_crop_area * 100}% of the area or more, brightness +-${a.brightness}, contrast +-${a.contrast}, no hue`;
}

/** `model-card.md` of a version. */
export function renderModelCard(
  state: MLOpsStateType,
  cfg: MlopsConfig,
  artifact: ModelArtifact,
): string {
  const m = state.candidate_metrics!;
  const t = state.training_summary!;
  const tr = cfg.training;
  return `# Model card: ${cfg.model_name} ${state.model_version}

Classifies a photo of a mango (or a mango leaf) into ${cfg.labels.join(", ")} for the growers' app.

## Data
${lineageList(state)}

Evaluation: the frozen evaluation set \`${cfg.paths.eval_manifest}\` (${t.eval_images} images).

## Training
MobileNetV2 (width ${tr.alpha}, input ${tr.input_size}x${tr.input_size}), trained from scratch in TensorFlow.js on ${t.device ?? "an unrecorded device"}: batch ${tr.batch_size}, up to ${tr.epochs} epochs (stopped at ${t.epochs_run}, best ${t.best_epoch}), Adam lr ${tr.learning_rate} (${tr.lr_schedule}${tr.lr_schedule === "cosine" ? `, ${tr.warmup_epochs} warm-up epoch(s)` : ""}), early-stopping patience ${tr.patience}, label smoothing ${tr.label_smoothing}, dropout ${tr.dropout}, ${tr.class_weights ? "inverse-frequency class weights" : "unweighted loss"}, ${augmentationText(tr.augment)}, seed ${tr.seed}. ${t.train_images} training and ${t.val_images} validation images.

## Metrics on the evaluation set
Accuracy ${pct(m.accuracy)}, macro-F1 ${pct(m.macro_f1)}.

${perClassTable(m)}

## Artifact
Format ${artifact.format}; ${artifact.files.map((f) => `\`${f.name}\` (${f.bytes} bytes, sha256 \`${f.sha256}\`)`).join(", ")}.

## Known limits
- Trained from scratch (no pretrained weights are available offline): accuracy depends heavily on how much data the manifests hold.
- Judged only on the evaluation set above; photos unlike it (other cultivars, lighting, cameras) may score lower.
- Quantized variants are shipped only when they pass their gates; see the table above.
`;
}

/** The candidate's folder relative to the run folder, where training wrote its plots. */
function trainingFolder(state: MLOpsStateType): string {
  return state.candidate_model_path!.split("/").slice(-2, -1)[0] ?? "candidate";
}

/** The run report (`report.md`): what happened, node by node, and where the evidence is. */
export function renderRunReport(state: MLOpsStateType, cfg: MlopsConfig, outcome: string): string {
  const lines = [
    `# Run ${state.run_id}: ${outcome}`,
    "",
    `- Manifest: ${state.new_data_path ? codeSpan(state.new_data_path) : "none (no new data)"}`,
    state.quality_score !== null
      ? `- Data quality: ${state.quality_score.toFixed(1)} / 10 (gate ${cfg.quality.threshold}); report: \`${state.quality_report_path}\``
      : "",
    state.model_version
      ? `- Candidate: ${cfg.model_name} ${state.model_version}, accuracy ${pct(state.candidate_metrics?.accuracy)}, macro-F1 ${pct(state.candidate_metrics?.macro_f1)}`
      : "",
    state.tflite
      ? `- TFLite: ${state.tflite.shipped ? `ships ${state.tflite.shipped.variant} \`${state.tflite.shipped.file}\`` : `no ${state.tflite.ship} file passed its proof`}; ${state.tflite.variants.map((v) => `${v.variant} ${v.candidate ? "proven" : "refused"}`).join(", ")}`
      : "",
    state.production_version
      ? `- Production: ${state.production_version}, accuracy ${pct(state.production_metrics?.accuracy)}`
      : "",
    state.deployment_decision
      ? `- Decision: **${state.deployment_decision}**: ${inert(state.decision_reason ?? "")}`
      : "",
    state.promotion
      ? `- Promotion: branch \`${state.promotion.branch}\` at ${state.promotion.commit.slice(0, 10)}${state.promotion.draft ? " (draft, needs review)" : ""}; pull request body: \`${state.promotion.pr_body_path}\``
      : "",
    ...state.alerts.map(
      (a) => `- Alert (${a.channel}): ${inert(a.reason)}: ${codeSpan(a.location)}`,
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
    state.analysis_statistics ? `## Statistics\n\n${statisticsTable(state, cfg)}\n` : "",
    state.deployment_decision
      ? `## Analyst\n\n${analystLine(state)}${state.analyst_trace ? ` Evidence: \`${state.analyst_trace.analysis_dir}\`.` : ""}${state.evaluation_set ? ` Evaluation set${evaluationSetLine(state)} (${state.evaluation_set.images} images).` : ""}\n`
      : "",
    state.policy_verdicts.length ? `## Policy checks\n\n${verdictList(state)}\n` : "",
    state.candidate_model_path
      ? `## Training\n\n![training curves](${trainingFolder(state)}/training-curves.svg)\n\n![confusion matrix](${trainingFolder(state)}/confusion-matrix.svg)\n`
      : "",
    state.quality_report_path
      ? "Data quality details: [quality.md](quality.md) (worst images: [contact sheet](contact-sheet.jpg) when any were refused).\n"
      : "",
    "## Steps",
    "",
    ...state.steps.map((s) => `- ${s.at} \`${s.node}\`: ${inert(s.note)}`),
    "",
  ];
  return lines.filter((l, i, all) => l !== "" || all[i - 1] !== "").join("\n");
}
