/**
 * Which files under `paths.manifests` are manifests, and which of those are training
 * manifests: the one definition that check_for_new_data, the manifest review of a pull
 * request and the bucket watch share.
 *
 * A manifest file is a `.json` file anywhere under `paths.manifests` that is not a JSON
 * schema (`*.schema.json`). A training manifest is a manifest file that is not an
 * evaluation manifest: not `paths.eval_manifest`, not under `<paths.manifests>/eval/`, and
 * not declaring `"kind": "evaluation"`. A file that cannot be parsed (or is a link, which is
 * never followed) counts as training: it is still a contribution, and the data gate says
 * what is wrong with it.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { duplicateKeys } from "./json-keys.ts";
import { manifestSha256, readManifestFile } from "./manifest-file.ts";

/** The config paths the definition depends on. */
export interface ManifestPaths {
  manifests: string;
  eval_manifest: string;
}

/** True when `path` (repo-relative) names a manifest file under `paths.manifests`. */
export function isManifestPath(path: string, paths: ManifestPaths): boolean {
  const under = relative(paths.manifests, path);
  return (
    !under.startsWith("..") &&
    !under.startsWith("/") &&
    path.endsWith(".json") &&
    !path.endsWith(".schema.json")
  );
}

/** Repo-relative paths of every manifest file under `paths.manifests`, sorted. */
export async function listManifestFiles(repoDir: string, paths: ManifestPaths): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs);
      else if (isManifestPath(relative(repoDir, abs), paths)) out.push(relative(repoDir, abs));
    }
  };
  await walk(resolve(repoDir, paths.manifests));
  return out.sort();
}

/** True for a manifest file (repo-relative) that is a training manifest; reads its `kind`. */
export async function isTrainingManifest(
  repoDir: string,
  path: string,
  paths: ManifestPaths,
): Promise<boolean> {
  if (!isManifestPath(path, paths)) return false;
  if (resolve(repoDir, path) === resolve(repoDir, paths.eval_manifest)) return false;
  if (!relative(join(paths.manifests, "eval"), path).startsWith("..")) return false;
  try {
    const text = (await readManifestFile(resolve(repoDir, path))).toString("utf8");
    // A repeated key (a second "kind" saying evaluation) must not hide a manifest from the
    // gate: it counts as training, and the gate refuses it for the repeat.
    if (duplicateKeys(text).length) return true;
    return (JSON.parse(text) as { kind?: unknown })?.kind !== "evaluation";
  } catch {
    return true;
  }
}

/** Repo-relative paths of every training manifest, sorted. */
export async function listTrainingManifests(
  repoDir: string,
  paths: ManifestPaths,
): Promise<string[]> {
  const out: string[] = [];
  for (const path of await listManifestFiles(repoDir, paths))
    if (await isTrainingManifest(repoDir, path, paths)) out.push(path);
  return out;
}

/** The manifest changed after the run fixed its sha256: its bytes were not what was checked. */
export class ManifestChangedError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string | null,
    node: string,
  ) {
    super(
      `${node}: ${path} ${actual ? `changed since this run began (sha256 ${expected.slice(0, 12)}… then, ${actual.slice(0, 12)}… now)` : "was deleted since this run began"}, so this run stops instead of using bytes the data gate did not check; production is unchanged (fix: start a new run: the changed manifest is new data and goes through the data gate)`,
    );
    this.name = "ManifestChangedError";
  }
}

/** Throws `ManifestChangedError` unless `path` still hashes to `sha256` (a resumed run). */
export async function assertUnchanged(
  repoDir: string,
  path: string,
  sha256: string,
  node: string,
): Promise<void> {
  const abs = resolve(repoDir, path);
  const actual = existsSync(abs) ? await manifestSha256(abs) : null;
  if (actual !== sha256) throw new ManifestChangedError(path, sha256, actual, node);
}
