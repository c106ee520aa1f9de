/**
 * What the phone app reads from a .tflite besides the graph. The standard part is TFLite
 * Support metadata (`TFLITE_METADATA`, support-metadata.ts) with `labels.txt` in the ZIP
 * appended to the file, so Android's Task Library, ML Kit and ML model binding get the labels
 * and the input normalisation from the file alone. Our own JSON entry `mango_mlops_metadata`
 * keeps only what that standard has no field for: the resize policy, the exact colour space,
 * the weight encoding and facts about the model (format in README.md).
 */
import type { Preprocessing } from "../images.ts";
import { TENSOR_NAMES } from "./graph.ts";
import { MIN_PARSER_VERSION } from "./metadata-schema.ts";
import type { SupportMetadata } from "./support-metadata.ts";
import type { TfliteVariant } from "./variants.ts";

/** `Metadata.name` of the entry holding our JSON. */
export const METADATA_NAME = "mango_mlops_metadata";
/** Bumped when a field's meaning changes, so an app can refuse a file it would misread. */
export const METADATA_FORMAT_VERSION = 2;
/** The labels file in the appended ZIP, one class name a line, in output order. */
export const LABELS_FILE = "labels.txt";

/** What an int8_full file's activation ranges were measured on. */
export interface CalibrationInfo {
  /** How many images. */
  images: number;
  /** Where they came from: a sample of the model's own training images. */
  source: "training";
}

/** Our JSON entry: only what TFLite Support metadata cannot say. */
export interface TfliteMetadata {
  format_version: number;
  /** The weight encoding of this file. */
  variant: TfliteVariant;
  /** int8_full only: the images its activation ranges were calibrated on. */
  calibration?: CalibrationInfo;
  input: {
    /** The input tensor these facts are about. */
    name: string;
    /** TFLite Support's ImageProperties only says RGB; the pixels are sRGB. */
    colour_space: "srgb";
    /** How a photo becomes H x W before normalisation (TFLite Support has no field). */
    resize: string;
  };
  /** Free-form facts about the model (architecture, version, training run...). */
  model: Record<string, unknown>;
}

/** How a variant's numbers are stored, in words (descriptions). */
export function variantWords(variant: TfliteVariant): string {
  return variant === "int8_full" ? "int8 weights and activations" : `${variant} weights`;
}

/** Our JSON entry of one file. */
export function buildMetadata(
  pre: Preprocessing,
  variant: TfliteVariant,
  model: Record<string, unknown>,
  calibration?: CalibrationInfo,
): TfliteMetadata {
  return {
    format_version: METADATA_FORMAT_VERSION,
    variant,
    ...(calibration ? { calibration } : {}),
    input: { name: TENSOR_NAMES.input, colour_space: pre.colourSpace, resize: pre.resize },
    model,
  };
}

/**
 * The TFLite Support metadata of a classifier, as the official image classifier metadata
 * writer fills it: an RGB image input with its normalisation and value range, and each
 * output (probabilities, then logits: `SubGraph.outputs` order) with the labels file.
 */
export function buildSupportInfo(
  labels: string[],
  pre: Preprocessing,
  variant: TfliteVariant,
  model: Record<string, unknown>,
): SupportMetadata {
  const size = `${pre.inputSize}x${pre.inputSize}`;
  const labelsFile = {
    name: LABELS_FILE,
    description: "Class names, one a line, in output order.",
    type: "TENSOR_AXIS_LABELS" as const,
  };
  const version = model.version;
  return {
    name: "mango ripeness classifier",
    description: `Mango ripeness (${labels.join(", ")}); MobileNetV2, ${variantWords(variant)}.`,
    ...(version === undefined ? {} : { version: String(version) }),
    author: "mango-mlops",
    minParserVersion: MIN_PARSER_VERSION,
    inputs: [
      {
        name: TENSOR_NAMES.input,
        description: `sRGB photo, ${pre.resize} to ${size}.`,
        content: "ImageProperties",
        colorSpace: "RGB",
        normalization: { mean: [...pre.mean], std: [...pre.std] },
        stats: {
          min: pre.mean.map((m, c) => (0 - m) / pre.std[c]!),
          max: pre.mean.map((m, c) => (255 - m) / pre.std[c]!),
        },
        associatedFiles: [],
      },
    ],
    outputs: [
      {
        name: TENSOR_NAMES.probabilities,
        description: "Class probabilities (softmax).",
        content: "FeatureProperties",
        stats: { min: [0], max: [1] },
        associatedFiles: [labelsFile],
      },
      {
        name: TENSOR_NAMES.logits,
        description: "Class scores before softmax.",
        content: "FeatureProperties",
        associatedFiles: [labelsFile],
      },
    ],
  };
}

/** labels.txt: one label a line; a label with a line break cannot be written. */
export function labelsFileBytes(labels: string[]): Uint8Array {
  const bad = labels.find((l) => /[\r\n]/.test(l) || l.length === 0);
  if (bad !== undefined)
    throw new Error(
      `label ${JSON.stringify(bad)} cannot go in ${LABELS_FILE} (one label a line): use a non-empty name without line breaks`,
    );
  return new TextEncoder().encode(labels.join("\n") + "\n");
}
