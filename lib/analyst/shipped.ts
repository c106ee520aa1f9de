/**
 * Judged as shipped: the phone runs the .tflite, so the predictions the analyst compares
 * are each model's shipped file run in LiteRT. The TF.js model's predictions are kept
 * beside them; where the two differ, the report says by how much, and a model judged as
 * its TF.js model instead (an old production without a .tflite, a file LiteRT refuses)
 * says why. Pure.
 */
import { type ClassificationMetrics, computeMetrics } from "../metrics.ts";

/** The numbers a reviewer compares first. */
export interface HeadlineMetrics {
  accuracy: number;
  macro_f1: number;
  /** F1 of the policy's critical class. */
  critical_f1: number;
}

/** How one model was judged, and how its shipped file compares with its TF.js model. */
export interface JudgedModel {
  version: string;
  /** "tflite": its shipped file in LiteRT; "tfjs": its TF.js model (`fallback` says why). */
  source: "tflite" | "tfjs";
  /** The shipped file's name and variant, when it was run. */
  file: string | null;
  variant: string | null;
  /** Why the TF.js model was judged instead of the shipped file; null when it was not. */
  fallback: string | null;
  tfjs: HeadlineMetrics;
  tflite: HeadlineMetrics | null;
  /** Images whose predicted class differs between TF.js and the .tflite (0 without one). */
  differing: number;
  /** The first of them (sha256, class by TF.js, class by the .tflite). */
  examples: { sha256: string; tfjs: string; tflite: string }[];
}

/** Both models as judged. */
export interface ShippedJudgement {
  candidate: JudgedModel;
  /** Null for a first model. */
  production: JudgedModel | null;
}

/** Examples of differing images kept in the state and analysis.json. */
export const MAX_DIFFERING_EXAMPLES = 20;

/** Accuracy, macro-F1 and the critical class's F1 of metrics. */
export function headline(m: ClassificationMetrics, criticalClass: string): HeadlineMetrics {
  return {
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    critical_f1: m.per_class[criticalClass]?.f1 ?? 0,
  };
}

/**
 * One model's judgement: the .tflite's predictions when there are any (the ones judged),
 * else the TF.js model's with the reason; the metrics of what is judged come back with it.
 */
export function judgeModel(input: {
  version: string;
  truth: number[];
  labels: string[];
  criticalClass: string;
  /** sha256 of each image, for the examples. */
  keys: string[];
  tfjs: number[];
  shipped: { predictions: number[]; file: string; variant: string | null } | { fallback: string };
}): { judged: JudgedModel; predictions: number[]; metrics: ClassificationMetrics } {
  const { truth, labels, criticalClass, tfjs } = input;
  const tfjsMetrics = computeMetrics(truth, tfjs, labels);
  if ("fallback" in input.shipped)
    return {
      judged: {
        version: input.version,
        source: "tfjs",
        file: null,
        variant: null,
        fallback: input.shipped.fallback,
        tfjs: headline(tfjsMetrics, criticalClass),
        tflite: null,
        differing: 0,
        examples: [],
      },
      predictions: tfjs,
      metrics: tfjsMetrics,
    };
  const { predictions, file, variant } = input.shipped;
  if (predictions.length !== tfjs.length)
    throw new Error(
      `${input.version}'s .tflite gave ${predictions.length} predictions for ${tfjs.length} evaluation images`,
    );
  const metrics = computeMetrics(truth, predictions, labels);
  const differ = predictions.flatMap((p, i) => (p === tfjs[i] ? [] : [i]));
  return {
    judged: {
      version: input.version,
      source: "tflite",
      file,
      variant,
      fallback: null,
      tfjs: headline(tfjsMetrics, criticalClass),
      tflite: headline(metrics, criticalClass),
      differing: differ.length,
      examples: differ.slice(0, MAX_DIFFERING_EXAMPLES).map((i) => ({
        sha256: input.keys[i] ?? "",
        tfjs: labels[tfjs[i]!] ?? String(tfjs[i]),
        tflite: labels[predictions[i]!] ?? String(predictions[i]),
      })),
    },
    predictions,
    metrics,
  };
}

/** The models whose shipped file and TF.js model disagree on some image. */
export function differingModels(j: ShippedJudgement | null | undefined): JudgedModel[] {
  if (!j) return [];
  return [j.candidate, j.production].filter((m): m is JudgedModel => !!m && m.differing > 0);
}
