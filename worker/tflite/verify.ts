/**
 * The proof a .tflite must pass before it can be a candidate: load it in LiteRT (a runtime
 * that shares no code with the writer), run the evaluation set through it one image at a
 * time, and compare with TF.js. The gates are data (configurable) and judged by a pure
 * function, so the report can say exactly why a file is not a candidate.
 */
import type { LayersModel } from "@tensorflow/tfjs-node";
import { argmax, computeMetrics, toLabelIndices } from "../../lib/metrics.ts";
import type { LabeledImage } from "../../lib/dataset.ts";
import { openTflite } from "./litert.ts";
import { readTflite } from "./reader.ts";
import { tfjsLogits } from "./reference.ts";
import { fullIntegerProblems } from "./tensor-reader.ts";
import type { TfliteVariant } from "./variants.ts";

/** Limits one variant must meet; an absent limit is not checked. */
export interface VariantGate {
  /** Largest allowed max |logit(tflite) - logit(tfjs)| over the evaluation set. */
  maxLogitDiff?: number;
  /** Smallest allowed share of images whose argmax matches TF.js (0..1). */
  minArgmaxAgreement?: number;
  /** Largest allowed accuracy loss against TF.js, as a fraction (0.01 = 1 point). */
  maxAccuracyDrop?: number;
}
/** Gates per variant. */
export type TfliteGates = Record<TfliteVariant, VariantGate>;

/** The gates: float32 must be exact to 1e-4, the compressed ones must agree. */
export const DEFAULT_TFLITE_GATES: TfliteGates = {
  float32: { maxLogitDiff: 1e-4, minArgmaxAgreement: 1 },
  float16: { minArgmaxAgreement: 0.99, maxAccuracyDrop: 0.01 },
  int8: { minArgmaxAgreement: 0.99, maxAccuracyDrop: 0.01 },
  int8_full: { minArgmaxAgreement: 0.98, maxAccuracyDrop: 0.01 },
};

/** Preprocessed evaluation images (each [H, W, 3] scaled as for training) and true classes. */
export interface EvalSet {
  inputs: Float32Array[];
  trueIdx: number[];
}

/** What the proof measured for one file. */
export interface TfliteVerification {
  variant: TfliteVariant;
  bytes: number;
  n: number;
  max_logit_diff: number;
  argmax_agreement: number;
  accuracy: number;
  macro_f1: number;
  /** TF.js' accuracy on the same images, the baseline of the accuracy drop. */
  reference_accuracy: number;
  median_latency_ms: number;
  gate: { passed: boolean; reasons: string[] };
}

/** Judges measurements against a gate: pure, so every reason is testable. */
export function judgeTflite(
  m: Omit<TfliteVerification, "gate">,
  gate: VariantGate,
): { passed: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  if (gate.maxLogitDiff !== undefined && !(m.max_logit_diff <= gate.maxLogitDiff)) {
    reasons.push(
      `${m.variant}: max |logit difference| vs TF.js is ${m.max_logit_diff.toExponential(2)}, above the gate ${gate.maxLogitDiff.toExponential(2)}`,
    );
  }
  if (gate.minArgmaxAgreement !== undefined && !(m.argmax_agreement >= gate.minArgmaxAgreement)) {
    reasons.push(
      `${m.variant}: argmax agrees with TF.js on ${pct(m.argmax_agreement)} of ${m.n} images, below the gate ${pct(gate.minArgmaxAgreement)}`,
    );
  }
  const drop = m.reference_accuracy - m.accuracy;
  if (gate.maxAccuracyDrop !== undefined && !(drop <= gate.maxAccuracyDrop + 1e-12)) {
    reasons.push(
      `${m.variant}: accuracy ${pct(m.accuracy)} is ${(100 * drop).toFixed(2)} points below TF.js' ${pct(m.reference_accuracy)}, more than the allowed ${(100 * gate.maxAccuracyDrop).toFixed(2)}`,
    );
  }
  return { passed: reasons.length === 0, reasons };
}

/** Inputs of `verifyTflite`. */
export interface VerifyTfliteInput {
  tfliteBytes: Uint8Array;
  tfjsModel: LayersModel;
  evalSet: EvalSet;
  labels: string[];
  gates?: TfliteGates;
}

