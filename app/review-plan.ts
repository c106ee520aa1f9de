/**
 * The manifest review's plan: the training manifests a pull request adds or changes (a
 * renamed one included: it is new data at its new path), and how many shard jobs check
 * each, as the JSON matrix the workflow's check job runs
 * (`strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`). Every job of the review
 * computes the same plan from the same commit, so the plan job, the shard jobs and the
 * merge agree on what is checked without handing files around.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { MlopsConfig } from "../lib/config.ts";
import { git } from "../lib/git.ts";
import { isTrainingManifest } from "../lib/manifest-files.ts";
import { openManifest } from "../lib/quality/index.ts";
import { IMAGES_PER_SHARD, planShardCounts } from "../lib/quality/shards.ts";
import { storesOf } from "./services.ts";

/** One manifest of the plan. */
export interface ManifestPlan {
  /** Its path in the repository. */
  manifest: string;
  /** `m-` and 12 hex digits of its path's sha256: names its shard folder and artifacts. */
  id: string;
  /** Its images; 0 when the manifest cannot be used (the merge refuses it unchecked). */
  images: number;
  shards: number;
}

/** One job of the check matrix: shard `shard` (K/N) of `manifest`. */
export interface MatrixEntry {
  manifest: string;
  id: string;
  /** "K/N", as `--shard` reads it. */
  shard: string;
  /** "K-of-N": the shard's part of an artifact name (which may hold no "/"). */
  part: string;
}

/** The plan of a review. */
export interface ReviewPlan {
  manifests: ManifestPlan[];
  matrix: { include: MatrixEntry[] };
  /** Jobs in the matrix (0: nothing to check, the workflow skips the check job). */
  shards: number;
}

/** The id of a manifest path: stable, and safe in folder and artifact names. */
export function manifestId(path: string): string {
  return `m-${createHash("sha256").update(path).digest("hex").slice(0, 12)}`;
}

/**
 * Training manifests (lib/manifest-files.ts) added or modified since `baseSha`, renames
 * included (`--no-renames`: a renamed manifest is an addition), NUL-separated so no path is
 * quoted; evaluation manifests are reviewed by people.
 */
export async function changedManifests(
  repoDir: string,
  baseSha: string,
  config: MlopsConfig,
): Promise<string[]> {
  const out = await git(repoDir, [
    "diff",
    "-z",
    "--no-renames",
    "--name-only",
    "--diff-filter=AM",
    `${baseSha}...HEAD`,
    "--",
    config.paths.manifests,
  ]);
  const training: string[] = [];
  for (const path of out.split("\0").filter(Boolean))
    if (await isTrainingManifest(repoDir, path, config.paths)) training.push(path);
  return training;
}

/** The check matrix of planned manifests; pure. */
export function reviewMatrix(manifests: readonly ManifestPlan[]): { include: MatrixEntry[] } {
  return {
    include: manifests.flatMap((m) =>
      Array.from({ length: m.shards }, (_, i) => ({
        manifest: m.manifest,
        id: m.id,
        shard: `${i + 1}/${m.shards}`,
        part: `${i + 1}-of-${m.shards}`,
      })),
    ),
  };
}

/** Plans the review of the manifests changed since `baseSha`: one shard per `perShard` images. */
export async function planReview(req: {
  repoDir: string;
  config: MlopsConfig;
  baseSha: string;
  perShard?: number;
}): Promise<ReviewPlan> {
  const { repoDir, config } = req;
  const paths = await changedManifests(repoDir, req.baseSha, config);
  const openStore = storesOf(repoDir, config);
  const images: number[] = [];
  for (const path of paths) {
    const opened = await openManifest(resolve(repoDir, path), path, config, openStore);
    images.push("reason" in opened ? 0 : opened.manifest.images.length);
  }
  const counts = planShardCounts(images, req.perShard ?? IMAGES_PER_SHARD);
  const manifests = paths.map((manifest, i) => ({
    manifest,
    id: manifestId(manifest),
    images: images[i]!,
    shards: counts[i]!,
  }));
  const matrix = reviewMatrix(manifests);
  return { manifests, matrix, shards: matrix.include.length };
}
