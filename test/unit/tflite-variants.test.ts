import { describe, expect, it } from "vitest";
import type { IrGraph, IrTensor } from "../../worker/tflite/ir.ts";
import { operatorCodes } from "../../worker/tflite/op-version.ts";
import { fromFloat16Bits } from "../../worker/tflite/quantize.ts";
import { TensorType } from "../../worker/tflite/schema.ts";
import {
  encodeVariant,
  INT8_MIN_WEIGHT_ELEMENTS,
  type EncodedGraph,
} from "../../worker/tflite/variants.ts";
import { irTensorMakers } from "../helpers/ir-fixtures.ts";

// A small graph in the writer's IR: a 96-element 1x1 conv, a depthwise, a 512-element 1x1
// conv, MEAN and a 640-element fully connected head. The int8 threshold (400) falls
// between them, so one graph shows both of the int8 variant's encodings.
const { constant, activation } = irTensorMakers(1);

function graph(): IrGraph {
  const t: IrTensor[] = [
    activation("image", [1, 4, 4, 3]), // 0
    constant("a/filter", [32, 1, 1, 3], 0), // 1: 96 values
    constant("a/bias", [32]), // 2
    activation("a", [1, 4, 4, 32]), // 3
    constant("dw/filter", [1, 3, 3, 32], 3), // 4
    constant("dw/bias", [32]), // 5
    activation("dw", [1, 4, 4, 32]), // 6
    constant("b/filter", [16, 1, 1, 32], 0), // 7: 512 values
    constant("b/bias", [16]), // 8
    activation("b", [1, 4, 4, 16]), // 9
    { name: "axes", shape: [2], dtype: "int32", data: Int32Array.from([1, 2]) }, // 10
    activation("gap", [1, 16]), // 11
    constant("fc/weights", [40, 16], 0), // 12: 640 values
    constant("fc/bias", [40]), // 13
    activation("logits", [1, 40]), // 14
    activation("probabilities", [1, 40]), // 15
  ];
  const conv = {
    kind: "conv",
    padding: "SAME",
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
  } as const;
  return {
    tensors: t,
    ops: [
      {
        op: "CONV_2D",
        inputs: [0, 1, 2],
        outputs: [3],
        options: conv,
        activation: "RELU6",
        layers: ["a"],
      },
      {
        op: "DEPTHWISE_CONV_2D",
        inputs: [3, 4, 5],
        outputs: [6],
        options: { ...conv, kind: "depthwise", depthMultiplier: 1 },
        activation: "RELU6",
        layers: ["dw"],
      },
      {
        op: "CONV_2D",
        inputs: [6, 7, 8],
        outputs: [9],
        options: conv,
        activation: "NONE",
        layers: ["b"],
      },
      {
        op: "MEAN",
        inputs: [9, 10],
        outputs: [11],
        options: { kind: "mean", keepDims: false },
        activation: "NONE",
        layers: ["gap"],
      },
      {
        op: "FULLY_CONNECTED",
        inputs: [11, 12, 13],
        outputs: [14],
        options: { kind: "fullyConnected" },
        activation: "NONE",
        layers: ["fc"],
      },
      {
        op: "SOFTMAX",
        inputs: [14],
        outputs: [15],
        options: { kind: "softmax", beta: 1 },
        activation: "NONE",
        layers: ["fc"],
      },
    ],
    input: 0,
    probabilities: 15,
    logits: 14,
  };
}

/** The constant behind input `k` of the op named `layer`, through a DEQUANTIZE if there is one. */
function constantOf(e: EncodedGraph, layer: string, k: number) {
  const op = e.ops.find((o) => o.op !== "DEQUANTIZE" && e.tensors[o.outputs[0]!]!.name === layer)!;
  const idx = op.inputs[k]!;
  const deq = e.ops.find((o) => o.op === "DEQUANTIZE" && o.outputs[0] === idx);
  return { op, deq, tensor: e.tensors[deq ? deq.inputs[0]! : idx]! };
}

