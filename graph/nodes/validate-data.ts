/**
 * validate_data: the data gate (lib/quality/manifest-gate.ts) on the new manifest. Every
 * image is fetched through the verified cache and checked (including copies of the
 * evaluation set and of production's training data, label balance and shift), the VLM
 * reviews a sample when one is configured, and the batch is scored out of 10. A manifest
 * that cannot be used at all scores 0 with the reason as the failure analysis; nothing
 * here throws for bad data or an unavailable VLM.
 */
import { assertUnchanged } from "../../lib/manifest-files.ts";
import { gateManifest } from "../../lib/quality/index.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

/** The node. */
export async function validateData(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const services = servicesOf(config);
  const { config: cfg, log } = services;
  const file = state.new_data_path!;
  // A resumed run checks the bytes check_for_new_data chose, or stops.
  if (state.manifest_sha256)
    await assertUnchanged(services.repoDir, file, state.manifest_sha256, "validate_data");
  const outcome = await gateManifest({
    repoDir: services.repoDir,
    config: cfg,
    manifestPath: file,
    registry: services.registry,
    openStore: services.openStore,
    cache: services.cache,
    reviewer: services.vlm,
    outDir: services.runDir(state.run_id),
    log,
  });
  if (outcome.kind === "unusable") {
    return {
      quality_score: 0,
      quality_report_path: outcome.paths.json,
      quality_breakdown: null,
      failure_analysis_report: `The manifest ${file} cannot be used, so no image was checked:\n${outcome.reason}\nFix the manifest and push again; production is unchanged.`,
      steps: step("validate_data", "manifest refused"),
    };
  }
  const { report, paths, failure_analysis } = outcome.result;
  const vlm = report.breakdown.vlm;
  log(
    `validate_data: quality_score ${report.quality_score.toFixed(1)}/10 (threshold ${cfg.quality.threshold}; deterministic ${report.breakdown.deterministic.toFixed(1)}, ${vlm.consulted ? `VLM ${vlm.used?.toFixed(1)}` : `VLM not consulted: ${vlm.reason}`}); ${outcome.rejected.length} of ${report.counts.images} images refused`,
  );
  return {
    quality_score: report.quality_score,
    quality_report_path: paths.json,
    quality_breakdown: report.breakdown,
    rejected_images: outcome.rejected,
    failure_analysis_report: failure_analysis,
    steps: step("validate_data", `score ${report.quality_score.toFixed(1)}`),
  };
}
