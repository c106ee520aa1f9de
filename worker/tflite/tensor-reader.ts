/**
 * Reads back the graph of a written .tflite: each tensor's name, shape, type, buffer size
 * and quantisation, and each operator's kind, version and tensors. What a file claims to
 * be (an int8_full file: int8 activations, int32 biases, float32 I/O) can so be checked on
 * the bytes themselves, not on the writer's intentions. Bounds-checked like reader.ts.
 */
import { FlatReader } from "./fb-reader.ts";
import { InvalidTfliteError } from "./reader.ts";
import { BuiltinOperator, type OpName, Slot, TensorType } from "./schema.ts";

/** One tensor of the file's subgraph. */
export interface TensorInfo {
  name: string;
  shape: number[];
  /** TensorType name (FLOAT32, INT8, ...). */
  type: keyof typeof TensorType | `type ${number}`;
  /** Bytes of constant data; 0 for an activation. */
  bytes: number;
  quantization?: { scales: number[]; zeroPoints: number[]; axis: number };
}

/** One operator of the file's subgraph. */
export interface OperatorInfo {
  op: OpName | `builtin ${number}`;
  version: number;
  inputs: number[];
  outputs: number[];
}

/** The first subgraph of a .tflite as written. */
export interface TfliteGraphInfo {
  tensors: TensorInfo[];
  operators: OperatorInfo[];
  inputs: number[];
  outputs: number[];
}

const TYPE_NAMES = new Map(Object.entries(TensorType).map(([k, v]) => [v as number, k]));
const OP_NAMES = new Map(Object.entries(BuiltinOperator).map(([k, v]) => [v as number, k]));

/** Reads the tensors and operators of the first subgraph; throws `InvalidTfliteError`. */
export function readTfliteGraph(bytes: Uint8Array): TfliteGraphInfo {
  const r = new FlatReader(bytes, (what) => {
    throw new InvalidTfliteError(what, bytes.length);
  });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ints = (table: number, slot: number, what: string) => {
    const { start, length } = r.vector(table, slot, 4, what);
    return Array.from({ length }, (_, i) => dv.getInt32(start + 4 * i, true));
  };
  const longs = (table: number, slot: number, what: string) => {
    const { start, length } = r.vector(table, slot, 8, what);
    return Array.from({ length }, (_, i) => Number(dv.getBigInt64(start + 8 * i, true)));
  };
  const root = r.root();
  const M = Slot.Model;
  const buffers = r
    .tables(root, M.buffers, "Model.buffers")
    .map((b, i) => r.vector(b, Slot.Buffer.data, 1, `Model.buffers[${i}].data`).length);
  const codes = r.tables(root, M.operator_codes, "Model.operator_codes").map((c) => {
    const O = Slot.OperatorCode;
    const code = Math.max(
      r.byte(c, O.deprecated_builtin_code, "OperatorCode.deprecated_builtin_code"),
      r.uint(c, O.builtin_code, "OperatorCode.builtin_code"),
    );
    return {
      op: (OP_NAMES.get(code) ?? `builtin ${code}`) as OperatorInfo["op"],
      version: r.uint(c, O.version, "OperatorCode.version", 1),
    };
  });
  const g = r.tables(root, M.subgraphs, "Model.subgraphs")[0];
  if (g === undefined) throw new InvalidTfliteError("it has no subgraph", bytes.length);
  const S = Slot.SubGraph;
  const T = Slot.Tensor;
  const Q = Slot.QuantizationParameters;
  const tensors = r.tables(g, S.tensors, "SubGraph.tensors").map((t, i): TensorInfo => {
    const what = `SubGraph.tensors[${i}]`;
    const type = r.byte(t, T.type, `${what}.type`);
    const q = r.table(t, T.quantization, `${what}.quantization`);
    const scales = q === undefined ? [] : r.floats(q, Q.scale, `${what}.quantization.scale`);
    return {
      name: r.string(t, T.name, `${what}.name`),
      shape: ints(t, T.shape, `${what}.shape`),
      type: (TYPE_NAMES.get(type) ?? `type ${type}`) as TensorInfo["type"],
      bytes: buffers[r.uint(t, T.buffer, `${what}.buffer`)] ?? 0,
      ...(q !== undefined && scales.length
        ? {
            quantization: {
              scales,
              zeroPoints: longs(q, Q.zero_point, `${what}.quantization.zero_point`),
              axis: r.uint(q, Q.quantized_dimension, `${what}.quantization.quantized_dimension`),
            },
          }
        : {}),
    };
  });
  const O = Slot.Operator;
  const operators = r.tables(g, S.operators, "SubGraph.operators").map((o, i) => {
    const what = `SubGraph.operators[${i}]`;
    const code = codes[r.uint(o, O.opcode_index, `${what}.opcode_index`)];
    if (!code) throw new InvalidTfliteError(`${what} names a missing operator code`, bytes.length);
    return {
      ...code,
      inputs: ints(o, O.inputs, `${what}.inputs`),
      outputs: ints(o, O.outputs, `${what}.outputs`),
    };
  });
  return {
    tensors,
    operators,
    inputs: ints(g, S.inputs, "SubGraph.inputs"),
    outputs: ints(g, S.outputs, "SubGraph.outputs"),
  };
}

/**
 * Why a file is not full-integer (empty when it is): any float tensor besides the
 * signature's inputs and outputs, or an op other than QUANTIZE / DEQUANTIZE touching those.
 * An NPU delegate takes only the int8 ops, so such a file would run partly on the CPU.
 */
export function fullIntegerProblems(bytes: Uint8Array): string[] {
  const g = readTfliteGraph(bytes);
  const io = new Set([...g.inputs, ...g.outputs]);
  const floats = g.tensors
    .filter((t, i) => !io.has(i) && (t.type === "FLOAT32" || t.type === "FLOAT16"))
    .map((t) => t.name);
  const problems = floats.length
    ? [`${floats.length} float tensors inside the graph (${floats.slice(0, 3).join(", ")})`]
    : [];
  for (const o of g.operators)
    if (
      o.op !== "QUANTIZE" &&
      o.op !== "DEQUANTIZE" &&
      [...o.inputs, ...o.outputs].some((i) => io.has(i))
    )
      problems.push(`${o.op} reads or writes a float32 input or output directly`);
  return problems;
}
