/**
 * The guardrails: how far the LLM analyst's answer may move the decision. Pure. The LLM
 * explains and may agree; it can never ship what the policy rejects, nor approve what the
 * statistics do not support, and a disagreement goes to a person.
 */
import type { LlmOutcome } from "./llm.ts";
import { type Decision, rejectingFailures, reviewFailures } from "./policy.ts";
import type { Analysis, AnalystKind } from "./rules.ts";

/** The final decision and the account of how it was reached. */
export interface GuardedDecision {
  decision: Decision;
  reason: string;
  /** Whose decision stands: the LLM's (it agreed with the guardrails) or the rules'. */
  analyst: AnalystKind;
  /** What the guardrails changed and why; null when nothing was overridden. */
  override: string | null;
  /** Why the rules decided although an LLM is configured (no usable answer); else null. */
  fallback: string | null;
  /** The LLM's own proposal, when it gave a usable one. */
  llm: { decision: Decision; reason: string; relied_on: string[]; unknown_keys: string[] } | null;
}

/**
 * Combines the rule-based analysis (policy verdicts + statistics) with the LLM's outcome:
 * 1. no LLM, or no usable answer (error, or it cites none of the metrics it was given):
 *    the rules decide and the fallback says why;
 * 2. a failed `reject` check: REJECT, whatever the LLM said (its explanation is kept);
 * 3. an APPROVE the statistics do not support (a failed `review` check): HUMAN_REVIEW;
 * 4. an LLM decision other than the rules': HUMAN_REVIEW, a person settles it;
 * 5. agreement: the LLM's decision and its reason.
 */
export function applyGuardrails(input: {
  rules: Analysis;
  llm: LlmOutcome | null;
  metricKeys: string[];
}): GuardedDecision {
  const { rules, llm } = input;
  const byRules = (
    fallback: string | null,
    proposal: GuardedDecision["llm"] = null,
  ): GuardedDecision => ({
    decision: rules.decision,
    reason: rules.reason,
    analyst: "rules",
    override: null,
    fallback,
    llm: proposal,
  });
  if (!llm) return byRules(null);
  if (!llm.answer)
    return byRules(
      `The LLM analyst (${llm.model}) gave no usable answer after ${llm.attempts} attempt(s): ${llm.error ?? "no answer"}. The rule-based analyst decided.`,
    );
  const known = new Set(input.metricKeys);
  const a = llm.answer;
  const proposal = {
    decision: a.decision,
    reason: a.reason.trim(),
    relied_on: a.relied_on.filter((k) => known.has(k)),
    unknown_keys: a.relied_on.filter((k) => !known.has(k)),
  };
  if (!proposal.relied_on.length) {
    return byRules(
      `The LLM analyst (${llm.model}) cited none of the metrics it was given (${a.relied_on.join(", ") || "none"}), so its answer cannot be checked. The rule-based analyst decided.`,
      proposal,
    );
  }
  const said = `The LLM analyst (${llm.model}) answered ${a.decision}: ${proposal.reason}`;
  const failed = rejectingFailures(rules.verdicts);
  if (failed.length) {
    const override =
      a.decision === "REJECT"
        ? null
        : `The LLM answered ${a.decision}, but policy check(s) ${failed.map((v) => v.check).join(", ")} failed: REJECT stands.`;
    return {
      decision: "REJECT",
      reason: `${rules.reason} ${said}`,
      analyst: override ? "rules" : "llm",
      override,
      fallback: null,
      llm: proposal,
    };
  }
  const unsupported = reviewFailures(rules.verdicts);
  if (a.decision === "APPROVE" && unsupported.length) {
    return {
      decision: "HUMAN_REVIEW",
      reason: `${rules.reason} ${said}`,
      analyst: "rules",
      fallback: null,
      llm: proposal,
      override: `The LLM answered APPROVE, but ${unsupported.every((v) => v.check.startsWith("statistics.")) ? "the statistics do not support it" : "the policy's review checks failed"} (${unsupported.map((v) => v.check).join(", ")}): a person decides.`,
    };
  }
  if (a.decision !== rules.decision) {
    return {
      decision: "HUMAN_REVIEW",
      reason: `${said} The policy's rule-based analyst says ${rules.decision}: ${rules.reason}`,
      analyst: "rules",
      fallback: null,
      llm: proposal,
      override: `The LLM answered ${a.decision} and the policy says ${rules.decision}: when they disagree, a person decides.`,
    };
  }
  return {
    decision: a.decision,
    reason: proposal.reason,
    analyst: "llm",
    override: null,
    fallback: null,
    llm: proposal,
  };
}
