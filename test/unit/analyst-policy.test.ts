import { describe, expect, it } from "vitest";
import { compareOnEvaluationSet } from "../../lib/analyst/compare.ts";
import { describeConfusion, growingConfusions } from "../../lib/analyst/confusions.ts";
import { classifyChange, tfliteVerdicts } from "../../lib/analyst/policy.ts";
import { PolicySchema } from "../../lib/config.ts";

const labels = ["verde", "pinton", "maduro", "sobremaduro", "hoja"];
const policy = PolicySchema.parse({ critical_class: "maduro", statistics: { resamples: 1000 } });

/**
 * Paired predictions from per-class counts: for true class c, the first `prod[c]` images
 * are right for production and the first `cand[c]` right for the candidate; the others
 * are predicted as `wrongTo[c]` (production) or `candWrongTo[c]` (candidate).
 */
function build(
  perClass: number,
  prod: number[],
  cand: number[],
  wrongTo: number[],
  candWrongTo = wrongTo,
) {
  const truth: number[] = [];
  const production: number[] = [];
  const candidate: number[] = [];
  labels.forEach((_, c) => {
    for (let i = 0; i < perClass; i++) {
      truth.push(c);
      production.push(i < prod[c]! ? c : wrongTo[c]!);
      candidate.push(i < cand[c]! ? c : candWrongTo[c]!);
    }
  });
  return { truth, productionPredictions: production, candidatePredictions: candidate };
}

const V = 0,
  P = 1,
  M = 2,
  S = 3,
  H = 4;
// Errors: verde -> hoja, pinton -> maduro, maduro -> sobremaduro, sobremaduro -> pinton, hoja -> verde.
const wrongTo = [H, M, S, P, V];

