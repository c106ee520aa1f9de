/**
 * Per-slice evaluation on planted predictions: the numbers of each slice, a planted drop on
 * one slice that the policy's limit turns into REJECT (or HUMAN_REVIEW, as configured), a
 * slice too small to judge that is listed and not judged, and what the LLM is told.
 */
import { describe, expect, it } from "vitest";
import { compareOnEvaluationSet } from "../../lib/analyst/compare.ts";
import { applyGuardrails } from "../../lib/analyst/guardrails.ts";
import { buildAnalystPrompt } from "../../lib/analyst/llm.ts";
import {
  computeSlices,
  MAX_SMALL_SLICES_PER_KEY,
  sliceVerdicts,
} from "../../lib/analyst/slices.ts";
import { PolicySchema } from "../../lib/config.ts";

const labels = ["verde", "pinton", "maduro", "sobremaduro", "hoja"];
/** Where a wrong prediction of each class goes. */
const wrongTo = [4, 2, 3, 1, 0];
const policyWith = (slices: Record<string, unknown> = {}) =>
  PolicySchema.parse({ critical_class: "maduro", statistics: { resamples: 500 }, slices });

/**
 * 100 images per class. Production gets images 0..84 of each class right; the candidate
 * gets all right but images 0..5. Images 0..29 of each class are in the shade (the
 * candidate falls there), 95..99 are from farm-z (too few to judge), 0..4 from an old phone.
 */
function planted() {
  const truth: number[] = [];
  const production: number[] = [];
  const candidate: number[] = [];
  const tags: Record<string, string>[] = [];
  labels.forEach((_, k) => {
    for (let i = 0; i < 100; i++) {
      truth.push(k);
      production.push(i < 85 ? k : wrongTo[k]!);
      candidate.push(i >= 6 ? k : wrongTo[k]!);
      tags.push({
        lighting: i < 30 ? "shade" : "sun",
        farm: i < 95 ? "farm-a" : "farm-z",
        camera: i < 5 ? "old-phone" : "new-phone",
      });
    }
  });
  return { truth, production, candidate, tags };
}

const compare = (policy = policyWith(), tags = planted().tags) => {
  const p = planted();
  return compareOnEvaluationSet({
    truth: p.truth,
    candidatePredictions: p.candidate,
    productionPredictions: p.production,
    labels,
    policy,
    candidateVersion: "v3",
    productionVersion: "v2",
    tags,
  });
};

describe("computeSlices", () => {
  const p = planted();
  const report = computeSlices({ ...p, labels, policy: policyWith() });
  const row = (key: string, value: string) =>
    report.rows.find((r) => r.key === key && r.value === value)!;

  it("measures both models on every tag value, the largest slices of each key first", () => {
    expect(report.rows.map((r) => `${r.key}=${r.value}:${r.n}`)).toEqual([
      "camera=new-phone:475",
      "camera=old-phone:25",
      "farm=farm-a:475",
      "farm=farm-z:25",
      "lighting=sun:350",
      "lighting=shade:150",
    ]);
    const shade = row("lighting", "shade");
    expect(shade).toMatchObject({ judged: true, production: 1, candidate: 0.8 });
    expect(shade.delta).toBeCloseTo(-0.2, 12);
    // 30 of 150 images change from right to wrong: sd 0.4, so 1.96 * 0.4 / sqrt(150).
    expect(shade.half_width).toBeCloseTo((1.96 * 0.4) / Math.sqrt(150), 12);
    expect(shade.note).toBe("±6.4 pts at 95%");
    // 30 maduro images in the shade: enough (10) for its recall and F1 to be shown.
    expect(shade.critical).toMatchObject({ n: 30, production_recall: 1, candidate_recall: 0.8 });
    const sun = row("lighting", "sun");
    expect(sun.production).toBeCloseTo(55 / 70, 12);
    expect(sun.candidate).toBe(1);
    expect(report.untagged).toBe(0);
  });

  it("lists a slice below min_images as too few to judge, with its numbers but no verdict", () => {
    const old = row("camera", "old-phone");
    expect(old).toMatchObject({ n: 25, judged: false, verdict: "too few to judge" });
    expect(old.candidate).toBe(0);
    expect(old.critical).toBeNull();
    expect(old.note).toBe("fewer than 30 images: too few to judge");
    expect(row("farm", "farm-z").verdict).toBe("too few to judge");
  });

  it("without a limit reports only; a first model's slices show the candidate alone", () => {
    expect(new Set(report.rows.filter((r) => r.judged).map((r) => r.verdict))).toEqual(
      new Set(["report only"]),
    );
    expect(sliceVerdicts(report, policyWith())).toEqual([]);
    const first = computeSlices({ ...p, production: undefined, labels, policy: policyWith() });
    expect(first.rows.every((r) => r.production === null && r.delta === null)).toBe(true);
    expect(sliceVerdicts(first, policyWith({ max_accuracy_drop: 0.05 }))).toEqual([]);
  });

  it("counts images without tags and, past a dozen small values of a key, counts the rest", () => {
    // An id-like tag: every value is one image; every other image has no tag at all.
    const tags = p.tags.map((_, i): Record<string, string> => (i % 2 ? {} : { photo: `img-${i}` }));
    const r = computeSlices({ ...p, tags, labels, policy: policyWith() });
    expect(r.untagged).toBe(250);
    expect(r.rows).toHaveLength(MAX_SMALL_SLICES_PER_KEY);
    expect(r.omitted).toEqual([
      {
        key: "photo",
        values: 250 - MAX_SMALL_SLICES_PER_KEY,
        images: 250 - MAX_SMALL_SLICES_PER_KEY,
      },
    ]);
  });
});

