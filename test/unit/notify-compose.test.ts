/**
 * The alerts the pipeline builds, as data: composeAlert for a rejection, a human review
 * and a failed data gate, and the promote use case's alert for a failed verification.
 * Each fact lands in its field; nothing is left to be parsed out of text later.
 */
import { describe, expect, it } from "vitest";
import { verificationAlert } from "../../app/promote.ts";
import { composeAlert, readablePath } from "../../graph/nodes/alert-human.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import { PromotionVerificationError } from "../../lib/github/promote.ts";

// Only the fields composeAlert reads.
const base = {
  run_id: "run-42",
  model_version: "v3",
  new_data_path: "data-manifests/farm-b.json",
  production_version: "v2",
  quality_score: 8.5,
  quality_report_path: ".mlops/runs/run-42/quality.json",
  decision_reason: "maduro F1 fell 6.0 points (allowed 0.0). Next step: see below.",
  metric_deltas: [{ metric: "accuracy", production: 0.91, candidate: 0.885, delta: -0.025 }],
  confusion_changes: [
    {
      actual: "maduro",
      predicted: "sobremaduro",
      production_rate: 0.05,
      candidate_rate: 0.13,
      delta: 0.08,
      production_count: 5,
      candidate_count: 13,
      support: 100,
    },
  ],
  analyst_trace: {
    llm_model: "gpt-x",
    llm_decision: "APPROVE",
    override: "The LLM answered APPROVE, but policy check(s) max_critical_f1_drop failed.",
    fallback: null,
    analysis_dir: ".mlops/runs/run-42/analysis",
  },
  failure_analysis_report: null,
  promotion: null,
};
const stateOf = (over: object) => ({ ...base, ...over }) as unknown as MLOpsStateType;
const confusion =
  "v3 confused maduro with sobremaduro 8.0 pts more often than v2 (13.0% vs 5.0% of maduro photos: 13 vs 5 of 100)";

