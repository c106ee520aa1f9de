import { describe, expect, it } from "vitest";
import { analyzeWithRules } from "../../lib/analyst/rules.ts";
import { PolicySchema } from "../../lib/config.ts";
import type { ClassificationMetrics } from "../../lib/metrics.ts";

const policy = PolicySchema.parse({
  critical_class: "maduro",
  max_accuracy_drop: 0.02,
  max_class_f1_drop: 0.1,
  min_accuracy: 0.5,
  min_critical_f1: 0.5,
});

/** Metrics with the given accuracy and per-class F1 (precision = recall = F1 for brevity). */
function metrics(accuracy: number, f1: Record<string, number>): ClassificationMetrics {
  const labels = Object.keys(f1);
  const per_class = Object.fromEntries(
    labels.map((l) => [l, { precision: f1[l]!, recall: f1[l]!, f1: f1[l]!, support: 100 }]),
  );
  const macro = labels.reduce((s, l) => s + f1[l]!, 0) / labels.length;
  return {
    n: 100 * labels.length,
    accuracy,
    macro_f1: macro,
    per_class,
    confusion_matrix: { labels, matrix: labels.map(() => labels.map(() => 0)) },
  };
}

describe("the rule-based analyst", () => {
  it("sends the first model to a person", () => {
    const a = analyzeWithRules({
      candidate: metrics(0.8, { verde: 0.8, maduro: 0.8 }),
      candidateVersion: "v1",
      policy,
    });
    expect(a.decision).toBe("HUMAN_REVIEW");
    expect(a.reason).toMatch(/first/);
  });

  it("rejects a first model below the policy's floor", () => {
    const a = analyzeWithRules({
      candidate: metrics(0.3, { verde: 0.4, maduro: 0.2 }),
      candidateVersion: "v1",
      policy,
    });
    expect(a.decision).toBe("REJECT");
    expect(a.verdicts.filter((v) => !v.passed).map((v) => v.check)).toEqual([
      "min_accuracy",
      "min_critical_f1",
    ]);
  });

  it("approves the seed's trade-off: accuracy -1 pt for maduro F1 +7 pts, and names it", () => {
    const production = metrics(0.91, { verde: 0.93, pinton: 0.9, maduro: 0.88 });
    const candidate = metrics(0.9, { verde: 0.91, pinton: 0.88, maduro: 0.95 });
    const a = analyzeWithRules({
      candidate,
      production,
      productionVersion: "v2",
      candidateVersion: "v3",
      policy,
    });
    expect(a.decision).toBe("APPROVE");
    expect(a.reason).toMatch(/f1\.maduro \+7\.0 pts/);
    expect(a.reason).toMatch(/accuracy -1\.0 pts/);
  });

  it("rejects any drop of the critical class, whatever else improves", () => {
    const production = metrics(0.8, { verde: 0.8, maduro: 0.9 });
    const candidate = metrics(0.9, { verde: 0.95, maduro: 0.89 });
    const a = analyzeWithRules({
      candidate,
      production,
      productionVersion: "v1",
      candidateVersion: "v2",
      policy,
    });
    expect(a.decision).toBe("REJECT");
    expect(a.reason).toMatch(/max_critical_f1_drop/);
  });

  it("rejects an accuracy drop beyond the allowed one", () => {
    const production = metrics(0.9, { verde: 0.9, maduro: 0.8 });
    const candidate = metrics(0.85, { verde: 0.85, maduro: 0.85 });
    const a = analyzeWithRules({
      candidate,
      production,
      productionVersion: "v1",
      candidateVersion: "v2",
      policy,
    });
    expect(a.decision).toBe("REJECT");
    expect(a.verdicts.find((v) => v.check === "max_accuracy_drop")?.passed).toBe(false);
  });

  it("rejects a candidate that changes nothing worth a release", () => {
    const production = metrics(0.9, { verde: 0.9, maduro: 0.9 });
    const a = analyzeWithRules({
      candidate: metrics(0.9, { verde: 0.9, maduro: 0.9 }),
      production,
      productionVersion: "v1",
      candidateVersion: "v2",
      policy,
    });
    expect(a.decision).toBe("REJECT");
    expect(a.reason).toMatch(/improves neither/);
  });

  it("tabulates every metric's change", () => {
    const production = metrics(0.8, { verde: 0.8, maduro: 0.7 });
    const candidate = metrics(0.85, { verde: 0.82, maduro: 0.75 });
    const a = analyzeWithRules({
      candidate,
      production,
      productionVersion: "v1",
      candidateVersion: "v2",
      policy,
    });
    expect(a.deltas.map((d) => d.metric)).toEqual([
      "accuracy",
      "macro_f1",
      "f1.verde",
      "f1.maduro",
    ]);
    expect(a.deltas[0]!.delta).toBeCloseTo(0.05);
  });

  it("holds a shipped int8 file to the TF.js model's accuracy, not to its own", () => {
    // Judged as shipped, the candidate's metrics are the int8 file's: 85%, where TF.js had 90%.
    const shipped = metrics(0.85, { verde: 0.85, maduro: 0.85 });
    const int8 = { variant: "int8", bytes: 1_000_000, argmax_agreement: 0.995, accuracy: 0.85 };
    const judge = (referenceAccuracy?: number) =>
      analyzeWithRules({
        candidate: shipped,
        candidateVersion: "v1",
        policy,
        tflite: int8,
        referenceAccuracy,
      }).verdicts.find((v) => v.check === "tflite.int8.accuracy_drop")!;
    expect(judge(0.9)).toMatchObject({ passed: false });
    expect(judge(0.9).detail).toBe("int8 accuracy 85.0% vs TF.js 90.0% (allowed drop 1.0 pts)");
    expect(judge().passed).toBe(true);
  });
});