/**
 * Proves one file. Throws (InvalidTfliteError, or LiteRT's refusal) for a file that is not
 * a loadable .tflite at all; returns a failed gate, with reasons, for one that runs but
 * disagrees with TF.js.
 */
export async function verifyTflite(input: VerifyTfliteInput): Promise<TfliteVerification> {
  const { tfliteBytes, tfjsModel, evalSet, labels } = input;
  const summary = readTflite(tfliteBytes);
  const meta = summary.metadata;
  if (!summary.labels)
    throw new Error(
      `the .tflite (${tfliteBytes.length} bytes) has no labels file in its "TFLITE_METADATA": the app could not read its labels`,
    );
  if (summary.labels.join("\n") !== labels.join("\n"))
    throw new Error(
      `the .tflite's labels [${summary.labels.join(", ")}] differ from the model's [${labels.join(", ")}]`,
    );
  if (!meta?.variant)
    throw new Error(
      `the .tflite (${tfliteBytes.length} bytes) has no "mango_mlops_metadata" with its variant: re-export it`,
    );
  if (evalSet.inputs.length === 0 || evalSet.inputs.length !== evalSet.trueIdx.length) {
    throw new Error(
      `the evaluation set needs images with one true class each; got ${evalSet.inputs.length} images and ${evalSet.trueIdx.length} classes`,
    );
  }
  const gate = (input.gates ?? DEFAULT_TFLITE_GATES)[meta.variant];
  const session = await openTflite(tfliteBytes);
  const inputShape = session.inputs[0]!.shape.slice(1); // [H, W, C] of the file itself
  const tflite: Float32Array[] = [];
  const latencies: number[] = [];
  try {
    for (const image of evalSet.inputs) {
      const t0 = performance.now();
      const out = await session.run({ image });
      latencies.push(performance.now() - t0);
      if (!out.logits)
        throw new Error(
          `the .tflite has no "logits" output (outputs: ${Object.keys(out).join(", ")})`,
        );
      tflite.push(out.logits);
    }
  } finally {
    session.close();
  }
  const reference = await tfjsLogits(tfjsModel, evalSet.inputs, inputShape);
  let maxDiff = 0;
  let agree = 0;
  reference.forEach((r, i) => {
    const t = tflite[i]!;
    for (let k = 0; k < r.length; k++) maxDiff = Math.max(maxDiff, Math.abs(r[k]! - t[k]!));
    if (argmax(r) === argmax(t)) agree++;
  });
  const own = computeMetrics(
    evalSet.trueIdx,
    tflite.map((t) => argmax(t)),
    labels,
  );
  const ref = computeMetrics(
    evalSet.trueIdx,
    reference.map((r) => argmax(r)),
    labels,
  );
  const measured = {
    variant: meta.variant,
    bytes: tfliteBytes.length,
    n: evalSet.inputs.length,
    max_logit_diff: maxDiff,
    argmax_agreement: agree / evalSet.inputs.length,
    accuracy: own.accuracy,
    macro_f1: own.macro_f1,
    reference_accuracy: ref.accuracy,
    median_latency_ms: median(latencies),
  };
  const judged = judgeTflite(measured, gate);
  // A full-integer file must be integer throughout, or an NPU delegate would not take it whole.
  const structure =
    meta.variant === "int8_full"
      ? fullIntegerProblems(tfliteBytes).map((p) => `int8_full: not full-integer: ${p}`)
      : [];
  const reasons = [...judged.reasons, ...structure];
  return { ...measured, gate: { passed: reasons.length === 0, reasons } };
}

/** Decodes labelled image files into an evaluation set, preprocessed as in training. */
export async function evalSetFromImages(
  images: LabeledImage[],
  labels: string[],
  inputSize: number,
): Promise<EvalSet> {
  const trueIdx = toLabelIndices(images, labels);
  const { decodeImages, toInputTensor } = await import("../images.ts");
  const pixels = await decodeImages(
    images.map((i) => i.path),
    inputSize,
  );
  const inputs = pixels.map((p) => {
    const t = toInputTensor([p], inputSize); // the training path's own scaling, not a copy of it
    const x = t.dataSync() as Float32Array;
    t.dispose();
    return x;
  });
  return { inputs, trueIdx };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
