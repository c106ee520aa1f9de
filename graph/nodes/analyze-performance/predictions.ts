/**
 * analyze_performance, step 1: both models' predictions on the evaluation set as it is
 * now, as shipped and as TF.js models. The candidate's shipped .tflite (state.tflite) runs
 * in LiteRT; its TF.js predictions come from training's predictions.json only if they cover
 * exactly these images in this order (else it is re-evaluated). Production is re-evaluated
 * from its registered artifact (sha256-checked): its TF.js model, and its shipped .tflite
 * (the artifact's first) in LiteRT, classes mapped into the configured order. A production
 * without a .tflite, or whose file LiteRT cannot run, is judged as its TF.js model, and the
 * reason says so.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fetchModelFolder } from "../../../lib/artifacts.ts";
import { artifactsUri } from "../../../lib/config.ts";
import type { LabeledImage } from "../../../lib/dataset.ts";
import type { ProductionPointer } from "../../../lib/registry.ts";
import type { PipelineServices } from "../../services.ts";
import type { MLOpsStateType } from "../../state.ts";
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

/** A shipped file's class indices (configured label order), or why the TF.js model is judged. */
export type ShippedPredictions =
  { predictions: number[]; file: string; variant: string | null } | { fallback: string };

/**
 * The candidate's shipped .tflite in LiteRT. Throws when LiteRT cannot run it: a file that
 * passed its proof at training but cannot be judged now is not shipped (decide.ts rejects).
 */
export async function candidateShipped(
  state: Pick<MLOpsStateType, "tflite" | "model_version">,
  services: PipelineServices,
  images: LabeledImage[],
): Promise<ShippedPredictions> {
  const shipped = state.tflite?.shipped;
  if (!shipped)
    return { fallback: "candidate judged as TF.js model: no .tflite export was made for it" };
  try {
    const out = await services.trainer.evaluateTflite(shipped.file, images, services.config.labels);
    return { predictions: out.predictions, file: basename(shipped.file), variant: out.variant };
  } catch (err) {
    throw new Error(
      `${state.model_version}'s shipped ${basename(shipped.file)} could not be run in LiteRT at decision time: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Production's shipped .tflite (the artifact's first) in LiteRT, or why there is none. */
async function productionShipped(
  production: ProductionPointer,
  services: PipelineServices,
  dir: string,
  images: LabeledImage[],
): Promise<ShippedPredictions> {
  const file = production.artifact.files.find((f) => f.name.endsWith(".tflite"));
  if (!file) return { fallback: "production judged as TF.js model: no .tflite in its artifact" };
  try {
    const out = await services.trainer.evaluateTflite(
      join(dir, file.name),
      images,
      services.config.labels,
    );
    return { predictions: out.predictions, file: file.name, variant: out.variant };
  } catch (err) {
    return {
      fallback: `production judged as TF.js model: LiteRT could not run its ${file.name}: ${(err as Error).message}`,
    };
  }
}

/** Production's predictions on `images` (configured label order): its TF.js model and its shipped file. */
export async function productionPredictions(
  production: ProductionPointer,
  services: PipelineServices,
  runDir: string,
  images: LabeledImage[],
): Promise<{ tfjs: number[]; shipped: ShippedPredictions }> {
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
    const tfjs = predictions.map((p) => map[p]!);
    return { tfjs, shipped: await productionShipped(production, services, dir, images) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
