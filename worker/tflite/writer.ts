/**
 * Serialises the writer's graph into a .tflite FlatBuffer (root `Model`, identifier TFL3,
 * schema version 3) with the `flatbuffers` Builder; field slots and enum values come from
 * schema.ts. One subgraph, a `serving_default` signature (input "image", outputs
 * "probabilities" and "logits"), buffer 0 empty by convention, constants 16-byte aligned,
 * operator versions as TF's converter assigns them (op-version.ts). Labels and
 * preprocessing go in TFLite Support metadata (`TFLITE_METADATA`) with labels.txt in a ZIP
 * appended to the file, as TFLite Support's MetadataPopulator writes them, and what that
 * standard cannot say in our `mango_mlops_metadata` JSON entry (metadata.ts).
 */
import { Builder } from "flatbuffers";
import type { LayersModel } from "@tensorflow/tfjs-node";
import type { Preprocessing } from "../images.ts";
import {
  alignedByteVector,
  float32Vector,
  int32Vector,
  int64Vector,
  offsetVector,
  table,
  type Offset,
} from "./flatbuffer.ts";
import { modelToGraph, TENSOR_NAMES } from "./graph.ts";
import type { IrGraph } from "./ir.ts";
import {
  buildMetadata,
  buildSupportInfo,
  type CalibrationInfo,
  LABELS_FILE,
  labelsFileBytes,
  METADATA_NAME,
  variantWords,
} from "./metadata.ts";
import { SUPPORT_METADATA_NAME } from "./metadata-schema.ts";
import { operatorCodes } from "./op-version.ts";
import { builtinOptions } from "./options.ts";
import {
  BUFFER_ALIGNMENT,
  BuiltinOperator,
  FILE_IDENTIFIER,
  SCHEMA_VERSION,
  Slot,
} from "./schema.ts";
import { buildSupportMetadata } from "./support-metadata.ts";
import type { Calibration } from "./calibrate.ts";
import { encodeVariant, type TfliteVariant } from "./variants.ts";
import { appendStoredZip } from "./zip.ts";

/** What goes into a file besides the weights. */
export interface WriteTfliteOptions {
  /** Class names; index i is output unit i. */
  labels: string[];
  preprocessing: Preprocessing;
  variant: TfliteVariant;
  /** Facts about the model for the metadata (architecture, version, run id...). */
  model?: Record<string, unknown>;
  /** int8_full: the activation ranges from `calibrateGraph` on training images. */
  calibration?: Calibration;
}

/** Converts a TF.js model to .tflite bytes (see graph.ts for what it can express). */
export function writeTflite(model: LayersModel, opts: WriteTfliteOptions): Uint8Array {
  return writeTfliteGraph(modelToGraph(model), opts);
}

