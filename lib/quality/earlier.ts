/**
 * The data a batch is compared with: the frozen evaluation set (any copy is leakage) and
 * the manifests the candidate will also learn from (copies, label balance and shift).
 * Reads manifests and fetches their images through the verified cache; hashes are
 * remembered by sha256, so each earlier image is decoded once per machine, not per run.
 */
import type { Manifest, ManifestImage } from "../manifest.ts";
import { readManifest } from "../manifest.ts";
import { fetchVerified, type HashCache, type ObjectStore } from "../storage/index.ts";
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

function loaderFor(
  manifest: Manifest,
  opts: EarlierDataOptions,
): (img: ManifestImage) => Promise<Buffer> {
  const store = opts.openStore(manifest.base_uri);
  return async (img) => (await fetchVerified(store, img.key, img.sha256, opts.cache)).bytes;
}

/**
 * Hashes of the evaluation set and of earlier trained manifests, and the label counts of
 * the latter. A set that cannot be read is left out with a note, not an error: the batch
 * can still be judged on its own, and the report says what it was not compared with.
 */
export async function loadEarlierData(opts: EarlierDataOptions): Promise<EarlierData> {
  const out: EarlierData = { earlier: [], notes: [] };
  const hash = async (manifest: Manifest, name: string) => {
    const r = await hashManifestImages({
      manifest,
      load: loaderFor(manifest, opts),
      config: opts.config,
      concurrency: opts.concurrency,
      memo: opts.memo,
    });
    if (r.skipped)
      out.notes.push(`${r.skipped} image(s) of ${name} could not be hashed and were not compared`);
    return r.images;
  };
  if (opts.evalManifest) {
    try {
      const m = await readManifest(opts.evalManifest.path);
      out.earlier.push({
        name: opts.evalManifest.name,
        kind: "evaluation",
        images: await hash(m, opts.evalManifest.name),
      });
    } catch (err) {
      out.notes.push(
        `${opts.evalManifest.name} could not be read, so leakage into it was not checked: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }
  const labels: string[] = [];
  const names: string[] = [];
  for (const t of opts.trainedManifests ?? []) {
    try {
      const m = await readManifest(t.path);
      out.earlier.push({ name: t.name, kind: "trained", images: await hash(m, t.name) });
      labels.push(...m.images.map((i) => i.label));
      names.push(t.name);
    } catch (err) {
      out.notes.push(
        `the trained manifest ${t.name} could not be read and was not compared: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }
  if (names.length)
    out.previousLabels = {
      name: names.length === 1 ? names[0]! : `${names.length} trained manifests`,
      counts: countLabels(labels),
    };
  return out;
}
