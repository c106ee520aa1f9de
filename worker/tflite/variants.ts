/**
 * The three file variants as rewrites of the graph's constants, each in the form that
 * XNNPACK (the CPU delegate of TFLite, LiteRT and Android) takes whole:
 * - float32: every constant as float32;
 * - float16: the weights AND biases of every conv, depthwise and fully-connected op stored
 *   as FLOAT16, each read through its own DEQUANTIZE into float32, as TF's converter writes
 *   them. XNNPACK folds DEQUANTIZE(float16 constant) at load and runs float32 kernels, but
 *   only for an op whose filter and bias are both folded: a float16 filter beside a float32
 *   bias left every conv on TFLite's slower builtin kernels (measured: 3x float32's latency);
 * - int8 (dynamic range): CONV_2D and FULLY_CONNECTED weights of at least
 *   `INT8_MIN_WEIGHT_ELEMENTS` values as per-channel symmetric INT8 (axis 0, zero point 0)
 *   with float32 biases and activations; XNNPACK runs them on its dynamically quantised int8
 *   kernels. The other weighted ops (every depthwise, the smallest convs) get float16
 *   filters and biases as above: XNNPACK takes no int8 depthwise filter (the op falls
 *   back to TFLite's hybrid kernel and splits the graph: 1.3x slower), and quantising
 *   MobileNetV2's 384-element 1x1 convs made the whole file 1.7x slower (their int8
 *   kernels cost more than they save at 48x48 and 24x24 activations); float16 halves
 *   them at no cost;
 * - int8_full: int8 weights AND activations, int32 biases, float32 I/O through QUANTIZE and
 *   DEQUANTIZE, calibrated on training images (full-int8.ts), for NPU delegates.
 */
import type { Calibration } from "./calibrate.ts";
import { encodeFullInt8, int8WeightTensor } from "./full-int8.ts";
import type { IrGraph, IrOp, IrTensor } from "./ir.ts";
import { toFloat16 } from "./quantize.ts";
import { TensorType } from "./schema.ts";

/** A weight (and, for int8_full, activation) encoding of the written file. */
export type TfliteVariant = "float32" | "float16" | "int8" | "int8_full";
/** All variants, float32 first. */
export const TFLITE_VARIANTS: readonly TfliteVariant[] = [
  "float32",
  "float16",
  "int8",
  "int8_full",
];

/**
 * Smallest weight tensor the int8 variant quantises. TF's converter uses 1024; measured on
 * MobileNetV2 0.35 at 96 px in TF's interpreter: 400 is as fast as 1024 and also takes the
 * 432-element stem and the 768-element 1x1 convs; 256 (the 384-element ones too) is 1.7x
 * slower.
 */
export const INT8_MIN_WEIGHT_ELEMENTS = 400;

/** A tensor ready to serialise. */
export interface FlatTensor {
  name: string;
  shape: number[];
  type: number;
  /** Constant bytes (little-endian); absent for activations. */
  bytes?: Uint8Array;
  quantization?: { scales: Float32Array; zeroPoints: number[]; axis: number };
}

/** An op ready to serialise. */
export type FlatOp = Pick<IrOp, "op" | "inputs" | "outputs" | "options" | "activation">;

/** The graph's tensors and ops encoded for one variant. */
export interface EncodedGraph {
  tensors: FlatTensor[];
  ops: FlatOp[];
}

const WEIGHTED = new Set(["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"]);

const bytesOf = (a: Float32Array | Int32Array | Uint16Array | Int8Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const plain = (t: IrTensor): FlatTensor => ({
  name: t.name,
  shape: t.shape,
  type: t.dtype === "int32" ? TensorType.INT32 : TensorType.FLOAT32,
  ...(t.data ? { bytes: bytesOf(t.data) } : {}),
});

/** Encodes the graph's constants for `variant`; int8_full needs the graph's calibration. */
export function encodeVariant(
  graph: IrGraph,
  variant: TfliteVariant,
  calibration?: Calibration,
): EncodedGraph {
  if (variant === "int8_full") {
    if (!calibration)
      throw new Error(
        "the int8_full variant needs the activation ranges of a calibration sample: pass `calibration` (calibrateGraph on training images)",
      );
    return encodeFullInt8(graph, calibration);
  }
  const tensors = graph.tensors.map(plain);
  const ops: FlatOp[] = graph.ops.map((o) => ({
    ...o,
    inputs: [...o.inputs],
    options: { ...o.options },
  }));
  if (variant === "float32") return { tensors, ops };
  const int8 = variant === "int8" ? quantizeWeights(graph, tensors, ops) : new Set<FlatOp>();
  const dequantize: FlatOp[] = [];
  const half = (idx: number): number => {
    const t = graph.tensors[idx]!;
    if (!(t.data instanceof Float32Array)) return idx;
    tensors[idx] = {
      name: `${t.name}/float16`,
      shape: t.shape,
      type: TensorType.FLOAT16,
      bytes: bytesOf(toFloat16(t.data)),
    };
    const out = tensors.push({ name: t.name, shape: t.shape, type: TensorType.FLOAT32 }) - 1;
    dequantize.push({
      op: "DEQUANTIZE",
      inputs: [idx],
      outputs: [out],
      options: { kind: "none" },
      activation: "NONE",
    });
    return out;
  };
  for (const op of ops) {
    if (!WEIGHTED.has(op.op) || int8.has(op)) continue;
    op.inputs[1] = half(op.inputs[1]!);
    op.inputs[2] = half(op.inputs[2]!);
  }
  // Dequantize first: every constant is ready before the op that reads it runs.
  return { tensors, ops: [...dequantize, ...ops] };
}

/** The int8 variant's int8 weights, in place; returns the ops whose weights it quantised. */
function quantizeWeights(graph: IrGraph, tensors: FlatTensor[], ops: FlatOp[]): Set<FlatOp> {
  const done = new Set<FlatOp>();
  for (const op of ops) {
    if (op.op !== "CONV_2D" && op.op !== "FULLY_CONNECTED") continue;
    const wi = op.inputs[1]!;
    const w = graph.tensors[wi]!;
    if (!(w.data instanceof Float32Array) || w.channelAxis === undefined) continue;
    if (w.data.length < INT8_MIN_WEIGHT_ELEMENTS) continue;
    tensors[wi] = int8WeightTensor(w.name, w.data, w.shape, w.channelAxis).tensor;
    if (op.options.kind === "fullyConnected") op.options.asymmetricQuantizeInputs = true;
    done.add(op);
  }
  return done;
}
