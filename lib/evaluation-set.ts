/**
 * The frozen evaluation set: the one evaluation manifest both models are judged on, its
 * images fetched through the verified cache. Training evaluates the candidate on it and
 * analyze_performance re-judges both models on it, so both load it here. Each image keeps
 * its manifest tags, the slices the analysis reports the set by.
 */
import { resolve } from "node:path";
import type { MlopsConfig } from "./config.ts";
import { type LabeledImage, materializeManifest } from "./dataset.ts";
import { manifestSha256, readManifest } from "./manifest-file.ts";
import type { HashCache, ObjectStore } from "./storage/index.ts";

/** An evaluation image with the manifest's tags (`{}` when it has none): its slices. */
export interface EvaluationImage extends LabeledImage {
  tags: Record<string, string>;
}

/** The evaluation set as loaded: local images, the manifest's repo path and its sha256. */
export interface EvaluationSet {
  images: EvaluationImage[];
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
  // An evaluation manifest holds only "eval" images, fetched in manifest order.
  const images = local.eval.map((img, i): EvaluationImage => {
    const entry = manifest.images[i];
    if (entry?.sha256 !== img.sha256)
      throw new Error(
        `${path}: $.images[${i}] (sha256 ${entry?.sha256.slice(0, 12)}…) does not match the image fetched for it (${img.sha256.slice(0, 12)}…), so its tags cannot be matched (fix: every image of an evaluation manifest must have split "eval")`,
      );
    return { ...img, tags: { ...entry.tags } };
  });
  return { images, path, sha256: await manifestSha256(abs) };
}
