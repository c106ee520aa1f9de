/**
 * The frozen evaluation set: the one evaluation manifest both models are judged on, its
 * images fetched through the verified cache. Training evaluates the candidate on it and
 * analyze_performance re-judges both models on it, so both load it here.
 */
import { resolve } from "node:path";
import type { MlopsConfig } from "./config.ts";
import { type LabeledImage, materializeManifest } from "./dataset.ts";
import { manifestSha256, readManifest } from "./manifest-file.ts";
import type { HashCache, ObjectStore } from "./storage/index.ts";

/** The evaluation set as loaded: local images, the manifest's repo path and its sha256. */
export interface EvaluationSet {
  images: LabeledImage[];
  path: string;
  sha256: string;
}

/** The frozen evaluation set of `config`, verified and cached locally. */
export async function loadEvaluationSet(opts: {
  repoDir: string;
  config: MlopsConfig;
  openStore: (uri: string) => ObjectStore;
  cache: HashCache;
}): Promise<EvaluationSet> {
  const { repoDir, config } = opts;
  const path = config.paths.eval_manifest;
  const abs = resolve(repoDir, path);
  const manifest = await readManifest(abs);
  if (manifest.kind !== "evaluation") {
    throw new Error(
      `${path}: $.kind is "${manifest.kind}" but paths.eval_manifest must name an evaluation manifest (fix: point it at data-manifests/eval/<file>.json)`,
    );
  }
  const unknown = manifest.labels.filter((l) => !config.labels.includes(l));
  if (unknown.length)
    throw new Error(
      `${path}: $.labels has ${unknown.join(", ")}, not classes of this model (fix: align it with mlops.config.json labels)`,
    );
  const local = await materializeManifest(manifest, opts.openStore(manifest.base_uri), opts.cache);
  return { images: local.eval, path, sha256: await manifestSha256(abs) };
}
