/**
 * The data gate on one manifest file, assembled once for every caller (validate_data, `npm
 * run validate`, the manifest review of a pull request): read and fit-check the manifest,
 * open its store, load what the batch is compared with, run the checks and the VLM, write
 * the reports. A manifest that cannot be used is an outcome with its reason, written in the
 * same quality.json shape, never a throw; faults (a store down) still throw, to be retried.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { MlopsConfig } from "../config.ts";
import { formatManifestProblems, type Manifest, ManifestError } from "../manifest.ts";
import { readManifest } from "../manifest-file.ts";
import type { Registry } from "../registry.ts";
import { QUALITY_FILES, type QualityFileHead } from "../run-folder.ts";
import { fetchVerified, type HashCache, type ObjectStore } from "../storage/index.ts";
import type { VlmReviewer } from "../vlm/types.ts";
import type { ShardResult } from "./shard-check.ts";
import { dataGateContext } from "./context.ts";
import { type DataGateResult, runDataGate } from "./gate.ts";

/** What the gate on a manifest file needs. */
export interface ManifestGateInput {
  repoDir: string;
  config: MlopsConfig;
  /** The manifest, absolute or relative to `repoDir`. */
  manifestPath: string;
  /** How reports name it (default: `manifestPath`). */
  manifestName?: string;
  registry?: Pick<Registry, "production" | "lineage">;
  openStore: (uri: string) => ObjectStore;
  cache: HashCache;
  reviewer: VlmReviewer | { reason: string };
  outDir: string;
  markdownName?: string;
  /** Replace the configured evaluation manifest (null: none) or production's trained manifests. */
  evalManifest?: string | null;
  trainedManifests?: string[];
  /** Shard results to merge instead of checking the images here. */
  shards?: ShardResult[];
  log: (message: string) => void;
}

/** How the gate on a manifest file ended. */
export type ManifestGateOutcome =
  | {
      kind: "unusable";
      manifest: string;
      /** Every problem, one line each, with where and how to fix it. */
      reason: string;
      paths: { json: string; markdown: string };
    }
  | {
      kind: "checked";
      manifest: string;
      result: DataGateResult;
      /** sha256 of the images the checks refused (training leaves them out). */
      rejected: string[];
    };

/** Problems that make a manifest unusable for this model, beyond its own schema. */
export function manifestFitProblems(
  manifest: Manifest,
  modelLabels: string[],
  file: string,
): string[] {
  const unknown = manifest.labels.filter((l) => !modelLabels.includes(l));
  return unknown.length
    ? [
        `${file}: $.labels: ${unknown.map((l) => `"${l}"`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not a class of this model [${modelLabels.join(", ")}] (fix: correct the label, or add the class to mlops.config.json labels in its own reviewed change)`,
      ]
    : [];
}

/** Reads a manifest and opens its store, or says why it cannot be used. */
export async function openManifest(
  path: string,
  name: string,
  config: MlopsConfig,
  openStore: (uri: string) => ObjectStore,
): Promise<{ manifest: Manifest; store: ObjectStore } | { reason: string }> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(path);
  } catch (err) {
    if (err instanceof ManifestError) return { reason: formatManifestProblems(err.problems) };
    throw err;
  }
  const fit = manifestFitProblems(manifest, config.labels, name);
  if (fit.length) return { reason: fit.join("\n") };
  try {
    return { manifest, store: openStore(manifest.base_uri) };
  } catch (err) {
    return { reason: `${name}: $.base_uri: ${(err as Error).message}` };
  }
}

/** quality.json and the markdown report of a manifest that could not be used. */
async function writeRefusal(
  input: ManifestGateInput,
  name: string,
  reason: string,
): Promise<{ json: string; markdown: string }> {
  await mkdir(input.outDir, { recursive: true });
  const json = join(input.outDir, QUALITY_FILES.json);
  const markdown = join(input.outDir, input.markdownName ?? QUALITY_FILES.markdown);
  const record: QualityFileHead = {
    manifest: name,
    threshold: input.config.quality.threshold,
    passed: false,
    notes: [],
    quality_score: 0,
    error: reason,
  };
  await writeFile(json, JSON.stringify(record, null, 2) + "\n");
  await writeFile(
    markdown,
    `# Data quality: ${name}\n\n**quality_score 0 / 10**: the manifest cannot be used.\n\n\`\`\`\n${reason}\n\`\`\`\n`,
  );
  return { json, markdown };
}

/** Runs the data gate on a manifest file and writes its reports to `outDir`. */
export async function gateManifest(input: ManifestGateInput): Promise<ManifestGateOutcome> {
  const { repoDir, config, log } = input;
  const name = input.manifestName ?? input.manifestPath;
  const abs = isAbsolute(input.manifestPath)
    ? input.manifestPath
    : resolve(repoDir, input.manifestPath);
  const opened = await openManifest(abs, name, config, input.openStore);
  if ("reason" in opened) {
    log(`validate_data: ${name} cannot be used:\n${opened.reason}`);
    const paths = await writeRefusal(input, name, opened.reason);
    return { kind: "unusable", manifest: name, reason: opened.reason, paths };
  }
  const { manifest, store } = opened;
  log(
    `validate_data: checking ${manifest.images.length} images of ${manifest.dataset_id} (${manifest.base_uri})`,
  );
  const context = await dataGateContext({
    repoDir,
    config,
    manifestPath: abs,
    ...(input.registry ? { registry: input.registry } : {}),
    ...(input.evalManifest !== undefined ? { evalManifest: input.evalManifest } : {}),
    ...(input.trainedManifests ? { trainedManifests: input.trainedManifests } : {}),
    openStore: input.openStore,
    cache: input.cache,
    memoDir: input.cache.dir,
  });
  const result = await runDataGate({
    manifest,
    manifestName: name,
    load: async (image) => (await fetchVerified(store, image.key, image.sha256, input.cache)).bytes,
    quality: config.quality,
    ...(input.shards ? { shards: input.shards } : {}),
    earlier: context.earlier,
    modelClasses: context.modelClasses,
    notes: context.notes,
    ...(context.previousLabels ? { previousLabels: context.previousLabels } : {}),
    reviewer: input.reviewer,
    outDir: input.outDir,
    ...(input.markdownName ? { markdownName: input.markdownName } : {}),
    log,
  });
  const rejected = result.report.images
    .filter((i) => i.findings.some((f) => f.severity === "error"))
    .map((i) => i.sha256);
  return { kind: "checked", manifest: name, result, rejected };
}
