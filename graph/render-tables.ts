/**
 * The tables and lines the pull request body, the run report and the job summary share:
 * per-class metrics, the confusion matrix, candidate vs production, the statistics, the
 * policy verdicts, the .tflite proof, the lineage. Pure Markdown renderers of plain data.
 */
import { describeConfusion } from "../lib/analyst/confusions.ts";
import { classifyChange } from "../lib/analyst/policy.ts";
import type { MlopsConfig } from "../lib/config.ts";
import type { ClassificationMetrics } from "../lib/metrics.ts";
import { cell, codeSpan, escapeMarkdown } from "../lib/markdown.ts";
import type { MLOpsStateType } from "./state.ts";

/**
 * Text that quotes manifest keys, labels or file names (a reason, a step's note), made
 * inert in the Markdown of the report and the pull request body, line by line.
 */
export const inert = (text: string) => text.split("\n").map(escapeMarkdown).join("\n");

/** A share as a percentage with one decimal; "–" when unknown. */
export const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);
/** A change in percentage points, signed. */
export const signed = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}`;

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

/** Candidate vs production, metric by metric (or why there is no comparison). */
export function comparisonTable(state: MLOpsStateType): string {
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

/** The policy's verdicts, one line each with its mark. */
export function verdictList(state: MLOpsStateType): string {
  if (!state.policy_verdicts.length) return "_No policy checks ran._";
  const mark = (v: MLOpsStateType["policy_verdicts"][number]) =>
    v.skipped ? "⏭️" : v.passed ? "✅" : v.severity === "review" ? "⚠️" : "❌";
  // A detail that quotes a manifest's text (tag values) is made inert; the others are the policy's own words.
  return state.policy_verdicts
    .map((v) => `- ${mark(v)} ${codeSpan(v.check)}: ${v.quotes_data ? inert(v.detail) : v.detail}`)
    .join("\n");
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

/** The evaluation set's manifest and sha256, for a heading or a sentence. */
export function evaluationSetLine(state: MLOpsStateType): string {
  const e = state.evaluation_set;
  return e ? ` ${codeSpan(e.path)}, sha256 \`${e.sha256.slice(0, 12)}…\`` : "";
}

/** The manifests the candidate learned from, one line each. */
export function lineageList(state: MLOpsStateType): string {
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
