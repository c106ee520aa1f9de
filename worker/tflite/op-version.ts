/**
 * Operator versions, assigned by the rules of TensorFlow Lite's converter
 * (tensorflow/lite/tools/versioning/op_version.cc) for the ops and tensor types this writer
 * emits: a hybrid conv (float32 input, per-channel int8 filter) is CONV_2D version 5, a
 * hybrid per-channel FULLY_CONNECTED version 12, a DEQUANTIZE of float16 version 3; with
 * int8 input, weights and output (the full-integer variant) CONV_2D and DEPTHWISE_CONV_2D
 * are version 3, FULLY_CONNECTED 4, ADD, MEAN, SOFTMAX, RELU and RELU6 2, a per-tensor
 * QUANTIZE to int8 1 and a DEQUANTIZE from it 2. A
 * runtime too old for a version refuses the file when it loads, instead of running a kernel
 * that misreads the weights. One operator code per op, at the largest version its uses need,
 * as the converter writes them.
 */
import type { OpName } from "./schema.ts";
import { TensorType } from "./schema.ts";
import type { FlatOp, FlatTensor } from "./variants.ts";

const perChannel = (t: FlatTensor | undefined): boolean => {
  const q = t?.quantization;
  return q !== undefined && q.scales.length > 1 && q.scales.length === t!.shape[q.axis];
};

/** The version one op needs. */
export function opVersion(op: FlatOp, tensors: readonly FlatTensor[]): number {
  const input = (i: number) => tensors[op.inputs[i]!];
  const hybrid = input(0)?.type === TensorType.FLOAT32 && input(1)?.type === TensorType.INT8;
  const int8 =
    input(0)?.type === TensorType.INT8 && tensors[op.outputs[0]!]?.type === TensorType.INT8;
  const o = op.options;
  switch (op.op) {
    case "CONV_2D":
      if (int8 && input(1)?.type === TensorType.INT8) return 3;
      return hybrid ? (perChannel(input(1)) ? 5 : 2) : 1;
    case "DEPTHWISE_CONV_2D":
      if (int8 && input(1)?.type === TensorType.INT8) return 3;
      if (hybrid) return perChannel(input(1)) ? 6 : 4;
      return o.kind === "depthwise" && (o.dilationH !== 1 || o.dilationW !== 1) ? 2 : 1;
    case "FULLY_CONNECTED":
      if (hybrid) {
        if (perChannel(input(1))) return 12;
        return o.kind === "fullyConnected" && o.asymmetricQuantizeInputs ? 9 : 3;
      }
      return int8 && input(1)?.type === TensorType.INT8 ? 4 : 1;
    case "ADD":
    case "MEAN":
    case "SOFTMAX":
    case "RELU":
    case "RELU6":
      return input(0)?.type === TensorType.INT8 ? 2 : 1;
    case "DEQUANTIZE": {
      const t = input(0)?.type;
      if (t === TensorType.FLOAT16) return 3;
      if (t === TensorType.INT8) return perChannel(input(0)) ? 5 : 2;
      return 1;
    }
    default:
      return 1;
  }
}

/** Each op kind of the graph, in first-use order, with the version its operator code gets. */
export function operatorCodes(
  ops: readonly FlatOp[],
  tensors: readonly FlatTensor[],
): { op: OpName; version: number }[] {
  const codes = new Map<OpName, number>();
  for (const o of ops) codes.set(o.op, Math.max(codes.get(o.op) ?? 1, opVersion(o, tensors)));
  return [...codes].map(([op, version]) => ({ op, version }));
}
