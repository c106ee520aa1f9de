/**
 * Exports a trained model as .tflite variants and proves each one: the variant the policy
 * ships becomes `mango_model_vN.tflite`, the others sit beside it as
 * `mango_model_vN.<variant>.tflite`. Only files that pass their gate are written, so a file
 * on disk has always been proven in LiteRT; the result says why any variant is missing.
 * The full-integer variant is calibrated on `calibration` (training images) and, without
 * them, not written.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LayersModel } from "@tensorflow/tfjs-node";
import type { Preprocessing } from "../images.ts";
import { calibrateGraph, type Calibration } from "./calibrate.ts";
import { modelToGraph } from "./graph.ts";
import type { IrGraph } from "./ir.ts";
import { TFLITE_VARIANTS, type TfliteVariant } from "./variants.ts";
import {
  DEFAULT_TFLITE_GATES,
  verifyTflite,
  type EvalSet,
  type TfliteGates,
  type TfliteVerification,
} from "./verify.ts";
import { writeTfliteGraph } from "./writer.ts";

/** Inputs of `exportVariants`. */
export interface ExportVariantsInput {
  /** The trained model, or the directory holding its model.json. */
  model: LayersModel | string;
  outDir: string;
  /** Registry version N of `mango_model_vN`. */
  version: number;
  labels: string[];
  preprocessing: Preprocessing;
  /** The evaluation set every file is proven on. */
  evalSet: EvalSet;
  /**
   * Training images (each [H, W, 3], scaled as for training) the int8_full variant's
   * activation ranges are measured on; without them that variant is not written.
   */
  calibration?: Float32Array[];
  gates?: TfliteGates;
  /** The variant shipped as `mango_model_vN.tflite` (policy; default float32). */
  ship?: TfliteVariant;
  /** Facts for the embedded metadata (architecture, run id, ...). */
  modelInfo?: Record<string, unknown>;
}

/** One variant's outcome. */
export interface VariantExport {
  variant: TfliteVariant;
  /** Path written, only when the file passed its gate. */
  file?: string;
  export_ms: number;
  verification?: TfliteVerification;
  /** A candidate passed its gate; otherwise `reasons` says why not. */
  candidate: boolean;
  reasons: string[];
}

/** What `exportVariants` wrote and proved. */
export interface ExportResult {
  /** The shipped file, absent when its variant failed its gate. */
  shipped?: { variant: TfliteVariant; file: string };
  variants: VariantExport[];
}

/** The file name of a variant in the registry. */
export function tfliteFileName(version: number, variant: TfliteVariant, shipped: boolean): string {
  return shipped ? `mango_model_v${version}.tflite` : `mango_model_v${version}.${variant}.tflite`;
}

/** Writes, proves and saves every variant; see the module comment for naming. */
export async function exportVariants(input: ExportVariantsInput): Promise<ExportResult> {
  const ship = input.ship ?? "float32";
  const model =
    typeof input.model === "string"
      ? await (await import("../evaluate.ts")).loadModel(input.model)
      : input.model;
  try {
    const graph = modelToGraph(model); // once: the variants only re-encode weights
    await mkdir(input.outDir, { recursive: true });
    const variants: VariantExport[] = [];
    for (const variant of TFLITE_VARIANTS) {
      const t0 = performance.now();
      let calibration: Calibration | undefined;
      if (variant === "int8_full") {
        const c = await calibrate(graph, input.calibration);
        if ("reason" in c) {
          variants.push(refused(variant, performance.now() - t0, c.reason));
          continue;
        }
        calibration = c;
      }
      const bytes = writeTfliteGraph(graph, {
        labels: input.labels,
        preprocessing: input.preprocessing,
        variant,
        model: { ...input.modelInfo, version: input.version },
        ...(calibration ? { calibration } : {}),
      });
      const export_ms = performance.now() - t0;
      let verification: TfliteVerification | undefined;
      let reasons: string[];
      try {
        verification = await verifyTflite({
          tfliteBytes: bytes,
          tfjsModel: model,
          evalSet: input.evalSet,
          labels: input.labels,
          gates: input.gates ?? DEFAULT_TFLITE_GATES,
        });
        reasons = verification.gate.reasons;
      } catch (err) {
        reasons = [`${variant}: the file could not be proven: ${(err as Error).message}`];
      }
      const candidate = reasons.length === 0;
      const file = candidate
        ? join(input.outDir, tfliteFileName(input.version, variant, variant === ship))
        : undefined;
      if (file) await writeFile(file, bytes);
      variants.push({
        variant,
        ...(file ? { file } : {}),
        export_ms,
        ...(verification ? { verification } : {}),
        candidate,
        reasons,
      });
    }
    const shipped = variants.find((v) => v.variant === ship && v.file);
    return {
      ...(shipped?.file ? { shipped: { variant: ship, file: shipped.file } } : {}),
      variants,
    };
  } finally {
    // A model we loaded is ours to free; a model passed in belongs to the caller.
    if (typeof input.model === "string") model.dispose();
  }
}

/** The graph's activation ranges on the calibration images, or why there are none. */
async function calibrate(
  graph: IrGraph,
  images: Float32Array[] | undefined,
): Promise<Calibration | { reason: string }> {
  if (!images?.length)
    return {
      reason:
        "int8_full: no calibration images were given, so its activation ranges are unknown: pass `calibration` (a sample of training images) to exportVariants",
    };
  try {
    return await calibrateGraph(graph, images);
  } catch (err) {
    return { reason: `int8_full: calibration failed: ${(err as Error).message}` };
  }
}

/** A variant that was not written, and why. */
function refused(variant: TfliteVariant, export_ms: number, reason: string): VariantExport {
  return { variant, export_ms, candidate: false, reasons: [reason] };
}
