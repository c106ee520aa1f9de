/**
 * analyze_performance's decide step, pure: planted predictions on a planted evaluation
 * set go through the compare step, then the decision and the state update it becomes.
 */
import { describe, expect, it } from "vitest";
import { compareModels } from "../../graph/nodes/analyze-performance/compare.ts";
import {
  decide,
  decideFirstModel,
  decideWithoutBaseline,
  rejectUnjudgedTflite,
  rejectUnprovenTflite,
} from "../../graph/nodes/analyze-performance/decide.ts";
import type { TfliteSummary } from "../../graph/state.ts";
import type { LlmOutcome } from "../../lib/analyst/llm.ts";
import type { JudgedModel } from "../../lib/analyst/shipped.ts";
import type { SliceReport } from "../../lib/analyst/slices.ts";
import { PolicySchema } from "../../lib/config.ts";
import type { LabeledImage } from "../../lib/dataset.ts";
import type { ClassificationMetrics } from "../../lib/metrics.ts";

const labels = ["verde", "pinton", "maduro", "sobremaduro", "hoja"];
const policy = PolicySchema.parse({ critical_class: "maduro", statistics: { resamples: 500 } });
const config = { labels, policy, model_name: "mango-ripeness" };
/** Where a wrong prediction of each class goes. */
const wrongTo = [4, 2, 3, 1, 0];
const ctx = {
  evaluation_set: {
    path: "data-manifests/eval/evaluation.json",
    sha256: "ab".repeat(32),
    images: 0,
  },
  analysis_dir: "runs/r1/analysis",
};
const state = { model_version: "v3", training_summary: null, tflite: null };

/** 100 images per class; each model gets the first `correct[k]` of class k right. */
function compared(production: number[], candidate: number[]) {
  const images: LabeledImage[] = [];
  const prod: number[] = [];
  const cand: number[] = [];
  labels.forEach((label, k) => {
    for (let i = 0; i < 100; i++) {
      images.push({ path: `${label}/${i}.jpg`, label, sha256: `${k}-${i}` });
      prod.push(i < production[k]! ? k : wrongTo[k]!);
      cand.push(i < candidate[k]! ? k : wrongTo[k]!);
    }
  });
  return compareModels({
    state,
    config,
    images,
    evaluation_set: { ...ctx.evaluation_set, images: images.length },
    candidate: cand,
    production: prod,
    productionVersion: "v2",
  });
}

const PRODUCTION = [90, 88, 90, 90, 90];
const judgedCandidate: JudgedModel = {
  version: "v3",
  source: "tflite",
  file: "mango_model_v3.tflite",
  variant: "float32",
  fallback: null,
  tfjs: { accuracy: 0.9, macro_f1: 0.9, critical_f1: 0.9 },
  tflite: { accuracy: 0.9, macro_f1: 0.9, critical_f1: 0.9 },
  differing: 0,
  examples: [],
};
const emptySlices: SliceReport = {
  min_images: 30,
  max_accuracy_drop: null,
  critical_class: "maduro",
  untagged: 500,
  rows: [],
  omitted: [],
};
/** Every class but the critical one gains; maduro falls 15 points. */
const regression = () => compared(PRODUCTION, [97, 97, 75, 97, 97]);
/** Every class gains clearly, maduro most. */
const gain = () => compared(PRODUCTION, [97, 96, 99, 97, 97]);

function llmSays(decision: "APPROVE" | "REJECT" | "HUMAN_REVIEW"): LlmOutcome {
  return {
    model: "stand-in-analyst",
    base_url: "http://127.0.0.1:1/v1",
    answer: { decision, reason: "Accuracy rose 6 pts, a clear win.", relied_on: ["accuracy"] },
    raw: "{}",
    attempts: 1,
    error: null,
    elapsed_ms: 1,
  };
}

describe("decide: both models compared", () => {
  it("a planted regression on the critical class is REJECT, though every other class gains", () => {
    const c = regression();
    expect(c.comparison.candidate.accuracy).toBeGreaterThan(c.comparison.production.accuracy);
    const { update, note, final } = decide(c, null, ctx);
    expect(update.deployment_decision).toBe("REJECT");
    expect(update.analyst).toBe("rules");
    expect(update.failure_analysis_report).toBe(update.decision_reason);
    expect(update.decision_reason).toMatch(/max_critical_f1_drop/);
    expect(update.policy_verdicts).toContainEqual(
      expect.objectContaining({ check: "max_critical_f1_drop", passed: false }),
    );
    expect(final).toMatchObject({ analyst: "rules", override: null, fallback: null, llm: null });
    expect(note).toBe("REJECT (rules)");
    expect(update.analyst_trace).toEqual({
      llm_model: null,
      llm_decision: null,
      override: null,
      fallback: null,
      analysis_dir: "runs/r1/analysis",
    });
  });

  it("a clear gain is APPROVE, with the comparison in the update", () => {
    const c = gain();
    const { update, note, log } = decide(c, null, ctx);
    expect(update.deployment_decision).toBe("APPROVE");
    expect(update.failure_analysis_report).toBeNull();
    expect(update.production_version).toBe("v2");
    expect(update.candidate_metrics).toBe(c.comparison.candidate);
    expect(update.analysis_statistics?.n).toBe(500);
    expect(note).toBe("APPROVE (rules)");
    expect(log).toMatch(/^analyze_performance: APPROVE \(analyst: rules\): v3 vs production v2/);
  });

  it("an LLM's APPROVE of the regression is overridden: REJECT stands, its words are kept", () => {
    const { update, note, log } = decide(regression(), llmSays("APPROVE"), ctx);
    expect(update.deployment_decision).toBe("REJECT");
    expect(update.analyst).toBe("rules");
    expect(update.decision_reason).toMatch(/The LLM analyst \(stand-in-analyst\) answered APPROVE/);
    expect(update.analyst_trace).toMatchObject({
      llm_model: "stand-in-analyst",
      llm_decision: "APPROVE",
      override: expect.stringMatching(/answered APPROVE, but policy check\(s\) .* failed/),
    });
    expect(note).toBe("REJECT (rules, overridden)");
    expect(log).toMatch(/, LLM stand-in-analyst\): .*\[The LLM answered APPROVE/);
  });

  it("an LLM that agrees with a clear gain decides in its own words", () => {
    const { update, note } = decide(gain(), llmSays("APPROVE"), ctx);
    expect(update).toMatchObject({
      deployment_decision: "APPROVE",
      analyst: "llm",
      decision_reason: "Accuracy rose 6 pts, a clear win.",
    });
    expect(note).toBe("APPROVE (llm)");
  });

  it("an LLM that rejects a clear gain sends it to a person", () => {
    const { update } = decide(gain(), llmSays("REJECT"), ctx);
    expect(update.deployment_decision).toBe("HUMAN_REVIEW");
    expect(update.analyst_trace?.override).toMatch(/disagree/);
  });

  it("an LLM without a usable answer: the rules decide and the trace says why", () => {
    const timedOut = { ...llmSays("APPROVE"), answer: null, attempts: 3, error: "no answer" };
    const { update } = decide(regression(), timedOut, ctx);
    expect(update.deployment_decision).toBe("REJECT");
    expect(update.analyst_trace?.fallback).toMatch(/no usable answer after 3 attempt/);
    expect(update.analyst_trace?.llm_decision).toBeNull();
  });
});