/** Serialises an already-converted graph (lets one conversion serve every variant). */
export function writeTfliteGraph(graph: IrGraph, opts: WriteTfliteOptions): Uint8Array {
  const inShape = graph.tensors[graph.input]!.shape;
  const classes = graph.tensors[graph.probabilities]!.shape.at(-1);
  if (classes !== opts.labels.length)
    throw new Error(
      `the model has ${classes} output classes but ${opts.labels.length} labels were given [${opts.labels.join(", ")}]`,
    );
  const size = opts.preprocessing.inputSize;
  if (inShape[1] !== size || inShape[2] !== size)
    throw new Error(
      `the model's input is ${inShape.slice(1, 3).join("x")} but the preprocessing says ${size}x${size}`,
    );

  const labelsFile = labelsFileBytes(opts.labels);
  const { tensors, ops } = encodeVariant(graph, opts.variant, opts.calibration);
  const b = new Builder(1024 * 1024);
  const buffers: Offset[] = [table(b, Slot.Buffer.count, [])]; // buffer 0: the empty buffer
  const addBuffer = (bytes: Uint8Array): number => {
    const data = alignedByteVector(b, bytes, BUFFER_ALIGNMENT);
    return (
      buffers.push(table(b, Slot.Buffer.count, [{ slot: Slot.Buffer.data, offset: data }])) - 1
    );
  };

  const S = Slot.Tensor;
  const tensorOffsets = tensors.map((t) => {
    const buffer = t.bytes ? addBuffer(t.bytes) : 0;
    const shape = int32Vector(b, t.shape);
    const name = b.createString(t.name);
    let quantization: Offset | undefined;
    if (t.quantization) {
      const Q = Slot.QuantizationParameters;
      const scale = float32Vector(b, t.quantization.scales);
      const zero = int64Vector(b, t.quantization.zeroPoints);
      quantization = table(b, Q.count, [
        { slot: Q.scale, offset: scale },
        { slot: Q.zero_point, offset: zero },
        { slot: Q.quantized_dimension, int32: t.quantization.axis },
      ]);
    }
    return table(b, S.count, [
      { slot: S.shape, offset: shape },
      { slot: S.type, int8: t.type, default: 0 },
      { slot: S.buffer, uint32: buffer, default: 0 },
      { slot: S.name, offset: name },
      quantization === undefined ? undefined : { slot: S.quantization, offset: quantization },
    ]);
  });

  const codes = operatorCodes(ops, tensors);
  const opNames = codes.map((c) => c.op);
  const opcodes = codes.map(({ op, version }) => {
    const code = BuiltinOperator[op];
    const O = Slot.OperatorCode;
    // The code goes in both fields: old readers only know the byte, new ones the int.
    return table(b, O.count, [
      { slot: O.deprecated_builtin_code, int8: code },
      { slot: O.version, int32: version },
      { slot: O.builtin_code, int32: code },
    ]);
  });
  const operators = ops.map((o) => {
    const inputs = int32Vector(b, o.inputs);
    const outputs = int32Vector(b, o.outputs);
    const [optType, options] = builtinOptions(b, o);
    const O = Slot.Operator;
    return table(b, O.count, [
      { slot: O.opcode_index, uint32: opNames.indexOf(o.op) },
      { slot: O.inputs, offset: inputs },
      { slot: O.outputs, offset: outputs },
      optType ? { slot: O.builtin_options_type, uint8: optType } : undefined,
      options === undefined ? undefined : { slot: O.builtin_options, offset: options },
    ]);
  });

  const G = Slot.SubGraph;
  const subgraph = table(b, G.count, [
    { slot: G.tensors, offset: offsetVector(b, tensorOffsets) },
    { slot: G.inputs, offset: int32Vector(b, [graph.input]) },
    { slot: G.outputs, offset: int32Vector(b, [graph.probabilities, graph.logits]) },
    { slot: G.operators, offset: offsetVector(b, operators) },
    { slot: G.name, offset: b.createString("main") },
  ]);

  const tensorMap = (name: string, index: number) => {
    const n = b.createString(name);
    return table(b, Slot.TensorMap.count, [
      { slot: Slot.TensorMap.name, offset: n },
      { slot: Slot.TensorMap.tensor_index, uint32: index },
    ]);
  };
  const D = Slot.SignatureDef;
  const sigIn = offsetVector(b, [tensorMap(TENSOR_NAMES.input, graph.input)]);
  const sigOut = offsetVector(b, [
    tensorMap(TENSOR_NAMES.probabilities, graph.probabilities),
    tensorMap(TENSOR_NAMES.logits, graph.logits),
  ]);
  const sigKey = b.createString("serving_default");
  const signature = table(b, D.count, [
    { slot: D.inputs, offset: sigIn },
    { slot: D.outputs, offset: sigOut },
    { slot: D.signature_key, offset: sigKey },
    { slot: D.subgraph_index, uint32: 0, default: 0 },
  ]);

  const facts = opts.model ?? {};
  const support = buildSupportInfo(opts.labels, opts.preprocessing, opts.variant, facts);
  const calibrated: CalibrationInfo | undefined =
    opts.variant === "int8_full" && opts.calibration
      ? { images: opts.calibration.images, source: "training" }
      : undefined;
  const ours = buildMetadata(opts.preprocessing, opts.variant, facts, calibrated);
  const metadataEntry = (name: string, bytes: Uint8Array) => {
    const buffer = addBuffer(bytes);
    const n = b.createString(name);
    return table(b, Slot.Metadata.count, [
      { slot: Slot.Metadata.name, offset: n },
      { slot: Slot.Metadata.buffer, uint32: buffer },
    ]);
  };
  const metadata = [
    metadataEntry(SUPPORT_METADATA_NAME, buildSupportMetadata(support)),
    metadataEntry(METADATA_NAME, new TextEncoder().encode(JSON.stringify(ours))),
  ];

  const description = b.createString(
    `mango-mlops ripeness classifier (${variantWords(opts.variant)}${calibrated ? `, calibrated on ${calibrated.images} training images` : ""}, input [${inShape.join(", ")}] scaled to ${opts.preprocessing.scale}, ${opts.labels.length} classes)`,
  );
  const M = Slot.Model;
  const root = table(b, M.count, [
    { slot: M.version, uint32: SCHEMA_VERSION },
    { slot: M.operator_codes, offset: offsetVector(b, opcodes) },
    { slot: M.subgraphs, offset: offsetVector(b, [subgraph]) },
    { slot: M.description, offset: description },
    { slot: M.buffers, offset: offsetVector(b, buffers) },
    { slot: M.metadata, offset: offsetVector(b, metadata) },
    { slot: M.signature_defs, offset: offsetVector(b, [signature]) },
  ]);
  b.finish(root, FILE_IDENTIFIER);
  // appendStoredZip copies: the builder's buffer is larger and reused.
  return appendStoredZip(b.asUint8Array(), { [LABELS_FILE]: labelsFile });
}
