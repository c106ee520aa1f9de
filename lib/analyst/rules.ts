/**
 * The rule-based analyst: judges a candidate against production on the same evaluation
 * set under the promotion policy. Pure and deterministic; the embedded default of
 * analyze_performance, the fallback when the LLM fails, and the guardrail any LLM analyst
 * is held to.
 */
import type { Policy } from "../config.ts";
import type { ClassificationMetrics } from "../metrics.ts";
import {
  allowance,
  changeVerdicts,
  type Decision,
  describeInterval,
  type MetricDelta,
  metricDeltas,
  pct,
  type PolicyVerdict,
  pts,
  rejectingFailures,
  reviewFailures,
  statisticsVerdicts,
  type TfliteMetrics,
  tfliteVerdicts,
  valueVerdicts,
} from "./policy.ts";
import { type SliceReport, sliceVerdicts } from "./slices.ts";
import type { PairedStatistics } from "./stats.ts";

export { metricDeltas };
export type { Decision, MetricDelta, PolicyVerdict };

/** Who made the final decision: the rules, or the LLM within the guardrails. */
export type AnalystKind = "rules" | "llm";

/** What the analyst decided and why. */
export interface Analysis {
  decision: Decision;
  reason: string;
  verdicts: PolicyVerdict[];
  deltas: MetricDelta[];
  analyst: AnalystKind;
}

/**
 * Decides APPROVE, REJECT or HUMAN_REVIEW:
 * - no production model: the policy's bootstrap decision (a person reviews the first model);
 * - any failed `reject` check (thresholds, allowed drops, a statistically clear loss,
 *   .tflite gates): REJECT, naming the checks;
 * - nothing improves accuracy, macro-F1 or the critical F1 by `min_improvement`: REJECT
 *   (shipping an equal model only adds risk);
 * - a failed `review` check other than the statistics' (a slice beyond its allowed drop,
 *   when the policy says a person decides): HUMAN_REVIEW;
 * - an improvement the statistics do not call a clear win (its interval straddles
 *   +min_improvement): HUMAN_REVIEW, because the evaluation set cannot tell it from noise;
 * - otherwise APPROVE, naming the trade-off when a metric fell.
 * Without `statistics` (callers that have only metrics) the point estimates decide.
 */
export function analyzeWithRules(input: {
  candidate: ClassificationMetrics;
  production?: ClassificationMetrics;
  productionVersion?: string;
  candidateVersion: string;
  policy: Policy;
  statistics?: PairedStatistics;
  tflite?: TfliteMetrics | TfliteMetrics[];
  /**
   * The TF.js model's accuracy, which the compressed .tflite variants are held to; default
   * the candidate's (when the candidate's metrics are the TF.js model's own).
   */
  referenceAccuracy?: number;
  /** The evaluation set's slices (lib/analyst/slices.ts). */
  slices?: SliceReport;
}): Analysis {
  const { candidate, production, policy, statistics } = input;
  const verdicts = [
    ...valueVerdicts(candidate, policy),
    ...tfliteVerdicts(input.tflite, input.referenceAccuracy ?? candidate.accuracy, policy),
  ];
  const result = (decision: Decision, reason: string, deltas: MetricDelta[]): Analysis => ({
    decision,
    reason,
    verdicts,
    deltas,
    analyst: "rules",
  });
  if (!production) {
    const failed = rejectingFailures(verdicts);
    if (failed.length)
      return result(
        "REJECT",
        `First model ${input.candidateVersion} fails the policy: ${failed.map((v) => v.detail).join("; ")}.`,
        [],
      );
    return result(
      policy.bootstrap_decision,
      `No production model yet: ${input.candidateVersion} would be the first (accuracy ${pct(candidate.accuracy)}, ${policy.critical_class} F1 ${pct(candidate.per_class[policy.critical_class]?.f1 ?? 0)}). A person reviews the first model before it ships.`,
      [],
    );
  }
  const deltas = metricDeltas(candidate, production);
  verdicts.push(...changeVerdicts(deltas, policy));
  if (statistics) verdicts.push(...statisticsVerdicts(statistics, policy));
  verdicts.push(...sliceVerdicts(input.slices, policy));
  const vs = `${input.candidateVersion} vs production ${input.productionVersion ?? ""}`.trim();
  const failed = rejectingFailures(verdicts);
  if (failed.length)
    return result(
      "REJECT",
      `${vs}: fails ${failed.map((v) => `${v.check} (${v.detail})`).join("; ")}.`,
      deltas,
    );

  const byName = new Map(deltas.map((d) => [d.metric, d]));
  const gains = ["accuracy", "macro_f1", `f1.${policy.critical_class}`]
    .map((m) => byName.get(m))
    .filter((d): d is MetricDelta => !!d && d.delta >= policy.min_improvement);
  if (!gains.length) {
    return result(
      "REJECT",
      `${vs}: passes every check but improves neither accuracy, macro-F1 nor ${policy.critical_class} F1 by ${allowance(policy.min_improvement)} or more; an equal model is not worth a release.`,
      deltas,
    );
  }
  // Overall accuracy leads the trade-off: it is the number everyone looks at first.
  const losses = deltas
    .filter((d) => d.delta < 0)
    .sort(
      (a, b) =>
        Number(b.metric === "accuracy") - Number(a.metric === "accuracy") || a.delta - b.delta,
    );
  const tradeOff = losses.length
    ? ` Trade-off accepted within policy: ${losses
        .slice(0, 3)
        .map((l) => `${l.metric} ${pts(l.delta)}`)
        .join(", ")}.`
    : "";
  const unsupported = reviewFailures(verdicts);
  const flagged = unsupported.filter((v) => !v.check.startsWith("statistics."));
  if (flagged.length)
    return result(
      "HUMAN_REVIEW",
      `${vs}: improves ${gains.map((g) => `${g.metric} ${pts(g.delta)}`).join(", ")} and passes every rejecting check, but ${flagged.map((v) => `${v.check} (${v.detail})`).join("; ")}: a person decides.${tradeOff}`,
      deltas,
    );
  if (statistics && unsupported.length) {
    return result(
      "HUMAN_REVIEW",
      `${vs}: improves ${gains.map((g) => `${g.metric} ${pts(g.delta)}`).join(", ")} and passes every check, but on ${statistics.n} images no gain is a clear win: ${statistics.intervals.map((i) => describeInterval(i, statistics.confidence)).join("; ")}. The evaluation set cannot tell this from noise; a person decides.${tradeOff}`,
      deltas,
    );
  }
  const gainText = statistics
    ? statistics.intervals
        .filter((i) => i.low > policy.min_improvement)
        .map((i) => describeInterval(i, statistics.confidence))
        .join(", ")
    : gains.map((g) => `${g.metric} ${pts(g.delta)}`).join(", ");
  return result(
    "APPROVE",
    `${vs}: improves ${gainText}; every policy check passes.${tradeOff}`,
    deltas,
  );
}