const halfValues = (bytes: Uint8Array) =>
  Array.from(new Uint16Array(bytes.slice().buffer), (h) => fromFloat16Bits(h));

describe("the variants' encodings, in the forms XNNPACK takes whole", () => {
  it("float16: every filter and every bias is a FLOAT16 constant behind its own DEQUANTIZE (version 3), all DEQUANTIZE first", () => {
    const g = graph();
    const e = encodeVariant(g, "float16");
    for (const layer of ["a", "dw", "b", "logits"])
      for (const k of [1, 2]) {
        const { deq, tensor } = constantOf(e, layer, k);
        expect(deq, `${layer} input ${k}`).toBeDefined();
        expect(tensor.type).toBe(TensorType.FLOAT16);
        const original =
          g.tensors[g.ops.find((o) => g.tensors[o.outputs[0]!]!.name === layer)!.inputs[k]!]!;
        halfValues(tensor.bytes!).forEach((v, i) =>
          expect(Math.abs(v - original.data![i]!)).toBeLessThanOrEqual(2 ** -12),
        );
      }
    expect(e.ops.slice(0, 8).every((o) => o.op === "DEQUANTIZE")).toBe(true);
    expect(e.ops.filter((o) => o.op === "DEQUANTIZE")).toHaveLength(8);
    expect(operatorCodes(e.ops, e.tensors)).toEqual([
      { op: "DEQUANTIZE", version: 3 },
      { op: "CONV_2D", version: 1 },
      { op: "DEPTHWISE_CONV_2D", version: 1 },
      { op: "MEAN", version: 1 },
      { op: "FULLY_CONNECTED", version: 1 },
      { op: "SOFTMAX", version: 1 },
    ]);
  });

  it(`int8: conv and FC weights of ${INT8_MIN_WEIGHT_ELEMENTS}+ values per-channel INT8 with float32 biases, the rest float16; converter op versions`, () => {
    const e = encodeVariant(graph(), "int8");
    for (const layer of ["b", "logits"]) {
      const w = constantOf(e, layer, 1);
      expect(w.deq).toBeUndefined();
      expect(w.tensor.type).toBe(TensorType.INT8);
      expect(w.tensor.quantization!.axis).toBe(0);
      expect(w.tensor.quantization!.scales.length).toBe(w.tensor.shape[0]);
      expect(new Set(w.tensor.quantization!.zeroPoints)).toEqual(new Set([0]));
      const bias = constantOf(e, layer, 2);
      expect([bias.deq, bias.tensor.type]).toEqual([undefined, TensorType.FLOAT32]);
    }
    for (const layer of ["a", "dw"])
      for (const k of [1, 2]) expect(constantOf(e, layer, k).tensor.type).toBe(TensorType.FLOAT16);
    expect(constantOf(e, "logits", 1).op.options).toEqual({
      kind: "fullyConnected",
      asymmetricQuantizeInputs: true,
    });
    expect(operatorCodes(e.ops, e.tensors)).toEqual([
      { op: "DEQUANTIZE", version: 3 },
      { op: "CONV_2D", version: 5 },
      { op: "DEPTHWISE_CONV_2D", version: 1 },
      { op: "MEAN", version: 1 },
      { op: "FULLY_CONNECTED", version: 12 },
      { op: "SOFTMAX", version: 1 },
    ]);
  });

  it("float32 leaves every constant float32 at version 1, and encoding never changes the graph", () => {
    const g = graph();
    encodeVariant(g, "int8");
    encodeVariant(g, "float16");
    expect(g.ops[4]!.options).toEqual({ kind: "fullyConnected" });
    expect(g.ops[0]!.inputs).toEqual([0, 1, 2]);
    const e = encodeVariant(g, "float32");
    expect(e.ops.map((o) => o.op)).toEqual(g.ops.map((o) => o.op));
    expect(new Set(e.tensors.map((t) => t.type))).toEqual(
      new Set([TensorType.FLOAT32, TensorType.INT32]),
    );
    expect(new Set(operatorCodes(e.ops, e.tensors).map((c) => c.version))).toEqual(new Set([1]));
  });
});
