/**
 * The data a batch is compared with: the frozen evaluation set (any copy is leakage) and
 * the manifests the candidate will also learn from (copies, label balance and shift).
 * Reads manifests and fetches their images through the verified cache; hashes are
 * remembered by sha256, so each earlier image is decoded once per machine, not per run.
 *
 * What cannot be compared is decided here. A fault of a store (unreachable, timing out,
 * refusing credentials) is thrown: judging the batch without that comparison would let
 * copies or leakage pass because of an outage. The evaluation set must be readable too
 * (a broken frozen set is thrown, to be fixed in its own change). A trained manifest that
 * is gone or unreadable, and single earlier images that are missing or altered, are left
 * out with a note: that data was judged when it came in.
 */
import type { Manifest, ManifestImage } from "../manifest.ts";
import { readManifest } from "../manifest-file.ts";
import { fetchVerified, type HashCache, isDataError, type ObjectStore } from "../storage/index.ts";
import type { EarlierSet } from "./assess.ts";
import { countLabels, type LabelCounts } from "./batch-checks.ts";
import type { QualityConfig } from "./config.ts";
import { type HashMemo, hashManifestImages } from "./leakage.ts";

/** What `loadEarlierData` found, and notes on what it could not use. */
export interface EarlierData {
  earlier: EarlierSet[];
  previousLabels?: { name: string; counts: LabelCounts };
  notes: string[];
}

/** Inputs of `loadEarlierData`: manifest files by path (absolute, or relative to the caller's cwd). */
export interface EarlierDataOptions {
  /** The frozen evaluation manifest, when there is one. */
  evalManifest?: { path: string; name: string };
  /** Manifests the candidate will also learn from (e.g. production's lineage). */
  trainedManifests?: Array<{ path: string; name: string }>;
  openStore: (uri: string) => ObjectStore;
  cache: HashCache;
  config: QualityConfig;
  concurrency?: number;
  memo?: HashMemo;
}

/**
 * A loader over the manifest's store that remembers the first fault and, once it has one,
 * starts no more fetches (hashManifestImages counts every failed load as skipped).
 */
function faultTrappingLoader(
  store: ObjectStore,
  opts: EarlierDataOptions,
): { load: (img: ManifestImage) => Promise<Buffer>; fault: () => unknown } {
  let fault: unknown;
  return {
    load: async (img) => {
      if (fault !== undefined) throw fault;
      try {
        return (await fetchVerified(store, img.key, img.sha256, opts.cache)).bytes;
      } catch (err) {
        if (!isDataError(err)) fault ??= err;
        throw err;
      }
    },
    fault: () => fault,
  };
}

/**
 * Hashes of the evaluation set and of earlier trained manifests, and the label counts of
 * the latter. Throws on a store fault and on an unreadable evaluation set; a trained
 * manifest that cannot be read is left out with a note (see the module comment).
 */
export async function loadEarlierData(opts: EarlierDataOptions): Promise<EarlierData> {
  const out: EarlierData = { earlier: [], notes: [] };
  const hash = async (manifest: Manifest, store: ObjectStore, name: string) => {
    const loader = faultTrappingLoader(store, opts);
    const r = await hashManifestImages({
      manifest,
      load: loader.load,
      config: opts.config,
      concurrency: opts.concurrency,
      memo: opts.memo,
    });
    if (loader.fault() !== undefined) throw loader.fault();
    if (r.skipped)
      out.notes.push(`${r.skipped} image(s) of ${name} could not be hashed and were not compared`);
    return r.images;
  };
  if (opts.evalManifest) {
    const { path, name } = opts.evalManifest;
    let manifest: Manifest;
    let store: ObjectStore;
    try {
      manifest = await readManifest(path);
      store = opts.openStore(manifest.base_uri);
    } catch (err) {
      throw new Error(
        `${name} cannot be read, so leakage into it cannot be checked and no batch is judged: ${(err as Error).message.split("\n")[0]} (fix the evaluation manifest, or paths.eval_manifest in mlops.config.json, in its own change; then retry)`,
        { cause: err },
      );
    }
    out.earlier.push({ name, kind: "evaluation", images: await hash(manifest, store, name) });
  }
  const labels: string[] = [];
  const names: string[] = [];
  for (const t of opts.trainedManifests ?? []) {
    let manifest: Manifest;
    let store: ObjectStore;
    try {
      manifest = await readManifest(t.path);
      store = opts.openStore(manifest.base_uri);
    } catch (err) {
      out.notes.push(
        `the trained manifest ${t.name} could not be read and was not compared: ${(err as Error).message.split("\n")[0]}`,
      );
      continue;
    }
    out.earlier.push({
      name: t.name,
      kind: "trained",
      images: await hash(manifest, store, t.name),
    });
    labels.push(...manifest.images.map((i) => i.label));
    names.push(t.name);
  }
  if (names.length)
    out.previousLabels = {
      name: names.length === 1 ? names[0]! : `${names.length} trained manifests`,
      counts: countLabels(labels),
    };
  return out;
}
