import { describe, expect, it } from "vitest";
import { tfliteVerdicts } from "../../lib/analyst/policy.ts";
import { ConfigSchema } from "../../lib/config.ts";
import type { Calibration } from "../../worker/tflite/calibrate.ts";
import { calibrationSample } from "../../worker/tflite/calibrate.ts";
import type { IrGraph, IrTensor } from "../../worker/tflite/ir.ts";
import { operatorCodes } from "../../worker/tflite/op-version.ts";
import {
  asymmetricInt8,
  biasSafeWeightScales,
  quantizeBiasInt32,
  quantizeInt8PerChannel,
  roundHalfAway,
  SOFTMAX_INT8_OUTPUT,
} from "../../worker/tflite/quantize.ts";
import { TensorType } from "../../worker/tflite/schema.ts";
import { encodeVariant } from "../../worker/tflite/variants.ts";
import { irTensorMakers } from "../helpers/ir-fixtures.ts";

const f32 = Math.fround;

describe("full-integer quantisation arithmetic", () => {
  it("activation scale and zero point from a calibrated range, widened to hold 0", () => {
    // The image in [-1, 1]: TF 2.21's converter writes exactly these for the QUANTIZE output.
    expect(asymmetricInt8(-1, 1)).toEqual({ scale: f32(2 / 255), zeroPoint: -1 });
    expect(asymmetricInt8(-1, 1).scale).toBe(0.007843137718737125);
    // A fused ReLU6 output: 0 is the lowest value, so it maps to -128.
    expect(asymmetricInt8(0, 6)).toEqual({ scale: f32(6 / 255), zeroPoint: -128 });
    // One-sided ranges are widened to 0: [2, 5] as [0, 5], [-3, -1] as [-3, 0].
    expect(asymmetricInt8(2, 5)).toEqual({ scale: f32(5 / 255), zeroPoint: -128 });
    expect(asymmetricInt8(-3, -1)).toEqual({ scale: f32(3 / 255), zeroPoint: 127 });
    // Asymmetric: -128 - (-12.63 / s) rounded, s = 27.77 / 255.
    const logits = asymmetricInt8(-12.632285, 15.136452);
    expect(logits.scale).toBeCloseTo(27.768737 / 255, 9);
    expect(logits.zeroPoint).toBe(-12);
    // The whole calibrated range fits int8, and each end comes back within half a step.
    for (const [lo, hi] of [
      [-1, 1],
      [-0.37, 5.2],
      [-7.9, 0.4],
    ] as const) {
      const p = asymmetricInt8(lo, hi);
      for (const v of [lo, hi]) {
        const q = Math.max(-128, Math.min(127, Math.round(v / p.scale) + p.zeroPoint));
        expect(Math.abs((q - p.zeroPoint) * p.scale - v)).toBeLessThanOrEqual(p.scale / 2 + 1e-7);
      }
      expect(p.zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(p.zeroPoint).toBeLessThanOrEqual(127);
      // Both ends land inside int8 after rounding.
      expect(Math.round(lo / p.scale) + p.zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(Math.round(hi / p.scale) + p.zeroPoint).toBeLessThanOrEqual(127);
    }
    expect(asymmetricInt8(0, 0)).toEqual({ scale: f32(1 / 255), zeroPoint: -128 });
    expect(() => asymmetricInt8(Infinity, -Infinity)).toThrow(/calibrate it on images/);
  });

  it("rounds half away from zero, as C's round", () => {
    expect([-2.5, -0.5, 0.5, 1.5, 2.4].map(roundHalfAway)).toEqual([-3, -1, 1, 2, 2]);
  });

  it("softmax output is the spec's fixed 1/256 and -128", () => {
    expect(SOFTMAX_INT8_OUTPUT).toEqual({ scale: 0.00390625, zeroPoint: -128 });
  });

  it("int32 bias: scale in_scale * w_scale[c] in float32, zero point 0, values b / scale rounded", () => {
    const inScale = f32(0.0235294);
    const w = Float32Array.of(0.006172, 0.5);
    const b = quantizeBiasInt32(Float32Array.of(0.3, -1.25), inScale, w);
    expect(Array.from(b.scales)).toEqual([f32(inScale * w[0]!), f32(inScale * w[1]!)]);
    expect(Array.from(b.values)).toEqual([
      roundHalfAway(0.3 / b.scales[0]!),
      roundHalfAway(-1.25 / b.scales[1]!),
    ]);
    // Dequantised, each bias is within half a step of the float one.
    expect(Math.abs(b.values[0]! * b.scales[0]! - 0.3)).toBeLessThanOrEqual(b.scales[0]! / 2);
    // A per-tensor weight scale serves every channel.
    const shared = quantizeBiasInt32(Float32Array.of(1, 2, 3), 0.5, Float32Array.of(0.25));
    expect(Array.from(shared.values)).toEqual([8, 16, 24]);
    expect(Array.from(shared.scales)).toEqual([0.125]);
  });

  it("a channel of near-zero weights gets a scale its bias fits int32 with", () => {
    const weights = Float32Array.of(1e-12, -1e-12, 0.5, -0.25); // 2 channels of 2
    const bias = Float32Array.of(40, 0.1);
    const inScale = 1e-3;
    const plain = quantizeInt8PerChannel(weights, [2, 2], 0);
    expect(Math.abs(40 / (inScale * plain.scales[0]!))).toBeGreaterThan(2 ** 31); // would overflow
    const floor = biasSafeWeightScales(bias, inScale, 2);
    const q = quantizeInt8PerChannel(weights, [2, 2], 0, floor);
    const b = quantizeBiasInt32(bias, inScale, q.scales);
    expect(Math.abs(b.values[0]!)).toBeLessThanOrEqual(2 ** 30);
    expect(b.values[0]! * b.scales[0]!).toBeCloseTo(40, 3);
    expect(q.scales[1]).toBe(plain.scales[1]); // a normal channel keeps max|w| / 127
    // [1, n] with axis 0 is one scale for the whole tensor.
    expect(quantizeInt8PerChannel(weights, [1, 4], 0).scales).toEqual(Float32Array.of(0.5 / 127));
  });
});

describe("the calibration sample", () => {
  const images = ["a", "b", "c"].flatMap((label, k) =>
    Array.from({ length: 10 * (k + 1) }, (_, i) => ({
      path: `${label}/${i}.jpg`,
      label,
      sha256: `${label}${i}`,
    })),
  );
  it("takes classes in turn, seeded, up to n", () => {
    const s = calibrationSample(images, 12, 7);
    expect(s.map((i) => i.label)).toEqual("abcabcabcabc".split(""));
    expect(calibrationSample(images, 12, 7)).toEqual(s);
    expect(calibrationSample(images, 12, 8)).not.toEqual(s);
    // A small class runs out, the others fill the sample.
    const all = calibrationSample(images, 45, 7);
    expect(all.filter((i) => i.label === "a")).toHaveLength(10);
    expect(all).toHaveLength(45);
    expect(new Set(all.map((i) => i.path)).size).toBe(45);
    expect(calibrationSample(images, 500, 7)).toHaveLength(60);
  });
});

// conv (RELU6) -> 1x1 conv -> ADD (residual) -> MEAN -> fully connected -> SOFTMAX
const { constant, activation: act } = irTensorMakers(3);
const conv = { kind: "conv", padding: "SAME", strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };

function graph(): IrGraph {
  const tensors: IrTensor[] = [
    act("image", [1, 4, 4, 3]), // 0
    constant("a/filter", [8, 3, 3, 3], 0), // 1
    constant("a/bias", [8]), // 2
    act("a", [1, 4, 4, 8]), // 3
    constant("b/filter", [8, 1, 1, 8], 0), // 4
    constant("b/bias", [8]), // 5
    act("b", [1, 4, 4, 8]), // 6
    act("add", [1, 4, 4, 8]), // 7
    { name: "axes", shape: [2], dtype: "int32", data: Int32Array.from([1, 2]) }, // 8
    act("gap", [1, 8]), // 9
    constant("fc/weights", [3, 8], 0), // 10
    constant("fc/bias", [3]), // 11
    act("logits", [1, 3]), // 12
    act("probabilities", [1, 3]), // 13
  ];
  const op = (o: Partial<IrGraph["ops"][number]>) =>
    ({ options: { kind: "none" }, activation: "NONE", layers: ["x"], ...o }) as IrGraph["ops"][0];
  return {
    tensors,
    ops: [
      op({
        op: "CONV_2D",
        inputs: [0, 1, 2],
        outputs: [3],
        options: conv as never,
        activation: "RELU6",
      }),
      op({ op: "CONV_2D", inputs: [3, 4, 5], outputs: [6], options: conv as never }),
      op({ op: "ADD", inputs: [3, 6], outputs: [7], options: { kind: "add" } }),
      op({ op: "MEAN", inputs: [7, 8], outputs: [9], options: { kind: "mean", keepDims: false } }),
      op({
        op: "FULLY_CONNECTED",
        inputs: [9, 10, 11],
        outputs: [12],
        options: { kind: "fullyConnected" },
      }),
      op({ op: "SOFTMAX", inputs: [12], outputs: [13], options: { kind: "softmax", beta: 1 } }),
    ],
    input: 0,
    probabilities: 13,
    logits: 12,
  };
}

const calibration: Calibration = {
  images: 20,
  ranges: new Map([
    [0, { min: -1, max: 1 }],
    [3, { min: 0, max: 6 }],
    [6, { min: -0.4, max: 0.3 }],
    [7, { min: -0.2, max: 6.1 }],
    [9, { min: 0.1, max: 2.5 }],
    [12, { min: -4, max: 5 }],
    [13, { min: 0, max: 1 }],
  ]),
};

describe("int8_full encoding", () => {
  it("int8 activations and weights, int32 biases, float I/O behind QUANTIZE and DEQUANTIZE", () => {
    const g = graph();
    const e = encodeVariant(g, "int8_full", calibration);
    expect(e.ops.map((o) => o.op)).toEqual([
      "QUANTIZE",
      "CONV_2D",
      "CONV_2D",
      "ADD",
      "MEAN",
      "FULLY_CONNECTED",
      "SOFTMAX",
      "DEQUANTIZE",
      "DEQUANTIZE",
    ]);
    // The signature's tensors stay float32 at their indices; the ops read their int8 twins.
    for (const i of [0, 12, 13]) expect(e.tensors[i]!.type).toBe(TensorType.FLOAT32);
    expect(e.ops[0]!.inputs).toEqual([0]);
    expect(e.ops.at(-2)!.outputs).toEqual([12]);
    expect(e.ops.at(-1)!.outputs).toEqual([13]);
    const q = (i: number) => e.tensors[i]!.quantization!;
    const image = e.ops[0]!.outputs[0]!;
    expect(e.tensors[image]!.type).toBe(TensorType.INT8);
    expect(q(image)).toEqual({ scales: Float32Array.of(2 / 255), zeroPoints: [-1], axis: 0 });
    for (const o of e.ops.slice(1, -2))
      expect(e.tensors[o.outputs[0]!]!.type, `${o.op} output`).toBe(TensorType.INT8);
    expect(q(3)).toEqual({ scales: Float32Array.of(6 / 255), zeroPoints: [-128], axis: 0 });
    // SOFTMAX's output is the spec's, whatever was calibrated.
    const probs = e.ops[6]!.outputs[0]!;
    expect(q(probs)).toEqual({ scales: Float32Array.of(1 / 256), zeroPoints: [-128], axis: 0 });
    // Weights per channel, symmetric; bias int32 at in_scale * w_scale[c].
    for (const [opIdx, w, b, channels] of [
      [1, 1, 2, 8],
      [2, 4, 5, 8],
      [5, 10, 11, 3],
    ] as const) {
      const inScale = q(e.ops[opIdx]!.inputs[0]!).scales[0]!;
      expect(e.tensors[w]!.type).toBe(TensorType.INT8);
      expect(q(w).scales).toHaveLength(channels);
      expect(q(w).zeroPoints).toEqual(new Array(channels).fill(0));
      expect(e.tensors[b]!.type).toBe(TensorType.INT32);
      expect(Array.from(q(b).scales)).toEqual(Array.from(q(w).scales, (s) => f32(inScale * s)));
      const bias = new Int32Array(e.tensors[b]!.bytes!.slice().buffer);
      const float = g.tensors[b]!.data as Float32Array;
      bias.forEach((v, c) =>
        expect(Math.abs(v * q(b).scales[c]! - float[c]!)).toBeLessThanOrEqual(q(b).scales[c]! / 2),
      );
    }
    expect(e.tensors[8]!.type).toBe(TensorType.INT32); // MEAN's axes stay as they are
    expect(operatorCodes(e.ops, e.tensors)).toEqual([
      { op: "QUANTIZE", version: 1 },
      { op: "CONV_2D", version: 3 },
      { op: "ADD", version: 2 },
      { op: "MEAN", version: 2 },
      { op: "FULLY_CONNECTED", version: 4 },
      { op: "SOFTMAX", version: 2 },
      { op: "DEQUANTIZE", version: 2 },
    ]);
    // The IR is not touched: float32 weights for the other variants.
    expect(g.tensors[1]!.data).toBeInstanceOf(Float32Array);
    expect(encodeVariant(g, "float32").tensors[1]!.type).toBe(TensorType.FLOAT32);
  });

  it("refuses to encode without calibration or with an activation it has no range for", () => {
    expect(() => encodeVariant(graph(), "int8_full")).toThrow(/needs the activation ranges/);
    const partial: Calibration = { images: 1, ranges: new Map(calibration.ranges) };
    partial.ranges.delete(6);
    expect(() => encodeVariant(graph(), "int8_full", partial)).toThrow(
      /tensor 6 "b" \(CONV_2D output\) has no calibrated range/,
    );
  });
});

describe("the policy's int8_full gates", () => {
  it("default to 98% agreement and a 1-point accuracy drop, judged on the shipped file's numbers", () => {
    const policy = ConfigSchema.parse({}).policy;
    expect(policy.tflite).toMatchObject({
      int8_full_min_argmax_agreement: 0.98,
      int8_full_max_accuracy_drop: 0.01,
    });
    const verdicts = (argmax_agreement: number, accuracy: number) =>
      Object.fromEntries(
        tfliteVerdicts(
          { variant: "int8_full", bytes: 611_388, argmax_agreement, accuracy },
          0.97,
          policy,
        ).map((v) => [v.check, v.passed]),
      );
    expect(verdicts(0.99, 0.9667)).toEqual({
      "tflite.int8_full.max_bytes": true,
      "tflite.int8_full.argmax_agreement": true,
      "tflite.int8_full.accuracy_drop": true,
    });
    expect(verdicts(0.975, 0.955)).toMatchObject({
      "tflite.int8_full.argmax_agreement": false,
      "tflite.int8_full.accuracy_drop": false,
    });
    expect(
      ConfigSchema.parse({ policy: { tflite: { ship: "int8_full" } } }).policy.tflite.ship,
    ).toBe("int8_full");
  });
});