describe("the slices in the policy", () => {
  it("a planted drop on one slice beyond the limit fails the verdict: REJECT, naming the slice", () => {
    const c = compare(policyWith({ max_accuracy_drop: 0.05 }));
    // Overall the candidate wins clearly: only the slice stops it.
    expect(c.candidate.accuracy - c.production.accuracy).toBeCloseTo(0.09, 12);
    expect(c.analysis.verdicts.filter((v) => !v.passed).map((v) => v.check)).toEqual([
      "slices.max_accuracy_drop",
    ]);
    const v = c.analysis.verdicts.find((x) => x.check === "slices.max_accuracy_drop")!;
    expect(v).toMatchObject({ severity: "reject", quotes_data: true });
    expect(v.detail).toBe(
      "accuracy falls more than the allowed 5.0 pts on lighting=shade (100.0% -> 80.0%, -20.0 pts on 150 images); 2 slice(s) with fewer than 30 images not judged",
    );
    expect(c.analysis.decision).toBe("REJECT");
    expect(c.analysis.reason).toMatch(/fails slices\.max_accuracy_drop \(.*lighting=shade/);
    expect(c.slices!.rows.find((r) => r.value === "shade")!.verdict).toBe("failed");
    expect(c.slices!.rows.find((r) => r.value === "sun")!.verdict).toBe("passed");
  });

  it("with severity review the same drop sends the candidate to a person, and an LLM cannot approve it", () => {
    const c = compare(policyWith({ max_accuracy_drop: 0.05, severity: "review" }));
    expect(c.analysis.decision).toBe("HUMAN_REVIEW");
    expect(c.analysis.reason).toMatch(
      /passes every rejecting check, but slices\.max_accuracy_drop \(.*lighting=shade.*\): a person decides/,
    );
    const g = applyGuardrails({
      rules: c.analysis,
      llm: {
        model: "m",
        base_url: "http://127.0.0.1:1/v1",
        answer: { decision: "APPROVE", reason: "Accuracy rose.", relied_on: ["accuracy"] },
        raw: "{}",
        attempts: 1,
        error: null,
        elapsed_ms: 1,
      },
      metricKeys: ["accuracy"],
    });
    expect(g.decision).toBe("HUMAN_REVIEW");
    expect(g.override).toMatch(/review checks failed \(slices\.max_accuracy_drop\)/);
  });

  it("a slice too small to judge cannot fail it, however far it falls", () => {
    // Only the old phone (25 images, candidate 0% vs production 100%) is tagged apart.
    const tags = planted().tags.map((t) => ({ camera: t.camera! }));
    const c = compare(policyWith({ max_accuracy_drop: 0.05 }), tags);
    const v = c.analysis.verdicts.find((x) => x.check === "slices.max_accuracy_drop")!;
    expect(v.passed).toBe(true);
    expect(v.detail).toMatch(/1 slice\(s\) with fewer than 30 images not judged/);
    expect(c.slices!.rows.find((r) => r.value === "old-phone")).toMatchObject({
      judged: false,
      verdict: "too few to judge",
      delta: -1,
    });
    expect(c.analysis.decision).toBe("APPROVE");
  });

  it("says so when a limit is set but no slice is large enough", () => {
    const tags = planted().tags.map((t, i) => ({ farm: `farm-${i % 20}` }));
    const c = compare(policyWith({ max_accuracy_drop: 0.05 }), tags);
    const v = c.analysis.verdicts.find((x) => x.check === "slices.max_accuracy_drop")!;
    expect(v).toMatchObject({ passed: true, skipped: true });
    expect(v.detail).toMatch(/no slice of the evaluation set has 30 images or more/);
  });

  it("gives the LLM the slices, the instruction to weigh only judged ones, and their keys", () => {
    const c = compare();
    const prompt = buildAnalystPrompt({
      model_name: "mango-ripeness",
      candidate_version: "v3",
      production_version: "v2",
      critical_class: "maduro",
      evaluation_set: { path: "e.json", sha256: "0".repeat(64), images: 500 },
      training_data: [],
      candidate: c.candidate,
      production: c.production,
      deltas: c.analysis.deltas,
      verdicts: c.analysis.verdicts,
      statistics: c.statistics,
      confusion_changes: c.confusions,
      slices: c.slices!,
    });
    expect(prompt.system).toMatch(/Only rows with judged=true have enough images/);
    expect(prompt.user).toContain('"value": "shade"');
    expect(prompt.metricKeys).toContain("slices.lighting=shade");
    expect(prompt.metricKeys).not.toContain("slices.camera=old-phone");
  });
});
