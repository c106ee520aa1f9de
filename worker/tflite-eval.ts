/**
 * A shipped .tflite judged as the app runs it: LiteRT, one image at a time, with the
 * preprocessing the file itself declares (TFLite Support metadata: input size from the
 * tensor, normalisation mean and std; our metadata: colour space and resize policy) and
 * the class names of its labels.txt, mapped into the caller's label order. Nothing about
 * the training run is assumed: an old file, or one from another pipeline, is read the same.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  argmax,
  type ClassificationMetrics,
  computeMetrics,
  toLabelIndices,
} from "../lib/metrics.ts";
import type { LabeledImage } from "../lib/dataset.ts";
import { decodeImages, describePreprocessing } from "./images.ts";
import { openTflite } from "./tflite/litert.ts";
import { readTflite, type TfliteSummary } from "./tflite/reader.ts";

/** What a .tflite predicted on the images. */
export interface TfliteEvaluation {
  /** Class indices into the caller's labels, image by image. */
  predictions: number[];
  metrics: ClassificationMetrics;
  /** The file's weight encoding, from its metadata (null when it does not say). */
  variant: string | null;
  /** The file's class names, in its output order. */
  file_labels: string[];
  input_size: number;
}

/** Images decoded at once: bounds memory on a large evaluation set. */
const CHUNK = 64;

/** How the file says a photo becomes its input: size, per-channel mean and std. */
function declaredPreprocessing(file: string, summary: TfliteSummary, shape: number[]) {
  const where = basename(file);
  const input = summary.support?.inputs[0];
  const norm = input?.normalization;
  if (!norm || norm.mean.length === 0 || norm.mean.length !== norm.std.length)
    throw new Error(
      `${where} declares no input normalisation in its TFLITE_METADATA, so the app could not preprocess for it (fix: re-export it with the pipeline's writer)`,
    );
  const [, h, w, c] = shape;
  if (shape.length !== 4 || h !== w || c !== 3)
    throw new Error(
      `${where} takes input [${shape.join(", ")}]; an app photo becomes a square RGB image [1, N, N, 3]`,
    );
  const ours = describePreprocessing(h!);
  const meta = summary.metadata?.input;
  if (meta && (meta.resize !== ours.resize || meta.colour_space !== ours.colourSpace))
    throw new Error(
      `${where} asks for "${meta.resize}" in ${meta.colour_space}; this evaluator resizes "${ours.resize}" in ${ours.colourSpace} only`,
    );
  const per = (values: number[]) => [0, 1, 2].map((k) => values[values.length === 1 ? 0 : k]!);
  return { size: h!, mean: per(norm.mean), std: per(norm.std) };
}

/** Where each of the file's classes sits in `labels`; an unknown class is an error. */
function labelMap(file: string, fileLabels: string[] | undefined, labels: string[]): number[] {
  if (!fileLabels?.length)
    throw new Error(
      `${basename(file)} has no labels.txt in its TFLITE_METADATA, so its outputs cannot be named`,
    );
  const map = fileLabels.map((l) => labels.indexOf(l));
  const unknown = fileLabels.filter((_, i) => map[i]! < 0);
  if (unknown.length)
    throw new Error(
      `${basename(file)}'s classes ${unknown.join(", ")} are not among the configured labels [${labels.join(", ")}]`,
    );
  return map;
}

/**
 * Runs the .tflite at `file` on `images` in LiteRT; predictions are indices into `labels`.
 * Throws, saying what and where, for a file LiteRT refuses or whose metadata the app could
 * not use.
 */
export async function evaluateTfliteFile(
  file: string,
  images: LabeledImage[],
  labels: string[],
): Promise<TfliteEvaluation> {
  const bytes = new Uint8Array(await readFile(file));
  const summary = readTflite(bytes);
  const map = labelMap(file, summary.labels, labels);
  const session = await openTflite(bytes);
  try {
    const input = session.inputs[0]!;
    const pre = declaredPreprocessing(file, summary, input.shape);
    const predictions: number[] = [];
    for (let start = 0; start < images.length; start += CHUNK) {
      const chunk = images.slice(start, start + CHUNK);
      const pixels = await decodeImages(
        chunk.map((i) => i.path),
        pre.size,
      );
      for (const px of pixels) {
        const x = new Float32Array(px.length);
        for (let i = 0; i < px.length; i++) x[i] = (px[i]! - pre.mean[i % 3]!) / pre.std[i % 3]!;
        const out = await session.run({ [input.name]: x });
        const scores = out.logits ?? out.probabilities;
        if (!scores)
          throw new Error(
            `${basename(file)} has neither a "logits" nor a "probabilities" output (outputs: ${Object.keys(out).join(", ")})`,
          );
        predictions.push(map[argmax(scores)]!);
      }
    }
    return {
      predictions,
      metrics: computeMetrics(toLabelIndices(images, labels), predictions, labels),
      variant: summary.metadata?.variant ?? null,
      file_labels: summary.labels!,
      input_size: pre.size,
    };
  } finally {
    session.close();
  }
}
