/**
 * What people read about an analysis: the pull request leads with the confusions that
 * grew, shows the statistics and who decided; a rejection alert leads with the confusions.
 */
import { describe, expect, it } from "vitest";
import { compareOnEvaluationSet } from "../../lib/analyst/compare.ts";
import { parseConfig } from "../../lib/config.ts";
import { composeAlert } from "../../graph/nodes/alert-human.ts";
import { renderPullRequestBody, renderRunReport } from "../../graph/render.ts";
import type { MLOpsStateType } from "../../graph/state.ts";

const cfg = parseConfig({ policy: { statistics: { resamples: 500 } } });
const labels = cfg.labels;
const wrongTo = [4, 2, 3, 1, 0];

function state(prod: number[], cand: number[], over: Partial<MLOpsStateType> = {}): MLOpsStateType {
  const truth: number[] = [],
    p: number[] = [],
    c: number[] = [];
  labels.forEach((_, k) => {
    for (let i = 0; i < 100; i++) {
      truth.push(k);
      p.push(i < prod[k]! ? k : wrongTo[k]!);
      c.push(i < cand[k]! ? k : wrongTo[k]!);
    }
  });
  const r = compareOnEvaluationSet({
    truth,
    productionPredictions: p,
    candidatePredictions: c,
    labels,
    policy: cfg.policy,
    candidateVersion: "v3",
    productionVersion: "v2",
  });
  // Only the fields these renderers read; other engineers' fields stay out of this test.
  const base: Partial<MLOpsStateType> = {
    run_id: "r1",
    requested_manifest: null,
    new_data_path: "data-manifests/farm-b.json",
    manifest_sha256: "cd".repeat(32),
    pending_manifests: [],
    quality_score: 8.5,
    quality_report_path: "q.json",
    rejected_images: [],
    model_version: "v3",
    candidate_model_path: "/x/candidate/tfjs",
    candidate_metrics: r.candidate,
    production_version: "v2",
    production_metrics: r.production,
    training_summary: {
      best_epoch: 3,
      epochs_run: 5,
      train_seconds: 10,
      train_images: 900,
      val_images: 100,
      eval_images: 500,
      excluded_images: 0,
      manifests: [],
    },
    deployment_decision: r.analysis.decision,
    decision_reason: r.analysis.reason,
    policy_verdicts: r.analysis.verdicts,
    metric_deltas: r.analysis.deltas,
    analyst: "rules",
    evaluation_set: {
      path: "data-manifests/eval/evaluation.json",
      sha256: "ab".repeat(32),
      images: 500,
    },
    analysis_statistics: r.statistics,
    confusion_changes: r.confusions,
    analyst_trace: {
      llm_model: null,
      llm_decision: null,
      override: null,
      fallback: null,
      analysis_dir: "/runs/r1/analysis",
    },
    failure_analysis_report: null,
    promotion: null,
    alerts: [],
    steps: [],
  };
  return { ...base, ...over } as MLOpsStateType;
}

const artifact = { format: "tfjs-layers", labels, files: [] } as unknown as Parameters<
  typeof renderPullRequestBody
>[2];

describe("the analysis as people read it", () => {
  it("the pull request leads with the confusions that grew, then why and who decided, with a statistics table", () => {
    const s = state([93, 88, 88, 93, 93], [87, 95, 95, 87, 86]);
    expect(s.deployment_decision).toBe("APPROVE");
    const body = renderPullRequestBody(s, cfg, artifact);
    // Right under the title: what changed for growers comes before anything else.
    expect(body.split("\n").slice(0, 3)).toEqual([
      "## mango-ripeness v3: APPROVE",
      "",
      "### Confusions that grew",
    ]);
    expect(body.indexOf("**Why:**")).toBeGreaterThan(body.indexOf("### Confusions that grew"));
    expect(body).toMatch(
      /- v3 confused hoja with verde 7\.0 pts more often than v2 \(14\.0% vs 7\.0% of hoja photos/,
    );
    expect(body).toMatch(
      /\*\*Decided by:\*\* the rule-based analyst\. No LLM analyst is configured/,
    );
    expect(body).toMatch(
      /\| f1\.maduro \| 88\.0% \| 95\.0% \| \+7\.0 \| \+\d\.\d to \+\d+\.\d \| clear win \|/,
    );
    expect(body).toMatch(
      /McNemar's exact test on accuracy: 19 images only production gets right, 14 only the candidate, p = 0\.\d+/,
    );
    expect(body).toMatch(/sha256 `abababababab…`/);
  });

  it("says when the guardrails overrode the LLM", () => {
    const s = state([93, 88, 88, 93, 93], [95, 95, 80, 95, 95], {
      analyst_trace: {
        llm_model: "gpt-x",
        llm_decision: "APPROVE",
        override:
          "The LLM answered APPROVE, but policy check(s) max_critical_f1_drop failed: REJECT stands.",
        fallback: null,
        analysis_dir: "/runs/r1/analysis",
      },
    });
    const report = renderRunReport(s, cfg, "halted");
    expect(report).toMatch(
      /The LLM \(`gpt-x`\) proposed APPROVE\. \*\*Guardrails overrode the LLM:\*\* The LLM answered APPROVE/,
    );
    expect(report).toMatch(/## Statistics/);
  });

  it("a rejection alert's evidence opens with the confusions that grew", () => {
    const s = state([93, 88, 88, 93, 93], [95, 95, 80, 95, 95]);
    expect(s.deployment_decision).toBe("REJECT");
    const alert = composeAlert(s, 7, "mango-ripeness");
    const [first, ...rest] = alert.evidence;
    expect(first).toMatchObject({ label: "Confusions that grew" });
    expect((first as { items: string[] }).items[0]).toMatch(
      /^v3 confused maduro with sobremaduro 8\.0 pts more often than v2/,
    );
    expect(rest).toContain("Analysis: /runs/r1/analysis (analysis.json).");
  });
});
