/**
 * The seed's "new objects in the bucket" trigger, as GitOps: objects that appeared under
 * an incoming prefix become a manifest (lib/dataset-builder.ts: label = the folder right
 * under the prefix, sha256 computed from the bytes, a seeded stratified split that keeps
 * copies together), which is then proposed as a pull request, so new data still enters
 * through a reviewed commit. Each run proposes a manifest of its own (`incoming-<UTC time>`),
 * so a run never rewrites a manifest that was merged; objects it cannot use are skipped and
 * reported, never a reason to stop.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { buildManifest, type SkippedObject } from "./dataset-builder.ts";
import { listManifestFiles, type ManifestPaths } from "./manifest-files.ts";
import type { Manifest } from "./manifest.ts";
import type { QualityConfig } from "./quality/index.ts";
import type { ObjectStore } from "./storage/index.ts";

export type { SkippedObject } from "./dataset-builder.ts";

/** Keys (under a base URI) that committed manifests already list. */
export async function listedKeys(
  repoDir: string,
  paths: ManifestPaths,
  baseUri: string,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const path of await listManifestFiles(repoDir, paths)) {
    try {
      const m = JSON.parse(await readFile(join(repoDir, path), "utf8")) as Partial<Manifest>;
      if (m.base_uri === baseUri) for (const img of m.images ?? []) keys.add(img.key);
    } catch {
      // An unreadable manifest lists nothing; the manifest review reports it.
    }
  }
  return keys;
}

/**
 * Builds a training manifest from the new images under `prefix` (keys not in `known`), with
 * the same builder as `npm run manifest`. Returns undefined as manifest when nothing new is there.
 */
export async function manifestFromIncoming(
  store: ObjectStore,
  opts: {
    prefix: string;
    labels: string[];
    known: Set<string>;
    datasetId: string;
    valFraction?: number;
    description?: string;
    quality?: QualityConfig;
  },
): Promise<{ manifest?: Manifest; skipped: SkippedObject[] }> {
  const built = await buildManifest(store, {
    prefix: opts.prefix,
    datasetId: opts.datasetId,
    labels: opts.labels,
    known: opts.known,
    valFraction: opts.valFraction ?? 0.2,
    description:
      opts.description ??
      `New objects under ${store.baseUri.replace(/\/$/, "")}/${opts.prefix === "" ? "" : opts.prefix.replace(/\/?$/, "/")}`,
    ...(opts.quality ? { quality: opts.quality } : {}),
  });
  if (built.problems)
    throw new Error(
      `the watcher built an invalid manifest: ${built.problems.join("; ")} (fix: check the objects under the incoming location; those listed are what it could use)`,
    );
  return { ...(built.manifest ? { manifest: built.manifest } : {}), skipped: built.skipped };
}

/** The dataset id of one run's incoming batch: `incoming-2026-11-27T101500Z` (UTC, to the second). */
export function bucketDatasetId(now: Date): string {
  return `incoming-${now.toISOString().slice(0, 19).replace(/:/g, "")}Z`;
}

/**
 * The dataset id and repo-relative path of this run's manifest: `bucketDatasetId(now)`, with
 * `-2`, `-3`, ... appended while a manifest of that name exists, so no committed manifest
 * is ever overwritten.
 */
export function newIncomingManifest(
  repoDir: string,
  manifestsDir: string,
  now: Date,
): { datasetId: string; path: string } {
  const base = bucketDatasetId(now);
  for (let n = 1; ; n++) {
    const datasetId = n === 1 ? base : `${base}-${n}`;
    const path = `${manifestsDir.replace(/\/+$/, "")}/${datasetId}.json`;
    if (!existsSync(join(repoDir, path))) return { datasetId, path };
  }
}
