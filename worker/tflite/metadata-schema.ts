/**
 * The slice of TensorFlow Lite Support's `metadata_schema.fbs` (Apache-2.0, schema 1.5.0,
 * tensorflow/tflite-support tensorflow_lite_support/metadata/) the writer fills: field slots,
 * union type ids and enum values, typed in by hand like schema.ts, not generated. A union
 * field takes two slots (`<name>_type`, then `<name>`). The FlatBuffer lives in the buffer of
 * the model's `Model.metadata` entry named `TFLITE_METADATA`; Android's metadata extractor,
 * the Task Library and ML model binding read it from there.
 */

/** `Metadata.name` of the entry whose buffer holds the metadata FlatBuffer. */
export const SUPPORT_METADATA_NAME = "TFLITE_METADATA";
/** Bytes 4..8 of the metadata FlatBuffer. */
export const METADATA_FILE_IDENTIFIER = "M001";
/**
 * `ModelMetadata.min_parser_version` for the fields written here: all of them date from
 * schema 1.0.0 (the populator writes the largest version among the fields used).
 */
export const MIN_PARSER_VERSION = "1.0.0";

/** ContentProperties union type ids. */
export const ContentProperties = {
  NONE: 0,
  FeatureProperties: 1,
  ImageProperties: 2,
  BoundingBoxProperties: 3,
  AudioProperties: 4,
} as const;

/** ProcessUnitOptions union type ids (the first three; tokenizers follow). */
export const ProcessUnitOptions = {
  NONE: 0,
  NormalizationOptions: 1,
  ScoreCalibrationOptions: 2,
  ScoreThresholdingOptions: 3,
} as const;

/** ColorSpaceType (byte). */
export const ColorSpaceType = { UNKNOWN: 0, RGB: 1, GRAYSCALE: 2 } as const;

/** AssociatedFileType (byte). */
export const AssociatedFileType = {
  UNKNOWN: 0,
  DESCRIPTIONS: 1,
  TENSOR_AXIS_LABELS: 2,
  TENSOR_VALUE_LABELS: 3,
  TENSOR_AXIS_SCORE_CALIBRATION: 4,
  VOCABULARY: 5,
  SCANN_INDEX_FILE: 6,
} as const;

/** Field slots per table. */
export const MetaSlot = {
  ModelMetadata: {
    name: 0,
    description: 1,
    version: 2,
    subgraph_metadata: 3,
    author: 4,
    license: 5,
    associated_files: 6,
    min_parser_version: 7,
    count: 8,
  },
  SubGraphMetadata: {
    name: 0,
    description: 1,
    input_tensor_metadata: 2,
    output_tensor_metadata: 3,
    associated_files: 4,
    input_process_units: 5,
    output_process_units: 6,
    input_tensor_groups: 7,
    output_tensor_groups: 8,
    custom_metadata: 9,
    count: 10,
  },
  TensorMetadata: {
    name: 0,
    description: 1,
    dimension_names: 2,
    content: 3,
    process_units: 4,
    stats: 5,
    associated_files: 6,
    count: 7,
  },
  Content: { content_properties_type: 0, content_properties: 1, range: 2, count: 3 },
  ImageProperties: { color_space: 0, default_size: 1, count: 2 },
  FeatureProperties: { count: 0 },
  ProcessUnit: { options_type: 0, options: 1, count: 2 },
  NormalizationOptions: { mean: 0, std: 1, count: 2 },
  Stats: { max: 0, min: 1, count: 2 },
  AssociatedFile: { name: 0, description: 1, type: 2, locale: 3, version: 4, count: 5 },
} as const;
