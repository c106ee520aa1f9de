/**
 * The slice of TensorFlow Lite's `schema.fbs` (Apache-2.0) this writer needs, as named
 * constants: field slots, enum values, the file identifier. Typed in by hand from the
 * format facts (shared/reference/tflite-format.md), not generated, so every number here
 * is one a reviewer can check against the schema. A union field takes two slots
 * (`<name>_type`, then `<name>`); deprecated fields keep theirs.
 */

/** Bytes 4..8 of every .tflite file. */
export const FILE_IDENTIFIER = "TFL3";
/** `Model.version` of the current schema. */
export const SCHEMA_VERSION = 3;

/** TensorType (a byte in `Tensor.type`). */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  INT16: 7,
  INT8: 9,
} as const;

/** BuiltinOperator codes of the ops this writer emits. */
export const BuiltinOperator = {
  ADD: 0,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  RELU: 19,
  RELU6: 21,
  SOFTMAX: 25,
  MEAN: 40,
  QUANTIZE: 114,
} as const;
/** Name of a builtin operator this writer emits. */
export type OpName = keyof typeof BuiltinOperator;

/** BuiltinOptions union type ids (NONE = 0). */
export const BuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  AddOptions: 11,
  ReducerOptions: 27,
  DequantizeOptions: 38,
} as const;

/** ActivationFunctionType (fused into conv, depthwise, fully connected and add). */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;
/** A fused activation's name. */
export type ActivationName = keyof typeof Activation;

/** Padding of convolutions and pools. */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Field slots per table: `builder.addField*(slot, ...)`. */
export const Slot = {
  Model: {
    version: 0,
    operator_codes: 1,
    subgraphs: 2,
    description: 3,
    buffers: 4,
    metadata_buffer: 5,
    metadata: 6,
    signature_defs: 7,
    count: 8,
  },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4, count: 5 },
  Tensor: {
    shape: 0,
    type: 1,
    buffer: 2,
    name: 3,
    quantization: 4,
    is_variable: 5,
    sparsity: 6,
    shape_signature: 7,
    has_rank: 8,
    count: 9,
  },
  Buffer: { data: 0, offset: 1, size: 2, count: 3 },
  OperatorCode: {
    deprecated_builtin_code: 0,
    custom_code: 1,
    version: 2,
    builtin_code: 3,
    count: 4,
  },
  Operator: {
    opcode_index: 0,
    inputs: 1,
    outputs: 2,
    builtin_options_type: 3,
    builtin_options: 4,
    count: 5,
  },
  QuantizationParameters: {
    min: 0,
    max: 1,
    scale: 2,
    zero_point: 3,
    details_type: 4,
    details: 5,
    quantized_dimension: 6,
    count: 7,
  },
  Conv2DOptions: {
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    fused_activation_function: 3,
    dilation_w_factor: 4,
    dilation_h_factor: 5,
    count: 6,
  },
  DepthwiseConv2DOptions: {
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    depth_multiplier: 3,
    fused_activation_function: 4,
    dilation_w_factor: 5,
    dilation_h_factor: 6,
    count: 7,
  },
  FullyConnectedOptions: {
    fused_activation_function: 0,
    weights_format: 1,
    keep_num_dims: 2,
    asymmetric_quantize_inputs: 3,
    quantized_bias_type: 4,
    count: 5,
  },
  SoftmaxOptions: { beta: 0, count: 1 },
  AddOptions: { fused_activation_function: 0, pot_scale_int16: 1, count: 2 },
  ReducerOptions: { keep_dims: 0, count: 1 },
  SignatureDef: {
    inputs: 0,
    outputs: 1,
    signature_key: 2,
    deprecated_tag: 3,
    subgraph_index: 4,
    count: 5,
  },
  TensorMap: { name: 0, tensor_index: 1, count: 2 },
  Metadata: { name: 0, buffer: 1, count: 2 },
} as const;

/** Constant data is aligned to this many bytes (the schema's `force_align: 16`). */
export const BUFFER_ALIGNMENT = 16;