describe("composeAlert", () => {
  it("a rejection: reason, confusions first among the evidence, metrics as a list, facts", () => {
    const state = stateOf({ deployment_decision: "REJECT" });
    const before = structuredClone(state);
    expect(composeAlert(state, 7, "mango-ripeness")).toEqual({
      runId: "run-42",
      severity: "error",
      title: "mango-ripeness v3 rejected",
      whatHappened:
        "the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
      why: "maduro F1 fell 6.0 points (allowed 0.0). Next step: see below.",
      evidence: [
        { label: "Confusions that grew", items: [confusion] },
        "Guardrails: The LLM answered APPROVE, but policy check(s) max_critical_f1_drop failed.",
        "Analysis: .mlops/runs/run-42/analysis (analysis.json, prompt.md, llm-answer.json).",
        { label: "Metrics, production -> candidate", items: ["accuracy 91.0% -> 88.5%"] },
      ],
      nextStep:
        "look at the data in data-manifests/farm-b.json (labels, coverage of the weak classes) and push a corrected manifest; production is unchanged.",
      facts: [
        { name: "Model", value: "mango-ripeness v3" },
        { name: "Decision", value: "REJECT" },
        { name: "Production", value: "v2" },
        { name: "Quality", value: "8.5 / 10" },
        { name: "Run", value: "run-42" },
      ],
      links: [],
      dedupeKey: "REJECT:data-manifests/farm-b.json",
    });
    // Pure: the state is read, never written.
    expect(state).toEqual(before);
  });

  it("a human review: a warning that links the pull request and names the draft", () => {
    const alert = composeAlert(
      stateOf({
        deployment_decision: "HUMAN_REVIEW",
        confusion_changes: [],
        analyst_trace: { ...base.analyst_trace, override: null, fallback: "the LLM timed out" },
        promotion: {
          branch: "mlops/mango-ripeness-v3",
          commit: "0123456789abcdef",
          base: "main",
          draft: true,
          pr_body_path: ".mlops/runs/run-42/pull-request.md",
          pr_url: "https://github.com/acme/mango/pull/7",
          pr_number: 7,
        },
      }),
      7,
      "mango-ripeness",
    );
    expect(alert).toMatchObject({
      severity: "warning",
      title: "mango-ripeness v3 needs a human review",
      whatHappened: "the analyst could not approve v3 on its own.",
      evidence: [
        "Analyst: the LLM timed out",
        "the draft proposal on branch mlops/mango-ripeness-v3 (0123456789); its pull request body is .mlops/runs/run-42/pull-request.md.",
      ],
      links: [{ label: "Pull request #7", url: "https://github.com/acme/mango/pull/7" }],
      dedupeKey: "HUMAN_REVIEW:data-manifests/farm-b.json",
    });
    expect(alert.nextStep).toMatch(/^read the analysis; merge the proposal to ship v3/);
  });

  it("a failed data gate: the gate's findings, per-file lines included, are the reason", () => {
    const report = [
      "Data quality score 4.2/10 is below the 7.0 threshold: 1 of 3 images refused.",
      "- a.jpg (maduro): blur: too blurry. Fix: retake.",
    ].join("\n");
    const alert = composeAlert(
      stateOf({ deployment_decision: null, quality_score: 4.2, failure_analysis_report: report }),
      7,
      "mango-ripeness",
    );
    expect(alert).toMatchObject({
      severity: "error",
      title: "Data gate failed for data-manifests/farm-b.json: quality 4.2 / 10 (needs 7)",
      whatHappened:
        "validate_data scored the batch below the gate, so no training ran and production is unchanged.",
      why: report,
      evidence: [
        "the quality report .mlops/runs/run-42/quality.json (per-image findings) and quality.md beside it.",
      ],
      nextStep: "fix or remove the listed files, update the manifest, and push it again.",
      dedupeKey: "gate:data-manifests/farm-b.json",
    });
    expect(alert.facts).toContainEqual({ name: "Decision", value: "data gate failed" });
    const bare = composeAlert(
      stateOf({ deployment_decision: null, quality_score: null, quality_report_path: null }),
      7,
      "m",
    );
    expect(bare.why).toBe("the batch's quality score ? / 10 is below the gate's 7.");
    expect(bare.evidence).toEqual([]);
  });

  it("names files as a reader elsewhere finds them: in the run folder or the repository, never a runner's path", () => {
    const where = {
      runDir: "/home/runner/work/r/r/.mlops/runs/run-42",
      repoDir: "/home/runner/work/r/r",
      runId: "run-42",
    };
    expect(readablePath(`${where.runDir}/quality.json`, where)).toBe(
      "quality.json in the run folder of run-42",
    );
    expect(readablePath(`${where.repoDir}/data-manifests/a.json`, where)).toBe(
      "data-manifests/a.json",
    );
    expect(readablePath("/elsewhere/x.json", where)).toBe("/elsewhere/x.json");
    const alert = composeAlert(
      stateOf({
        deployment_decision: null,
        quality_score: 4.2,
        quality_report_path: `${where.runDir}/quality.json`,
      }),
      7,
      "m",
      (p) => readablePath(p, where),
    );
    expect(alert.evidence).toEqual([
      "the quality report quality.json in the run folder of run-42 (per-image findings) and quality.md beside it.",
    ]);
  });
});

describe("verificationAlert", () => {
  it("lists each file that failed, with the version and commit as facts", () => {
    const err = new PromotionVerificationError("v3", [
      {
        name: "model.tflite",
        uri: "s3://art/v3/model.tflite",
        problem: "missing from the artifact store",
      },
    ]);
    const alert = verificationAlert(
      "mango-ripeness",
      "models/registry/production.json",
      "f".repeat(40),
      err,
    );
    expect(alert).toMatchObject({
      runId: "promote-ffffffffff",
      severity: "error",
      title: "Promotion of mango-ripeness failed verification; production is unchanged",
      evidence: [
        {
          label: "Files that failed verification",
          items: ["model.tflite (s3://art/v3/model.tflite): missing from the artifact store"],
        },
      ],
      facts: [
        { name: "Model", value: "mango-ripeness v3" },
        { name: "Commit", value: "ffffffffff" },
        { name: "Run", value: "promote-ffffffffff" },
      ],
    });
    expect(alert.whatHappened).toContain(`models/registry/production.json at ${"f".repeat(40)}`);
    expect(alert.why).toMatch(/^1 file\(s\) of v3 are missing/);
    expect(alert.nextStep).toMatch(/revert the pointer commit/);
  });
});
