/**
 * validate_data: the data gate. Reads the new manifest, fetches every image through the
 * verified cache, runs the deterministic checks (including copies of the evaluation set
 * and of production's training data, and label balance and shift), lets the VLM review a
 * sample when one is configured, and scores the batch out of 10 (lib/quality/combine.ts).
 * A manifest that cannot be used at all scores 0 with the reason as the failure analysis;
 * nothing here throws for bad data or an unavailable VLM.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { resolveIn } from "../../lib/config.ts";
import {
  formatManifestProblems,
  type Manifest,
  ManifestError,
  readManifest,
} from "../../lib/manifest.ts";
import { dataGateContext, runDataGate } from "../../lib/quality/index.ts";
import { fetchVerified } from "../../lib/storage/index.ts";
import { vlmNotConfiguredReason } from "../../lib/vlm/settings.ts";
import type { VlmReviewer } from "../../lib/vlm/types.ts";
import { type NodeConfig, type PipelineServices, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

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

/** The VLM to ask: the services' own (tests swap it), else one built from config + env, else why none. */
export async function vlmReviewerFor(
  services: PipelineServices,
): Promise<VlmReviewer | { reason: string }> {
  if (services.vlm) return services.vlm;
  const settings = services.config.quality.vlm;
  const reason = vlmNotConfiguredReason(settings);
  if (reason) return { reason };
  // Loaded only when configured: the embedded default never pays for the OpenAI client.
  const { vlmReviewerFromSettings } = await import("../../lib/vlm/client.ts");
  return vlmReviewerFromSettings(settings, process.env, { log: services.log });
}

/** The node. */
export async function validateData(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { repoDir, config: cfg, log } = services;
  const runDir = services.runDir(state.run_id);
  await mkdir(runDir, { recursive: true });
  const file = state.new_data_path!;

  const refuse = async (reason: string): Promise<MLOpsUpdate> => {
    const report = { quality_score: 0, manifest: file, error: reason };
    const path = join(runDir, "quality.json");
    await writeFile(path, JSON.stringify(report, null, 2) + "\n");
    await writeFile(
      join(runDir, "quality.md"),
      `# Data quality: ${file}\n\n**quality_score 0 / 10**: the manifest cannot be used.\n\n\`\`\`\n${reason}\n\`\`\`\n`,
    );
    log(`validate_data: ${file} cannot be used:\n${reason}`);
    return {
      quality_score: 0,
      quality_report_path: path,
      quality_breakdown: null,
      failure_analysis_report: `The manifest ${file} cannot be used, so no image was checked:\n${reason}\nFix the manifest and push again; production is unchanged.`,
      steps: step("validate_data", "manifest refused"),
    };
  };

  let manifest: Manifest;
  try {
    manifest = await readManifest(resolve(repoDir, file));
  } catch (err) {
    if (err instanceof ManifestError) return refuse(formatManifestProblems(err.problems));
    throw err;
  }
  const fit = manifestFitProblems(manifest, cfg.labels, file);
  if (fit.length) return refuse(fit.join("\n"));

  let store;
  try {
    store = services.openStore(manifest.base_uri);
  } catch (err) {
    return refuse(`${file}: $.base_uri: ${(err as Error).message}`);
  }
  log(
    `validate_data: checking ${manifest.images.length} images of ${manifest.dataset_id} (${manifest.base_uri})`,
  );
  const context = await dataGateContext({
    repoDir,
    config: cfg,
    manifestPath: file,
    registry: services.registry,
    openStore: services.openStore,
    cache: services.cache,
    memoDir: resolveIn(repoDir, cfg.paths.cache),
  });
  const result = await runDataGate({
    manifest,
    manifestName: file,
    load: async (image) =>
      (await fetchVerified(store, image.key, image.sha256, services.cache)).bytes,
    quality: cfg.quality,
    earlier: context.earlier,
    modelClasses: context.modelClasses,
    notes: context.notes,
    ...(context.previousLabels ? { previousLabels: context.previousLabels } : {}),
    reviewer: await vlmReviewerFor(services),
    outDir: runDir,
    log,
  });
  const { report } = result;
  const rejected = report.images
    .filter((i) => i.findings.some((f) => f.severity === "error"))
    .map((i) => i.sha256);
  log(
    `validate_data: quality_score ${report.quality_score.toFixed(1)}/10 (threshold ${cfg.quality.threshold}; deterministic ${report.breakdown.deterministic.toFixed(1)}, ${report.breakdown.vlm.consulted ? `VLM ${report.breakdown.vlm.used?.toFixed(1)}` : `VLM not consulted: ${report.breakdown.vlm.reason}`}); ${rejected.length} of ${manifest.images.length} images refused`,
  );
  return {
    quality_score: report.quality_score,
    quality_report_path: result.paths.json,
    quality_breakdown: report.breakdown,
    rejected_images: rejected,
    failure_analysis_report: result.failure_analysis,
    steps: step("validate_data", `score ${report.quality_score.toFixed(1)}`),
  };
}
