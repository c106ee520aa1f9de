/**
 * The rule-based analyst: judges a candidate against production on the same evaluation
 * set under the promotion policy. Pure and deterministic; the embedded default of
 * analyze_performance, and the guardrail any LLM analyst is held to.
 */
import type { Policy } from "../config.ts";
import type { ClassificationMetrics } from "../../worker/types.ts";

/** The three outcomes of analyze_performance. */
export type Decision = "APPROVE" | "REJECT" | "HUMAN_REVIEW";

/** One policy check, as listed in the report. */
export interface PolicyVerdict {
  check: string;
  passed: boolean;
  detail: string;
}

/** Change of one metric from production to candidate. */
export interface MetricDelta {
  metric: string;
  production: number;
  candidate: number;
  delta: number;
}

/** What the analyst decided and why. */
export interface Analysis {
  decision: Decision;
  reason: string;
  verdicts: PolicyVerdict[];
  deltas: MetricDelta[];
  analyst: "rules";
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} pts`;
/** An allowance, unsigned: "2.0 pts". */
const allowance = (x: number) => `${(x * 100).toFixed(1)} pts`;

/** The per-metric changes the report tabulates: accuracy, macro-F1 and each class's F1. */
export function metricDeltas(candidate: ClassificationMetrics, production: ClassificationMetrics): MetricDelta[] {
  const rows: MetricDelta[] = [
    { metric: "accuracy", production: production.accuracy, candidate: candidate.accuracy, delta: candidate.accuracy - production.accuracy },
    { metric: "macro_f1", production: production.macro_f1, candidate: candidate.macro_f1, delta: candidate.macro_f1 - production.macro_f1 },
  ];
  for (const [label, c] of Object.entries(candidate.per_class)) {
    const p = production.per_class[label];
    if (!p) continue;
    rows.push({ metric: `f1.${label}`, production: p.f1, candidate: c.f1, delta: c.f1 - p.f1 });
  }
  return rows;
}

function absoluteVerdicts(candidate: ClassificationMetrics, policy: Policy): PolicyVerdict[] {
  const critical = candidate.per_class[policy.critical_class];
  const criticalF1 = critical?.f1 ?? 0;
  return [
    {
      check: "min_accuracy",
      passed: candidate.accuracy >= policy.min_accuracy,
      detail: `accuracy ${pct(candidate.accuracy)} vs minimum ${pct(policy.min_accuracy)}`,
    },
    {
      check: "min_critical_f1",
      passed: criticalF1 >= policy.min_critical_f1,
      detail: critical
        ? `${policy.critical_class} F1 ${pct(criticalF1)} vs minimum ${pct(policy.min_critical_f1)}`
        : `the evaluation set has no ${policy.critical_class} images, so the critical class cannot be judged`,
    },
  ];
}

function changeVerdicts(deltas: MetricDelta[], policy: Policy): PolicyVerdict[] {
  const verdicts: PolicyVerdict[] = [];
  const acc = deltas.find((d) => d.metric === "accuracy")!;
  verdicts.push({
    check: "max_accuracy_drop",
    passed: -acc.delta <= policy.max_accuracy_drop + 1e-12,
    detail: `accuracy ${pts(acc.delta)} (allowed drop ${allowance(policy.max_accuracy_drop)})`,
  });
  for (const d of deltas.filter((x) => x.metric.startsWith("f1."))) {
    const label = d.metric.slice(3);
    const allowed = label === policy.critical_class ? policy.max_critical_f1_drop : policy.max_class_f1_drop;
    verdicts.push({
      check: label === policy.critical_class ? "max_critical_f1_drop" : `max_class_f1_drop.${label}`,
      passed: -d.delta <= allowed + 1e-12,
      detail: `${label} F1 ${pct(d.production)} -> ${pct(d.candidate)} (${pts(d.delta)}, allowed drop ${allowance(allowed)})`,
    });
  }
  return verdicts;
}

/**
 * Decides APPROVE, REJECT or HUMAN_REVIEW:
 * - no production model: the policy's bootstrap decision (a person reviews the first model);
 * - any failed check: REJECT, naming the checks;
 * - all checks pass and accuracy, macro-F1 or the critical F1 improves by at least
 *   `min_improvement`: APPROVE, naming the trade-off when one metric fell;
 * - all pass but nothing improves: REJECT (shipping an equal model only adds risk).
 */
export function analyzeWithRules(input: {
  candidate: ClassificationMetrics;
  production?: ClassificationMetrics;
  productionVersion?: string;
  candidateVersion: string;
  policy: Policy;
}): Analysis {
  const { candidate, production, policy } = input;
  const verdicts = absoluteVerdicts(candidate, policy);
  if (!production) {
    const failed = verdicts.filter((v) => !v.passed);
    if (failed.length) {
      return { decision: "REJECT", reason: `First model ${input.candidateVersion} fails the policy: ${failed.map((v) => v.detail).join("; ")}.`, verdicts, deltas: [], analyst: "rules" };
    }
    return {
      decision: policy.bootstrap_decision,
      reason: `No production model yet: ${input.candidateVersion} would be the first (accuracy ${pct(candidate.accuracy)}, ${policy.critical_class} F1 ${pct(candidate.per_class[policy.critical_class]?.f1 ?? 0)}). A person reviews the first model before it ships.`,
      verdicts,
      deltas: [],
      analyst: "rules",
    };
  }
  const deltas = metricDeltas(candidate, production);
  verdicts.push(...changeVerdicts(deltas, policy));
  const failed = verdicts.filter((v) => !v.passed);
  const vs = `${input.candidateVersion} vs production ${input.productionVersion ?? ""}`.trim();
  if (failed.length) {
    return { decision: "REJECT", reason: `${vs}: fails ${failed.map((v) => `${v.check} (${v.detail})`).join("; ")}.`, verdicts, deltas, analyst: "rules" };
  }
  const byName = new Map(deltas.map((d) => [d.metric, d]));
  const gains = ["accuracy", "macro_f1", `f1.${policy.critical_class}`]
    .map((m) => byName.get(m))
    .filter((d): d is MetricDelta => !!d && d.delta >= policy.min_improvement);
  if (!gains.length) {
    return { decision: "REJECT", reason: `${vs}: passes every check but improves neither accuracy, macro-F1 nor ${policy.critical_class} F1 by ${allowance(policy.min_improvement)} or more; an equal model is not worth a release.`, verdicts, deltas, analyst: "rules" };
  }
  const losses = deltas.filter((d) => d.delta < 0).sort((a, b) => a.delta - b.delta);
  const gainText = gains.map((g) => `${g.metric} ${pts(g.delta)}`).join(", ");
  const tradeOff = losses.length ? ` Trade-off accepted within policy: ${losses.slice(0, 3).map((l) => `${l.metric} ${pts(l.delta)}`).join(", ")}.` : "";
  return { decision: "APPROVE", reason: `${vs}: improves ${gainText}; every policy check passes.${tradeOff}`, verdicts, deltas, analyst: "rules" };
}
