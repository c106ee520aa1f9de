/**
 * analyze_performance, step 3: the decision, pure. The rules decide under the policy
 * (lib/analyst/rules.ts); an LLM analyst's proposal counts only inside the guardrails
 * (lib/analyst/guardrails.ts). Each function returns the node's state update, the note of
 * its steps entry and its log line, so what the node does with a decision is tested here.
 */
import { applyGuardrails, type GuardedDecision } from "../../../lib/analyst/guardrails.ts";
import type { LlmOutcome } from "../../../lib/analyst/llm.ts";
import type { TfliteMetrics } from "../../../lib/analyst/policy.ts";
import { type Analysis, analyzeWithRules } from "../../../lib/analyst/rules.ts";
import type { ShippedJudgement } from "../../../lib/analyst/shipped.ts";
import type { SliceReport } from "../../../lib/analyst/slices.ts";
import type { Policy } from "../../../lib/config.ts";
import type { ClassificationMetrics } from "../../../lib/metrics.ts";
import type { AnalystTrace, EvaluationSetRef, MLOpsStateType } from "../../state.ts";
import type { Compared } from "./compare.ts";

/** A decision as the node hands it on. */
export interface NodeOutcome {
  /** Plain values (no reducer overwrites), so tests and the node read them as they are. */
  update: Partial<Omit<MLOpsStateType, "steps">>;
  /** The note of the node's `steps` entry. */
  note: string;
  /** The node's log line. */
  log: string;
}

/** What every decision reports besides itself. */
export interface DecisionContext {
  evaluation_set: EvaluationSetRef;
  /** `analysis/` in the run folder. */
  analysis_dir: string;
}

/** The trace before any analyst spoke. */
function baseTrace(ctx: DecisionContext): AnalystTrace {
  return {
    llm_model: null,
    llm_decision: null,
    override: null,
    fallback: null,
    analysis_dir: ctx.analysis_dir,
  };
}

/** The shipped variant's proof as the policy reads it (size budget, logit difference, agreement). */
export function shippedTflite(state: Pick<MLOpsStateType, "tflite">): TfliteMetrics | undefined {
  const t = state.tflite;
  const v = t?.variants.find((x) => x.variant === t.ship);
  if (!t || !v) return undefined;
  const num = (x: number | null) => (x === null ? undefined : x);
  return {
    variant: v.variant,
    bytes: v.bytes ?? Number.POSITIVE_INFINITY,
    max_logit_diff: num(v.max_logit_diff),
    argmax_agreement: num(v.argmax_agreement),
    accuracy: num(v.accuracy),
  };
}

/** A REJECT because the shipped file cannot be what the app runs. */
function rejectShipped(
  productionVersion: string | null,
  ctx: DecisionContext,
  check: string,
  reason: string,
  note: string,
): NodeOutcome {
  return {
    update: {
      evaluation_set: ctx.evaluation_set,
      production_version: productionVersion,
      deployment_decision: "REJECT",
      decision_reason: reason,
      analyst: "rules",
      analyst_trace: baseTrace(ctx),
      policy_verdicts: [{ check, passed: false, detail: reason }],
      failure_analysis_report: reason,
    },
    note,
    log: `analyze_performance: REJECT: ${reason}`,
  };
}

/** The app runs the .tflite: a candidate whose shipped file was not proven is no candidate (null: it was). */
export function rejectUnprovenTflite(
  state: Pick<MLOpsStateType, "tflite" | "model_version">,
  productionVersion: string | null,
  ctx: DecisionContext,
): NodeOutcome | null {
  const t = state.tflite;
  if (!t || t.shipped) return null;
  const failed = t.variants.find((v) => v.variant === t.ship);
  const reason = `${state.model_version}'s ${t.ship} .tflite did not pass its proof in LiteRT, so it is not a candidate: ${failed?.reasons.join("; ") || "no file was written"}.`;
  return rejectShipped(
    productionVersion,
    ctx,
    `tflite.${t.ship}.proven`,
    reason,
    "REJECT: .tflite not proven",
  );
}

/** The shipped file could not be judged at decision time: what would ship is unknown. */
export function rejectUnjudgedTflite(
  state: Pick<MLOpsStateType, "tflite">,
  productionVersion: string | null,
  error: string,
  ctx: DecisionContext,
): NodeOutcome {
  const reason = `${error}. The app runs that file, so it cannot ship unjudged (fix: re-run training to export it again).`;
  return rejectShipped(
    productionVersion,
    ctx,
    `tflite.${state.tflite?.ship ?? "shipped"}.judged`,
    reason,
    "REJECT: shipped .tflite not judged",
  );
}