describe("decide: before any comparison", () => {
  const variant = {
    variant: "float16",
    file: null,
    bytes: null,
    max_logit_diff: null,
    argmax_agreement: null,
    accuracy: null,
    macro_f1: null,
    median_latency_ms: null,
    export_ms: 1,
    candidate: false,
    reasons: ["max logit difference 0.9 > 0.05"],
  };
  const unproven: TfliteSummary = { ship: "float16", shipped: null, variants: [variant] };

  it("a shipped .tflite that failed its proof is REJECT, naming why; a proven one goes on", () => {
    const out = rejectUnprovenTflite({ model_version: "v3", tflite: unproven }, "v2", ctx);
    expect(out?.update).toMatchObject({
      deployment_decision: "REJECT",
      production_version: "v2",
      policy_verdicts: [{ check: "tflite.float16.proven", passed: false }],
    });
    expect(out?.update.decision_reason).toMatch(/max logit difference 0\.9 > 0\.05/);
    const proven = { ...unproven, shipped: { variant: "float16", file: "m.tflite" } };
    expect(rejectUnprovenTflite({ model_version: "v3", tflite: proven }, "v2", ctx)).toBeNull();
    expect(rejectUnprovenTflite({ model_version: "v3", tflite: null }, "v2", ctx)).toBeNull();
  });

  it("a first model goes to a person, and says the LLM was not asked only when one is configured", () => {
    const c = gain().comparison.candidate as ClassificationMetrics;
    const first = (llmConfigured: boolean) =>
      decideFirstModel({ ...state, candidate_metrics: c }, policy, { ...ctx, llmConfigured });
    expect(first(false).update).toMatchObject({
      deployment_decision: "HUMAN_REVIEW",
      production_version: null,
      metric_deltas: [],
      failure_analysis_report: null,
    });
    expect(first(false).update.analyst_trace?.fallback).toBeNull();
    expect(first(true).update.analyst_trace?.fallback).toMatch(/LLM analyst was not asked/);
  });

  it("a shipped file LiteRT cannot run at decision time is REJECT: what would ship is unknown", () => {
    const proven = { ...unproven, shipped: { variant: "float16", file: "m.tflite" } };
    const out = rejectUnjudgedTflite(
      { tflite: proven },
      "v2",
      "v3's shipped m.tflite could not be run in LiteRT at decision time: ENOENT",
      ctx,
    );
    expect(out.update).toMatchObject({
      deployment_decision: "REJECT",
      policy_verdicts: [{ check: "tflite.float16.judged", passed: false }],
    });
    expect(out.update.decision_reason).toMatch(
      /ENOENT\. The app runs that file, so it cannot ship/,
    );
    expect(out.note).toBe("REJECT: shipped .tflite not judged");
  });

  it("a first model is judged on its shipped file's metrics when given, its slices kept", () => {
    const tfjs = gain().comparison.candidate as ClassificationMetrics;
    const shippedMetrics = regression().comparison.candidate as ClassificationMetrics;
    const judged = { candidate: judgedCandidate, production: null };
    const slices = { ...emptySlices };
    const { update, analysis } = decideFirstModel(
      { ...state, candidate_metrics: tfjs },
      policy,
      { ...ctx, llmConfigured: false },
      { metrics: shippedMetrics, judged, slices },
    );
    expect(update.candidate_metrics).toBe(shippedMetrics);
    expect(update.judged_as_shipped).toBe(judged);
    expect(update.slices).toBe(slices);
    expect(analysis.reason).toContain(`accuracy ${(shippedMetrics.accuracy * 100).toFixed(1)}%`);
  });

  it("without a production baseline a person compares", () => {
    const out = decideWithoutBaseline("v3", "v2", "sha256 mismatch", ctx);
    expect(out.update.deployment_decision).toBe("HUMAN_REVIEW");
    expect(out.update.decision_reason).toMatch(/v2 could not be re-evaluated: sha256 mismatch/);
    expect(out.note).toBe("HUMAN_REVIEW: no production baseline");
  });
});
