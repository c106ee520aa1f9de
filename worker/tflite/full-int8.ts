/**
 * The full-integer variant (`int8_full`): every activation int8 and every op an int8
 * kernel, the form NPU delegates (NNAPI, Edge TPU, Hexagon, Ethos-U) take whole, following
 * TFLite's 8-bit quantization spec:
 * - activations: per-tensor asymmetric int8, scale and zero point from the calibrated
 *   float range (calibrate.ts), so a fused ReLU6 is simply the range [0, 6] or less;
 * - weights: per-channel symmetric int8 (zero point 0), `quantized_dimension` 0 for
 *   CONV_2D and FULLY_CONNECTED, 3 for DEPTHWISE_CONV_2D, as TF 2.21's converter writes
 *   them (the spec allows FULLY_CONNECTED per-tensor too);
 * - biases: int32, scale in_scale * w_scale[c], zero point 0;
 * - ADD and MEAN requantise between their own input and output scales;
 * - SOFTMAX: output scale 1/256, zero point -128 (the spec's fixed value).
 * The file keeps float32 I/O so the app's code does not change: a QUANTIZE turns the float
 * image into int8 first, and a DEQUANTIZE each turns the int8 probabilities and logits
 * back into the float32 outputs the signature names.
 */
import type { Calibration } from "./calibrate.ts";
import type { IrGraph } from "./ir.ts";
import {
  asymmetricInt8,
  biasSafeWeightScales,
  quantizeBiasInt32,
  quantizeInt8PerChannel,
  SOFTMAX_INT8_OUTPUT,
  type AffineParams,
} from "./quantize.ts";
import { TensorType } from "./schema.ts";
import type { EncodedGraph, FlatOp, FlatTensor } from "./variants.ts";

const bytesOf = (a: Int32Array | Int8Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const perTensor = (p: AffineParams): FlatTensor["quantization"] => ({
  scales: Float32Array.of(p.scale),
  zeroPoints: [p.zeroPoint],
  axis: 0,
});

/** Encodes the graph as a full-integer file from its calibrated activation ranges. */
export function encodeFullInt8(graph: IrGraph, calibration: Calibration): EncodedGraph {
  const tensors: FlatTensor[] = graph.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    type: t.dtype === "int32" ? TensorType.INT32 : TensorType.FLOAT32,
    ...(t.data
      ? { bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }
      : {}),
  }));
  const params = activationParams(graph, calibration);
  // The float I/O tensors keep their indices (the signature's); their int8 twins are new.
  const twin = new Map<number, number>();
  for (const idx of [graph.input, graph.logits, graph.probabilities]) {
    const t = graph.tensors[idx]!;
    twin.set(
      idx,
      tensors.push({
        name: `${t.name}_int8`,
        shape: t.shape,
        type: TensorType.INT8,
        quantization: perTensor(params.get(idx)!),
      }) - 1,
    );
  }
  params.forEach((p, idx) => {
    if (twin.has(idx)) return;
    tensors[idx] = { ...tensors[idx]!, type: TensorType.INT8, quantization: perTensor(p) };
  });
  const remap = (i: number) => twin.get(i) ?? i;
  const ops: FlatOp[] = graph.ops.map((o) => ({
    op: o.op,
    inputs: o.inputs.map(remap),
    outputs: o.outputs.map(remap),
    options: { ...o.options },
    activation: o.activation,
  }));
  for (const op of ops) quantizeWeighted(graph, tensors, op);
  const convert = (op: "QUANTIZE" | "DEQUANTIZE", from: number, to: number): FlatOp => ({
    op,
    inputs: [from],
    outputs: [to],
    options: { kind: "none" },
    activation: "NONE",
  });
  return {
    tensors,
    ops: [
      convert("QUANTIZE", graph.input, twin.get(graph.input)!),
      ...ops,
      convert("DEQUANTIZE", twin.get(graph.logits)!, graph.logits),
      convert("DEQUANTIZE", twin.get(graph.probabilities)!, graph.probabilities),
    ],
  };
}

/** Every activation's int8 parameters; SOFTMAX outputs get the spec's fixed ones. */
function activationParams(graph: IrGraph, calibration: Calibration): Map<number, AffineParams> {
  const params = new Map<number, AffineParams>();
  const fromRange = (idx: number, why: string) => {
    const r = calibration.ranges.get(idx);
    if (!r)
      throw new Error(
        `tensor ${idx} "${graph.tensors[idx]!.name}" (${why}) has no calibrated range: calibrate this graph (calibrateGraph) before writing int8_full`,
      );
    return asymmetricInt8(r.min, r.max);
  };
  params.set(graph.input, fromRange(graph.input, "the image input"));
  for (const op of graph.ops) {
    const out = op.outputs[0]!;
    params.set(
      out,
      op.op === "SOFTMAX" ? { ...SOFTMAX_INT8_OUTPUT } : fromRange(out, `${op.op} output`),
    );
  }
  return params;
}

/**
 * Constant weights as a per-channel symmetric int8 tensor (zero point 0 on `axis`), as both
 * int8 variants write them; `minScales` widens a channel's scale (see biasSafeWeightScales).
 */
export function int8WeightTensor(
  name: string,
  data: Float32Array,
  shape: number[],
  axis: number,
  minScales?: Float32Array,
): { tensor: FlatTensor; scales: Float32Array } {
  const q = quantizeInt8PerChannel(data, shape, axis, minScales);
  const tensor: FlatTensor = {
    name,
    shape,
    type: TensorType.INT8,
    bytes: bytesOf(q.values),
    quantization: {
      scales: q.scales,
      zeroPoints: new Array<number>(q.scales.length).fill(0),
      axis,
    },
  };
  return { tensor, scales: q.scales };
}

/** Int8 weights and an int32 bias for a conv, depthwise or fully connected op, in place. */
function quantizeWeighted(graph: IrGraph, tensors: FlatTensor[], op: FlatOp): void {
  if (op.op !== "CONV_2D" && op.op !== "DEPTHWISE_CONV_2D" && op.op !== "FULLY_CONNECTED") return;
  const [xi, wi, bi] = op.inputs as [number, number, number];
  const w = graph.tensors[wi]!;
  const b = graph.tensors[bi]!;
  const inScale = tensors[xi]!.quantization?.scales[0];
  if (!(w.data instanceof Float32Array) || !(b.data instanceof Float32Array) || !inScale)
    throw new Error(
      `cannot write ${op.op} "${w.name}" as int8: it needs float32 constant weights and bias and an int8 input`,
    );
  const axis = w.channelAxis;
  if (axis === undefined)
    throw new Error(`cannot write ${op.op} "${w.name}" per channel: it has no channel axis`);
  const floor = biasSafeWeightScales(b.data, inScale, w.shape[axis]!);
  const q = int8WeightTensor(w.name, w.data, w.shape, axis, floor);
  tensors[wi] = q.tensor;
  const bias = quantizeBiasInt32(b.data, inScale, q.scales);
  tensors[bi] = {
    name: b.name,
    shape: b.shape,
    type: TensorType.INT32,
    bytes: bytesOf(bias.values),
    quantization: {
      scales: bias.scales,
      zeroPoints: new Array<number>(bias.scales.length).fill(0),
      axis: 0,
    },
  };
}
