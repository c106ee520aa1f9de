/**
 * analyze_performance, step 1: both models' predictions on the evaluation set as it is
 * now. The candidate's come from training's predictions.json only if they cover exactly
 * these images in this order (else it is re-evaluated); production is re-evaluated from
 * its registered artifact (sha256-checked), its classes mapped into the configured order.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fetchModelFolder } from "../../../lib/artifacts.ts";
import { artifactsUri } from "../../../lib/config.ts";
import type { LabeledImage } from "../../../lib/dataset.ts";
import type { ProductionPointer } from "../../../lib/registry.ts";
import type { PipelineServices } from "../../services.ts";
import { type PredictionsFile, runFolder, TRAINING_FILES } from "../../../lib/run-folder.ts";

/** The candidate's class indices and where they came from (analysis.json says which). */
export interface CandidatePredictions {
  predictions: number[];
  source: "predictions.json from training" | "re-evaluated at decision time";
}

/** Class indices of the candidate on `images`, from training's predictions.json when it covers exactly them. */
export async function candidatePredictions(
  modelPath: string,
  services: PipelineServices,
  images: LabeledImage[],
): Promise<CandidatePredictions> {
  const labels = services.config.labels;
  const file = join(dirname(modelPath), TRAINING_FILES.predictions);
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, "utf8")) as Partial<PredictionsFile>;
    const sameImages =
      saved.keys?.length === images.length &&
      images.every((img, i) => saved.keys![i] === img.sha256);
    const sameLabels =
      saved.labels?.length === labels.length && labels.every((l, i) => saved.labels![i] === l);
    if (sameImages && sameLabels && saved.predictions?.length === images.length)
      return { predictions: saved.predictions, source: "predictions.json from training" };
  }
  // The evaluation set changed since training (or the file is gone): judge it on today's set.
  services.log(
    `analyze_performance: ${file} does not cover the current evaluation set; re-evaluating the candidate`,
  );
  return {
    predictions: (await services.trainer.evaluate(modelPath, images, labels)).predictions,
    source: "re-evaluated at decision time",
  };
}

/** Production's class indices on `images`, mapped into the configured label order. */
export async function productionPredictions(
  production: ProductionPointer,
  services: PipelineServices,
  runDir: string,
  images: LabeledImage[],
): Promise<number[]> {
  const dir = runFolder(runDir).production(production.version);
  try {
    await fetchModelFolder(
      services.openStore(artifactsUri(services.repoDir, services.config)),
      production.artifact,
      dir,
    );
    const own = production.artifact.labels;
    const { predictions } = await services.trainer.evaluate(dir, images, own);
    const map = own.map((l) => services.config.labels.indexOf(l));
    const missing = own.filter((_, i) => map[i]! < 0);
    if (missing.length)
      throw new Error(
        `its classes ${missing.join(", ")} are not among the configured labels [${services.config.labels.join(", ")}]`,
      );
    return predictions.map((p) => map[p]!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
