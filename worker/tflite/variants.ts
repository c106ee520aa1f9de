/**
 * The three file variants as rewrites of the graph's weights:
 * - float32: every constant as float32;
 * - float16: conv, depthwise and fully-connected weights stored as FLOAT16, each read
 *   through a DEQUANTIZE op into float32 (the layout TF's own float16 converter writes);
 *   biases stay float32 (tiny, and bias precision matters more than its size);
 * - int8: CONV_2D and FULLY_CONNECTED weights as per-channel symmetric INT8 along the
 *   output-channel axis 0 with float32 activations: the runtime picks its hybrid
 *   ("dynamic range") kernels. Depthwise filters stay float32: they are ~6% of MobileNetV2
 *   0.35's weights, and LiteRT runs int8 depthwise (quantized_dimension 3) on its slow
 *   reference kernel instead of XNNPACK: measured 9 -> 32 ms per 96 px image for 38 KB saved.
 */
import type { IrGraph, IrOp, IrTensor } from "./ir.ts";
import { quantizeInt8PerChannel, toFloat16 } from "./quantize.ts";
import { TensorType, type OpName } from "./schema.ts";

/** A weight encoding of the written file. */
export type TfliteVariant = "float32" | "float16" | "int8";
/** All variants, float32 first. */
export const TFLITE_VARIANTS: readonly TfliteVariant[] = ["float32", "float16", "int8"];

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

const bytesOf = (a: Float32Array | Int32Array | Uint16Array | Int8Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const plain = (t: IrTensor): FlatTensor => ({
  name: t.name,
  shape: t.shape,
  type: t.dtype === "int32" ? TensorType.INT32 : TensorType.FLOAT32,
  ...(t.data ? { bytes: bytesOf(t.data) } : {}),
});

/** Encodes the graph's constants for `variant`. */
export function encodeVariant(graph: IrGraph, variant: TfliteVariant): EncodedGraph {
  const tensors = graph.tensors.map(plain);
  const ops: FlatOp[] = graph.ops.map((o) => ({ ...o, inputs: [...o.inputs] }));
  if (variant === "float32") return { tensors, ops };
  const weightOps = new Set<OpName>(
    variant === "int8"
      ? ["CONV_2D", "FULLY_CONNECTED"]
      : ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"],
  );
  const dequantize: FlatOp[] = [];
  for (const op of ops) {
    if (!weightOps.has(op.op)) continue;
    const wi = op.inputs[1]!;
    const w = graph.tensors[wi]!;
    if (!w.data || w.channelAxis === undefined) continue;
    if (variant === "int8") {
      const q = quantizeInt8PerChannel(w.data as Float32Array, w.shape, w.channelAxis);
      tensors[wi] = {
        name: w.name,
        shape: w.shape,
        type: TensorType.INT8,
        bytes: bytesOf(q.values),
        quantization: {
          scales: q.scales,
          zeroPoints: new Array<number>(q.scales.length).fill(0),
          axis: w.channelAxis,
        },
      };
    } else {
      tensors[wi] = {
        name: `${w.name}/float16`,
        shape: w.shape,
        type: TensorType.FLOAT16,
        bytes: bytesOf(toFloat16(w.data as Float32Array)),
      };
      const deq = tensors.push({ name: w.name, shape: w.shape, type: TensorType.FLOAT32 }) - 1;
      dequantize.push({
        op: "DEQUANTIZE",
        inputs: [wi],
        outputs: [deq],
        options: { kind: "none" },
        activation: "NONE",
      });
      op.inputs[1] = deq;
    }
  }
  // Dequantize first: every weight is ready before the op that reads it runs.
  return { tensors, ops: [...dequantize, ...ops] };
}