describe("the seed's example: accuracy -1 pt for maduro F1 +7 pts", () => {
  // 400 images a class. Production: 1820/2000 right (0.91), maduro precision = recall = 352/400 (F1 0.88).
  // Candidate: 1800/2000 right (0.90), maduro 380/400 both ways (F1 0.95).
  const large = build(400, [372, 352, 352, 372, 372], [347, 380, 380, 347, 346], wrongTo);

  it("on 2,000 images the gain is a clear win: APPROVE, naming the trade-off", () => {
    const r = compareOnEvaluationSet({
      ...large,
      labels,
      policy,
      candidateVersion: "v3",
      productionVersion: "v2",
    });
    expect(r.production.accuracy).toBeCloseTo(0.91, 10);
    expect(r.production.per_class.maduro!.f1).toBeCloseTo(0.88, 10);
    expect(r.candidate.accuracy).toBeCloseTo(0.9, 10);
    expect(r.candidate.per_class.maduro!.f1).toBeCloseTo(0.95, 10);
    expect(r.analysis.decision).toBe("APPROVE");
    expect(r.analysis.reason).toMatch(/f1\.maduro \+7\.0 pts \[95% CI \+\d/);
    expect(r.analysis.reason).toMatch(/Trade-off accepted within policy: .*accuracy -1\.0 pts/);
    const maduro = r.statistics.intervals.find((i) => i.metric === "f1.maduro")!;
    expect(maduro.low).toBeGreaterThan(policy.min_improvement);
    expect(classifyChange(maduro, policy)).toBe("clear_win");
    // The accuracy change straddles zero: neither a clear win nor a clear loss.
    expect(classifyChange(r.statistics.intervals[0]!, policy)).toBe("not_clear");
    expect(r.statistics.mcnemar).toMatchObject({ production_only: 76, candidate_only: 56 });
    expect(r.analysis.verdicts.map((v) => v.check)).toEqual(
      expect.arrayContaining([
        "min_accuracy",
        "max_critical_f1_drop",
        "statistics.no_clear_loss",
        "statistics.clear_win",
        "tflite",
      ]),
    );
  });

  it("on 40 images the same kind of gain is not clear: HUMAN_REVIEW", () => {
    const tiny = build(8, [8, 7, 7, 7, 7], [8, 8, 8, 7, 6], wrongTo);
    const r = compareOnEvaluationSet({
      ...tiny,
      labels,
      policy,
      candidateVersion: "v3",
      productionVersion: "v2",
    });
    expect(r.candidate.per_class.maduro!.f1).toBeGreaterThan(r.production.per_class.maduro!.f1);
    expect(r.analysis.decision).toBe("HUMAN_REVIEW");
    expect(r.analysis.reason).toMatch(/on 40 images no gain is a clear win/);
    expect(r.analysis.verdicts.find((v) => v.check === "statistics.clear_win")).toMatchObject({
      passed: false,
      severity: "review",
    });
  });

  it("names the confusions that grew most: verde taken for hoja", () => {
    const r = compareOnEvaluationSet({
      ...large,
      labels,
      policy,
      candidateVersion: "v3",
      productionVersion: "v2",
    });
    expect(r.confusions.map((c) => `${c.actual}->${c.predicted}`)).toEqual([
      "hoja->verde",
      "verde->hoja",
      "sobremaduro->pinton",
    ]);
    expect(describeConfusion(r.confusions[1]!, "v3", "v2")).toBe(
      "v3 confused verde with hoja 6.3 pts more often than v2 (13.3% vs 7.0% of verde photos: 53 vs 28 of 400)",
    );
  });

  it("rejects a statistically clear loss of the critical class", () => {
    const worse = build(400, [372, 352, 380, 372, 372], [372, 352, 340, 372, 372], wrongTo);
    const r = compareOnEvaluationSet({
      ...worse,
      labels,
      policy,
      candidateVersion: "v3",
      productionVersion: "v2",
    });
    expect(r.analysis.decision).toBe("REJECT");
    expect(r.analysis.verdicts.find((v) => v.check === "statistics.no_clear_loss")?.passed).toBe(
      false,
    );
  });
});

describe("confusion changes", () => {
  it("lists only pairs whose rate grew, largest first", () => {
    const m = (matrix: number[][]) => ({
      n: 0,
      accuracy: 0,
      macro_f1: 0,
      per_class: {},
      confusion_matrix: { labels: ["a", "b", "c"], matrix },
    });
    const prod = m([
      [90, 10, 0],
      [0, 100, 0],
      [5, 0, 95],
    ]);
    const cand = m([
      [80, 5, 15],
      [2, 98, 0],
      [0, 0, 100],
    ]);
    const out = growingConfusions(prod, cand);
    expect(out.map((c) => [c.actual, c.predicted, Number(c.delta.toFixed(3))])).toEqual([
      ["a", "c", 0.15],
      ["b", "a", 0.02],
    ]);
  });
});

describe("the .tflite gates", () => {
  it("skip, and say so, when no export was checked", () => {
    expect(tfliteVerdicts(undefined, 0.9, policy)).toEqual([
      { check: "tflite", passed: true, skipped: true, detail: expect.stringMatching(/skipped/) },
    ]);
  });

  it("hold float32 to 1e-4 logits and int8 to 99% agreement and a 1 pt accuracy drop", () => {
    const v = tfliteVerdicts(
      [
        { variant: "float32", bytes: 1_600_000, max_logit_diff: 3e-5 },
        { variant: "int8", bytes: 9_000_000, argmax_agreement: 0.985, accuracy: 0.885 },
      ],
      0.9,
      policy,
    );
    expect(Object.fromEntries(v.map((x) => [x.check, x.passed]))).toEqual({
      "tflite.float32.max_bytes": true,
      "tflite.float32.max_logit_diff": true,
      "tflite.int8.max_bytes": false,
      "tflite.int8.argmax_agreement": false,
      "tflite.int8.accuracy_drop": false,
    });
  });

  it("fail a gate that was not measured", () => {
    const v = tfliteVerdicts({ variant: "float32", bytes: 100 }, 0.9, policy);
    expect(v.find((x) => x.check === "tflite.float32.max_logit_diff")).toMatchObject({
      passed: false,
      detail: "float32 logit difference was not measured",
    });
  });
});
