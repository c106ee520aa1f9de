/**
 * Serialises the writer's graph into a .tflite FlatBuffer (root `Model`, identifier TFL3,
 * schema version 3) with the `flatbuffers` Builder; field slots and enum values come from
 * schema.ts. One subgraph, a `serving_default` signature (input "image", outputs
 * "probabilities" and "logits"), buffer 0 empty by convention, constants 16-byte aligned,
 * labels and preprocessing as a metadata entry.
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
import type { IrGraph, IrOptions } from "./ir.ts";
import { buildMetadata, METADATA_NAME } from "./metadata.ts";
import {
  Activation,
  BUFFER_ALIGNMENT,
  BuiltinOperator,
  BuiltinOptions,
  FILE_IDENTIFIER,
  Padding,
  SCHEMA_VERSION,
  Slot,
} from "./schema.ts";
import { encodeVariant, type FlatOp, type TfliteVariant } from "./variants.ts";

/** What goes into a file besides the weights. */
export interface WriteTfliteOptions {
  /** Class names; index i is output unit i. */
  labels: string[];
  preprocessing: Preprocessing;
  variant: TfliteVariant;
  /** Facts about the model for the metadata (architecture, version, run id...). */
  model?: Record<string, unknown>;
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

  const { tensors, ops } = encodeVariant(graph, opts.variant);
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

  const opNames = [...new Set(ops.map((o) => o.op))];
  const opcodes = opNames.map((n) => {
    const code = BuiltinOperator[n];
    const O = Slot.OperatorCode;
    // The code goes in both fields: old readers only know the byte, new ones the int.
    return table(b, O.count, [
      { slot: O.deprecated_builtin_code, int8: code },
      { slot: O.version, int32: 1 },
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

  const meta = buildMetadata(opts.labels, opts.preprocessing, opts.variant, opts.model ?? {});
  const metaBuffer = addBuffer(new TextEncoder().encode(JSON.stringify(meta)));
  const metaName = b.createString(METADATA_NAME);
  const metadata = table(b, Slot.Metadata.count, [
    { slot: Slot.Metadata.name, offset: metaName },
    { slot: Slot.Metadata.buffer, uint32: metaBuffer },
  ]);

  const description = b.createString(
    `mango-mlops ripeness classifier (${opts.variant} weights, input [${inShape.join(", ")}] scaled to ${opts.preprocessing.scale}, ` +
      `${opts.labels.length} classes); labels and preprocessing in metadata "${METADATA_NAME}"`,
  );
  const M = Slot.Model;
  const root = table(b, M.count, [
    { slot: M.version, uint32: SCHEMA_VERSION },
    { slot: M.operator_codes, offset: offsetVector(b, opcodes) },
    { slot: M.subgraphs, offset: offsetVector(b, [subgraph]) },
    { slot: M.description, offset: description },
    { slot: M.buffers, offset: offsetVector(b, buffers) },
    { slot: M.metadata, offset: offsetVector(b, [metadata]) },
    { slot: M.signature_defs, offset: offsetVector(b, [signature]) },
  ]);
  b.finish(root, FILE_IDENTIFIER);
  return b.asUint8Array().slice(); // a copy: the builder's buffer is larger and reused
}

/** The builtin options union (type id and table) of one op. */
function builtinOptions(b: Builder, o: FlatOp): [number, Offset | undefined] {
  const act = Activation[o.activation];
  const opt: IrOptions = o.options;
  switch (opt.kind) {
    case "conv": {
      const C = Slot.Conv2DOptions;
      return [
        BuiltinOptions.Conv2DOptions,
        table(b, C.count, [
          { slot: C.padding, int8: Padding[opt.padding] },
          { slot: C.stride_w, int32: opt.strideW },
          { slot: C.stride_h, int32: opt.strideH },
          { slot: C.fused_activation_function, int8: act },
          { slot: C.dilation_w_factor, int32: opt.dilationW },
          { slot: C.dilation_h_factor, int32: opt.dilationH },
        ]),
      ];
    }
    case "depthwise": {
      const C = Slot.DepthwiseConv2DOptions;
      return [
        BuiltinOptions.DepthwiseConv2DOptions,
        table(b, C.count, [
          { slot: C.padding, int8: Padding[opt.padding] },
          { slot: C.stride_w, int32: opt.strideW },
          { slot: C.stride_h, int32: opt.strideH },
          { slot: C.depth_multiplier, int32: opt.depthMultiplier },
          { slot: C.fused_activation_function, int8: act },
          { slot: C.dilation_w_factor, int32: opt.dilationW },
          { slot: C.dilation_h_factor, int32: opt.dilationH },
        ]),
      ];
    }
    case "fullyConnected": {
      const C = Slot.FullyConnectedOptions;
      return [
        BuiltinOptions.FullyConnectedOptions,
        table(b, C.count, [
          { slot: C.fused_activation_function, int8: act },
          { slot: C.weights_format, int8: 0 },
          { slot: C.keep_num_dims, bool: false },
        ]),
      ];
    }
    case "add":
      return [
        BuiltinOptions.AddOptions,
        table(b, Slot.AddOptions.count, [
          { slot: Slot.AddOptions.fused_activation_function, int8: act },
        ]),
      ];
    case "mean":
      return [
        BuiltinOptions.ReducerOptions,
        table(b, Slot.ReducerOptions.count, [
          { slot: Slot.ReducerOptions.keep_dims, bool: opt.keepDims },
        ]),
      ];
    case "softmax":
      return [
        BuiltinOptions.SoftmaxOptions,
        table(b, Slot.SoftmaxOptions.count, [
          { slot: Slot.SoftmaxOptions.beta, float32: opt.beta },
        ]),
      ];
    case "none":
      return [BuiltinOptions.NONE, undefined];
  }
}
