/**
 * What the phone app reads from a .tflite besides the graph: the class labels and the exact
 * preprocessing, as UTF-8 JSON in a `Model.metadata` entry named `mango_mlops_metadata`
 * (format in README.md). JSON rather than TFLite Support's TFLITE_METADATA flatbuffer: the
 * app needs four facts, and a JSON reader exists on every platform.
 */
import type { Preprocessing } from "../images.ts";
import { TENSOR_NAMES } from "./graph.ts";
import type { TfliteVariant } from "./variants.ts";

/** `Metadata.name` of the entry holding the JSON. */
export const METADATA_NAME = "mango_mlops_metadata";
/** Bumped when a field's meaning changes, so an app can refuse a file it would misread. */
export const METADATA_FORMAT_VERSION = 1;

/** The JSON embedded in every file. */
export interface TfliteMetadata {
  format_version: number;
  /** Class names; index i is output unit i. */
  labels: string[];
  input: {
    name: string;
    shape: number[];
    dtype: "float32";
    layout: "NHWC";
    colour_space: "srgb";
    resize: string;
    /** Scaled range of the input; x = (pixel - mean) / std per RGB channel. */
    scale: string;
    mean: number[];
    std: number[];
  };
  outputs: { name: string; shape: number[]; meaning: string }[];
  /** The weight encoding of this file. */
  variant: TfliteVariant;
  /** Free-form facts about the model (architecture, version, training run...). */
  model: Record<string, unknown>;
}

/** Builds the metadata of one file. */
export function buildMetadata(
  labels: string[],
  pre: Preprocessing,
  variant: TfliteVariant,
  model: Record<string, unknown>,
): TfliteMetadata {
  const k = labels.length;
  return {
    format_version: METADATA_FORMAT_VERSION,
    labels: [...labels],
    input: {
      name: TENSOR_NAMES.input,
      shape: [1, pre.inputSize, pre.inputSize, pre.channels],
      dtype: pre.dtype,
      layout: pre.layout,
      colour_space: pre.colourSpace,
      resize: pre.resize,
      scale: pre.scale,
      mean: [...pre.mean],
      std: [...pre.std],
    },
    outputs: [
      {
        name: TENSOR_NAMES.probabilities,
        shape: [1, k],
        meaning: "softmax class probabilities, in labels order",
      },
      {
        name: TENSOR_NAMES.logits,
        shape: [1, k],
        meaning: "pre-softmax class scores, in labels order",
      },
    ],
    variant,
    model,
  };
}
