/**
 * The checks a training request must pass before any image is decoded (train.ts): every
 * problem found is listed in one error, each naming the field, what it must be and what
 * came.
 */
import type { TrainRequest } from "./train.ts";

/** Throws one error listing every problem of the request; returns when there is none. */
export function checkRequest({ train, evaluation, labels, config }: TrainRequest): void {
  const problems: string[] = [];
  if (labels.length < 2)
    problems.push(`labels: need at least 2 classes, got [${labels.join(", ")}]`);
  if (new Set(labels).size !== labels.length)
    problems.push(`labels: duplicates in [${labels.join(", ")}]`);
  if (train.length === 0) problems.push("train: no training images");
  if (evaluation.length === 0) problems.push("evaluation: no evaluation images");
  for (const key of ["inputSize", "batchSize", "epochs", "patience"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1)
      problems.push(`config.${key}: must be a positive integer, got ${config[key]}`);
  }
  if (!(config.learningRate > 0))
    problems.push(`config.learningRate: must be > 0, got ${config.learningRate}`);
  if (!(config.alpha > 0)) problems.push(`config.alpha: must be > 0, got ${config.alpha}`);
  if (!Number.isInteger(config.seed))
    problems.push(`config.seed: must be an integer, got ${config.seed}`);
  if (!["cosine", "constant", undefined].includes(config.lrSchedule))
    problems.push(`config.lrSchedule: must be "cosine" or "constant", got ${config.lrSchedule}`);
  if (config.warmupEpochs !== undefined && !(config.warmupEpochs >= 0))
    problems.push(`config.warmupEpochs: must be >= 0, got ${config.warmupEpochs}`);
  const share = (key: "labelSmoothing" | "dropout" | "emaDecay", v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v < 1))
      problems.push(`config.${key}: must be in [0, 1), got ${v}`);
  };
  share("labelSmoothing", config.labelSmoothing);
  share("dropout", config.dropout);
  share("emaDecay", config.emaDecay);
  if (
    config.replicas !== undefined &&
    config.replicas !== "auto" &&
    !(Number.isInteger(config.replicas) && config.replicas >= 1)
  )
    problems.push(`config.replicas: must be "auto" or an integer >= 1, got ${config.replicas}`);
  if (config.mixup !== undefined && !(config.mixup >= 0))
    problems.push(`config.mixup: must be >= 0 (0 = off), got ${config.mixup}`);
  if (problems.length > 0)
    throw new Error(`trainModel: invalid request:\n- ${problems.join("\n- ")}`);
}
