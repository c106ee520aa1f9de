/**
 * check_for_new_data: finds the training manifests under `data-manifests/` that no
 * merged or pending model version has learned from yet (the registry's lineage records
 * each manifest's path and sha256, so an edited manifest counts as new).
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { manifestSha256 } from "../../lib/manifest-file.ts";
import {
  isManifestPath,
  listTrainingManifests,
  type ManifestPaths,
} from "../../lib/manifest-files.ts";
import { type NodeConfig, servicesOf } from "../services.ts";
import { type MLOpsStateType, type MLOpsUpdate, step } from "../state.ts";

/** Repo-relative paths of training manifests not yet trained on, sorted by path. */
export async function findUntrainedManifests(
  repoDir: string,
  paths: ManifestPaths,
  trained: Set<string>,
): Promise<Array<{ path: string; sha256: string }>> {
  const found: Array<{ path: string; sha256: string }> = [];
  // A manifest is new data by its bytes: one renamed or copied unchanged is not new.
  const learned = new Set([...trained].map((key) => key.slice(key.lastIndexOf("@") + 1)));
  for (const path of await listTrainingManifests(repoDir, paths)) {
    const sha256 = await manifestSha256(resolve(repoDir, path));
    if (!learned.has(sha256)) found.push({ path, sha256 });
  }
  return found;
}

/** The node. */
export async function checkForNewData(
  state: MLOpsStateType,
  config: NodeConfig,
): Promise<MLOpsUpdate> {
  const { repoDir, config: cfg, registry, log } = servicesOf(config);
  if (state.requested_manifest) {
    const abs = resolve(repoDir, state.requested_manifest);
    if (!isManifestPath(relative(repoDir, abs), cfg.paths)) {
      throw new Error(
        `--manifest ${state.requested_manifest}: is outside ${cfg.paths.manifests}/ of ${repoDir} or not a .json manifest, so it is not read (fix: commit the manifest under ${cfg.paths.manifests}/ and name it by its path in the repository)`,
      );
    }
    if (!existsSync(abs)) {
      throw new Error(
        `--manifest ${state.requested_manifest}: no such file in ${repoDir} (fix: give a path relative to the repository, e.g. data-manifests/batch.json)`,
      );
    }
    const path = relative(repoDir, abs);
    log(`check_for_new_data: training on the requested manifest ${path}`);
    return {
      new_data_path: path,
      manifest_sha256: await manifestSha256(abs),
      steps: step("check_for_new_data", `requested ${path}`),
    };
  }
  const trained = await registry.trainedManifests();
  const halted = await registry.rejectedManifests();
  const candidates = await findUntrainedManifests(repoDir, cfg.paths, new Set(trained.keys()));
  const untrained = candidates.filter((m) => !halted.has(m.sha256));
  for (const m of candidates.filter((c) => halted.has(c.sha256))) {
    log(
      `check_for_new_data: skipping ${m.path}: an earlier run halted on these exact bytes (${registry.rejectionRef(m.sha256)}); edit the manifest or pass --manifest to run it again`,
    );
  }
  if (!untrained.length) {
    log(
      `check_for_new_data: every manifest under ${cfg.paths.manifests}/ is already trained on (or in review); nothing to do.`,
    );
    return { new_data_path: null, steps: step("check_for_new_data", "no new data") };
  }
  const [first, ...rest] = untrained;
  log(
    `check_for_new_data: new manifest ${first!.path}${rest.length ? ` (${rest.length} more wait for later runs: ${rest.map((r) => r.path).join(", ")})` : ""}`,
  );
  return {
    new_data_path: first!.path,
    manifest_sha256: first!.sha256,
    pending_manifests: rest.map((r) => r.path),
    steps: step("check_for_new_data", `new: ${first!.path}`),
  };
}
