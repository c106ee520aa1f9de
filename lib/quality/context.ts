/**
 * What a batch is judged against, decided in one place: the model's classes, the frozen
 * evaluation set (any copy of it is leakage) and production's training data (copies,
 * label balance and shift). validate_data, `npm run validate` and the manifest review all
 * call this, so a batch cannot pass review and fail the pipeline, or the reverse.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { MlopsConfig } from "../config.ts";
import type { Registry } from "../registry.ts";
import type { HashCache, ObjectStore } from "../storage/index.ts";
import { type EarlierData, loadEarlierData } from "./earlier.ts";
import { fileHashMemo } from "./leakage.ts";
import { ManifestError } from "../manifest.ts";
import { readRecordedManifest, RecordedManifestMissingError } from "../manifest-history.ts";

/** Inputs of `dataGateContext`. */
export interface DataGateContextOptions {
  /** The repository the manifest belongs to: paths in the config and the registry are relative to it. */
  repoDir: string;
  config: MlopsConfig;
  /** The manifest being judged (absolute, or relative to `repoDir`): never compared with itself. */
  manifestPath: string;
  /** The model registry; production's lineage names the trained manifests. */
  registry?: Pick<Registry, "production" | "lineage">;
  /** Overrides the configured evaluation manifest (absolute or relative to `repoDir`); null for none. */
  evalManifest?: string | null;
  /** Overrides production's trained manifests (absolute or relative to `repoDir`). */
  trainedManifests?: string[];
  openStore: (uri: string) => ObjectStore;
  cache: HashCache;
  /** Folder of the copy-key memo (beside the image cache). */
  memoDir: string;
}

/** The context: earlier sets with their hashes, the label counts of trained data, notes, classes. */
export interface DataGateContext extends EarlierData {
  modelClasses: readonly string[];
}

/** Production's training manifests, repo-relative, with how reports name them. */
async function productionManifests(
  registry: NonNullable<DataGateContextOptions["registry"]>,
  repoDir: string,
  scratchDir: string,
  self: string,
  notes: string[],
): Promise<Array<{ path: string; name: string }>> {
  const production = await registry.production();
  if (!production) return [];
  const lineage = await registry.lineage(production.version);
  const out: Array<{ path: string; name: string }> = [];
  // The manifest being judged is never compared with its own earlier version.
  for (const m of (lineage?.manifests ?? []).filter((m) => m.path !== self)) {
    const name = `${m.path} (trained into ${production.version})`;
    try {
      // The bytes production learned from, even if the file was edited or deleted since.
      const recorded = await readRecordedManifest({
        repoDir,
        path: m.path,
        sha256: m.sha256,
        version: production.version,
        scratchDir,
      });
      out.push({ path: recorded.file, name });
    } catch (err) {
      if (!(err instanceof RecordedManifestMissingError) && !(err instanceof ManifestError))
        throw err;
      notes.push(
        `the trained manifest ${name} could not be read and was not compared: ${err.message.split("\n")[0]}`,
      );
    }
  }
  return out;
}

/**
 * Loads everything a batch is compared with. What is absent narrows the comparison with a
 * note (no evaluation manifest in the repository, no production yet, a registry or trained
 * manifest that cannot be read: repository content a retry would not change). A fault of a
 * store holding the evaluation set or production's data, and an evaluation manifest that
 * exists but cannot be read, throw (loadEarlierData): the batch is not judged at all rather
 * than judged without a comparison it should have had.
 */
export async function dataGateContext(opts: DataGateContextOptions): Promise<DataGateContext> {
  const { repoDir, config } = opts;
  const inRepo = (p: string) => (isAbsolute(p) ? p : resolve(repoDir, p));
  const self = relative(repoDir, inRepo(opts.manifestPath));
  const notes: string[] = [];

  const evalPath = opts.evalManifest === undefined ? config.paths.eval_manifest : opts.evalManifest;
  const evalManifest =
    evalPath !== null && existsSync(inRepo(evalPath))
      ? { path: inRepo(evalPath), name: `the evaluation set (${evalPath})` }
      : undefined;
  if (evalPath !== null && !evalManifest)
    notes.push(
      `no evaluation manifest at ${evalPath}, so leakage into an evaluation set was not checked`,
    );

  let trained: Array<{ path: string; name: string }> = [];
  if (opts.trainedManifests) {
    trained = opts.trainedManifests.map((p) => ({ path: p, name: p }));
  } else if (opts.registry) {
    // Production's data is what the batch is compared with, not what is judged: a registry
    // that cannot be read narrows the comparison (the report says so) but stops nothing.
    const scratch = join(opts.memoDir, "manifests");
    trained = await productionManifests(opts.registry, repoDir, scratch, self, notes).catch(
      (err: Error) => {
        notes.push(
          `production's training data could not be read, so copies of it, label balance and shift were judged on this batch alone: ${err.message.split("\n")[0]}`,
        );
        return [];
      },
    );
  }
  // The manifest being judged is never compared with itself, whoever named it.
  const earlier = await loadEarlierData({
    ...(evalManifest ? { evalManifest } : {}),
    trainedManifests: trained
      .filter((t) => relative(repoDir, inRepo(t.path)) !== self)
      .map((t) => ({ path: inRepo(t.path), name: t.name })),
    openStore: opts.openStore,
    cache: opts.cache,
    config: config.quality.checks,
    concurrency: config.quality.concurrency,
    memo: fileHashMemo(opts.memoDir, config.quality.checks.analysisSize),
  });
  return { ...earlier, notes: [...notes, ...earlier.notes], modelClasses: config.labels };
}
