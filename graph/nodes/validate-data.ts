/**
 * validate_data: the data gate. Reads the new manifest, fetches every image through the
 * verified cache, runs the deterministic checks and scores the batch out of 10. A
 * manifest that cannot be used at all scores 0 with the reason as the failure analysis;
 * nothing here throws for bad data.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { formatManifestProblems, type Manifest, ManifestError, readManifest } from "../../lib/manifest.ts";
import { assessImages, failureAnalysis, renderQualityMarkdown } from "../../lib/quality/index.ts";
import { fetchVerified } from "../../lib/storage/index.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

/** Problems that make a manifest unusable for this model, beyond its own schema. */
export function manifestFitProblems(manifest: Manifest, modelLabels: string[], file: string): string[] {
  const unknown = manifest.labels.filter((l) => !modelLabels.includes(l));
  return unknown.length
    ? [`${file}: $.labels: ${unknown.map((l) => `"${l}"`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not a class of this model [${modelLabels.join(", ")}] (fix: correct the label, or add the class to mlops.config.json labels in its own reviewed change)`]
    : [];
}

/** The node. */
export async function validateData(state: MLOpsStateType, config: NodeConfig): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { repoDir, config: cfg, log } = services;
  const runDir = services.runDir(state.run_id);
  await mkdir(runDir, { recursive: true });
  const file = state.new_data_path!;
  const threshold = cfg.quality.threshold;

  const refuse = async (reason: string): Promise<MLOpsUpdate> => {
    const report = { quality_score: 0, manifest: file, error: reason };
    const path = join(runDir, "quality.json");
    await writeFile(path, JSON.stringify(report, null, 2) + "\n");
    await writeFile(join(runDir, "quality.md"), `# Data quality: ${file}\n\n**quality_score 0 / 10**: the manifest cannot be used.\n\n\`\`\`\n${reason}\n\`\`\`\n`);
    log(`validate_data: ${file} cannot be used:\n${reason}`);
    return {
      quality_score: 0,
      quality_report_path: path,
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
  log(`validate_data: checking ${manifest.images.length} images of ${manifest.dataset_id} (${manifest.base_uri})`);
  const report = await assessImages({
    manifest,
    load: async (image) => (await fetchVerified(store, image.key, image.sha256, services.cache)).bytes,
    config: cfg.quality.checks,
    concurrency: cfg.quality.concurrency,
  });
  const path = join(runDir, "quality.json");
  await writeFile(path, JSON.stringify({ manifest: file, threshold, ...report }, null, 2) + "\n");
  await writeFile(join(runDir, "quality.md"), renderQualityMarkdown(report, { threshold }));
  const rejected = report.images.filter((i) => i.findings.some((f) => f.severity === "error")).map((i) => i.sha256);
  const passed = report.quality_score >= threshold;
  log(`validate_data: quality_score ${report.quality_score.toFixed(1)}/10 (threshold ${threshold}); ${rejected.length} of ${manifest.images.length} images refused`);
  return {
    quality_score: report.quality_score,
    quality_report_path: path,
    rejected_images: rejected,
    failure_analysis_report: passed ? null : failureAnalysis(report, threshold),
    steps: step("validate_data", `score ${report.quality_score.toFixed(1)}`),
  };
}
