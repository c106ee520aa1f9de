import { describe, expect, it } from "vitest";
import { argmax, computeMetrics, crossEntropy, toLabelIndices } from "../../lib/metrics.ts";

describe("computeMetrics", () => {
  // true:  a a a b b c   pred: a a b b a a   -> class c is never predicted
  const labels = ["a", "b", "c"];
  const m = computeMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 0], labels);

  it("builds the confusion matrix with rows = true class, cols = predicted", () => {
    expect(m.confusion_matrix).toEqual({
      labels,
      matrix: [
        [2, 1, 0],
        [1, 1, 0],
        [1, 0, 0],
      ],
    });
    expect(m.n).toBe(6);
    expect(m.accuracy).toBe(0.5);
  });

  it("matches hand-computed precision, recall and F1 per class", () => {
    expect(m.per_class.a?.precision).toBeCloseTo(2 / 4, 12);
    expect(m.per_class.a?.recall).toBeCloseTo(2 / 3, 12);
    expect(m.per_class.a?.f1).toBeCloseTo(4 / 7, 12);
    expect(m.per_class.b).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.per_class.a?.support).toBe(3);
  });

  it("scores a class with no predictions as 0, not NaN", () => {
    expect(m.per_class.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(m.macro_f1).toBeCloseTo((4 / 7 + 0.5 + 0) / 3, 12); // 5/14
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it("leaves classes absent from the evaluation set out of macro F1", () => {
    // d has no true images but takes one wrong prediction; c appears nowhere.
    const r = computeMetrics([0, 1], [0, 3], ["a", "b", "c", "d"]);
    expect(r.per_class.d).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.macro_f1).toBe(0.5); // (F1 a = 1, F1 b = 0) / 2
    expect(r.accuracy).toBe(0.5);
  });

  it("rejects mismatched lengths, empty sets and out-of-range indices with a clear message", () => {
    expect(() => computeMetrics([0], [0, 1], labels)).toThrow(/1 true labels but 2 predictions/);
    expect(() => computeMetrics([], [], labels)).toThrow(/empty/);
    expect(() => computeMetrics([0, 3], [0, 0], labels)).toThrow(
      /true class index 3 at position 1 is outside 0\.\.2/,
    );
  });
});

describe("helpers", () => {
  it("maps labels to indices and names the image with an unknown label", () => {
    expect(
      toLabelIndices(
        [
          { label: "b", path: "x.jpg" },
          { label: "a", path: "y.jpg" },
        ],
        ["a", "b"],
      ),
    ).toEqual([1, 0]);
    expect(() => toLabelIndices([{ label: "rotten", path: "z.jpg" }], ["a", "b"])).toThrow(
      /z\.jpg has label "rotten"/,
    );
  });

  it("argmax takes the first maximum; cross-entropy clips zero probabilities", () => {
    expect(argmax([0.1, 0.7, 0.7])).toBe(1);
    expect(
      crossEntropy(
        [
          [0.5, 0.5],
          [1, 0],
        ],
        [0, 0],
      ),
    ).toBeCloseTo(Math.log(2) / 2, 12);
    expect(crossEntropy([[1, 0]], [1])).toBeCloseTo(-Math.log(1e-7), 9);
  });
});