/** What a first model was judged as, when its shipped file was run (else training's TF.js metrics). */
export interface FirstModelJudgement {
  metrics: ClassificationMetrics;
  judged: ShippedJudgement;
  slices: SliceReport;
}

/** No production model yet: the rules decide the first version (the policy's bootstrap decision). */
export function decideFirstModel(
  state: Pick<MLOpsStateType, "candidate_metrics" | "model_version" | "tflite">,
  policy: Policy,
  ctx: DecisionContext & { llmConfigured: boolean },
  shipped?: FirstModelJudgement,
): NodeOutcome & { analysis: Analysis } {
  const analysis = analyzeWithRules({
    candidate: shipped?.metrics ?? state.candidate_metrics!,
    candidateVersion: state.model_version!,
    policy,
    tflite: shippedTflite(state),
    referenceAccuracy: state.candidate_metrics?.accuracy,
  });
  return {
    analysis,
    update: {
      evaluation_set: ctx.evaluation_set,
      ...(shipped
        ? {
            candidate_metrics: shipped.metrics,
            judged_as_shipped: shipped.judged,
            slices: shipped.slices,
          }
        : {}),
      production_version: null,
      production_metrics: null,
      deployment_decision: analysis.decision,
      decision_reason: analysis.reason,
      policy_verdicts: analysis.verdicts,
      metric_deltas: [],
      analyst: "rules",
      // Nothing to compare yet, so nothing for an LLM to weigh: say so rather than imply it is off.
      analyst_trace: {
        ...baseTrace(ctx),
        fallback: ctx.llmConfigured
          ? "No production model to compare with: the rule-based analyst decides the first version; the LLM analyst was not asked."
          : null,
      },
      failure_analysis_report: analysis.decision === "REJECT" ? analysis.reason : null,
    },
    note: analysis.decision,
    log: `analyze_performance: ${analysis.decision}: ${analysis.reason}`,
  };
}

/** Without a trustworthy production baseline no automatic decision is safe: a person compares. */
export function decideWithoutBaseline(
  candidateVersion: string,
  productionVersion: string,
  error: string,
  ctx: DecisionContext,
): NodeOutcome {
  const reason = `The production model ${productionVersion} could not be re-evaluated: ${error}. A person must compare ${candidateVersion} by hand or repair the registry.`;
  return {
    update: {
      evaluation_set: ctx.evaluation_set,
      production_version: productionVersion,
      deployment_decision: "HUMAN_REVIEW",
      decision_reason: reason,
      analyst: "rules",
      analyst_trace: baseTrace(ctx),
    },
    note: "HUMAN_REVIEW: no production baseline",
    log: `analyze_performance: ${reason}`,
  };
}

/**
 * Both models compared: the rules' decision, with the LLM's outcome (null when no LLM is
 * configured) inside the guardrails.
 */
export function decide(
  compared: Compared,
  llm: LlmOutcome | null,
  ctx: DecisionContext,
): NodeOutcome & { final: GuardedDecision } {
  const { comparison, prompt, facts } = compared;
  const final = applyGuardrails({ rules: comparison.analysis, llm, metricKeys: prompt.metricKeys });
  const note = [final.fallback, final.override].filter(Boolean).join(" ");
  return {
    final,
    update: {
      evaluation_set: ctx.evaluation_set,
      production_version: facts.production_version,
      candidate_metrics: comparison.candidate,
      production_metrics: comparison.production,
      deployment_decision: final.decision,
      decision_reason: final.reason,
      policy_verdicts: comparison.analysis.verdicts,
      metric_deltas: comparison.analysis.deltas,
      analysis_statistics: comparison.statistics,
      confusion_changes: comparison.confusions,
      judged_as_shipped: compared.judged ?? null,
      slices: comparison.slices ?? null,
      analyst: final.analyst,
      analyst_trace: {
        ...baseTrace(ctx),
        llm_model: llm?.model ?? null,
        llm_decision: final.llm?.decision ?? null,
        override: final.override,
        fallback: final.fallback,
      },
      failure_analysis_report: final.decision === "REJECT" ? final.reason : null,
    },
    note: `${final.decision} (${final.analyst}${final.override ? ", overridden" : ""})`,
    log: `analyze_performance: ${final.decision} (analyst: ${final.analyst}${llm ? `, LLM ${llm.model}` : ""}): ${final.reason}${note ? ` [${note}]` : ""}`,
  };
}
