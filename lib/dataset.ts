/**
 * From manifests to local files the trainer reads: every image fetched through the
 * verified, content-addressed cache, so a file that does not match its manifest sha256
 * never reaches training.
 */
import type { Manifest } from "./manifest.ts";
import { fetchVerified, type HashCache, type ObjectStore } from "./storage/index.ts";

/** One image on local disk with its class label; `sha256` identifies it in predictions. */
export interface LabeledImage {
  /** Local file (JPEG/PNG/WebP: anything sharp decodes). */
  path: string;
  label: string;
  sha256: string;
}

/**
 * Runs `fn` over `items` with at most `limit` promises in flight, keeping order. The first
 * failure stops every worker from starting another item, and is thrown once those in
 * flight settle: a store that went down is not asked for the rest of a large manifest.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.error;
  return out;
}

/** Local, verified copies of a manifest's images, grouped by split. */
export interface MaterializedManifest {
  train: LabeledImage[];
  val: LabeledImage[];
  eval: LabeledImage[];
}

/**
 * Fetches (or finds in the cache) every image of `manifest` whose sha256 is not in
 * `exclude` (the images validate_data refused), and groups them by split. Any failure (a
 * store fault, an image gone since the gate) throws: training never runs on part of a batch.
 */
export async function materializeManifest(
  manifest: Manifest,
  store: ObjectStore,
  cache: HashCache,
  opts: { exclude?: ReadonlySet<string>; concurrency?: number } = {},
): Promise<MaterializedManifest> {
  const wanted = manifest.images.filter((img) => !opts.exclude?.has(img.sha256));
  const files = await mapLimit(wanted, opts.concurrency ?? 8, async (img) => {
    const { path } = await fetchVerified(store, img.key, img.sha256, cache);
    return { split: img.split, image: { path, label: img.label, sha256: img.sha256 } };
  });
  const result: MaterializedManifest = { train: [], val: [], eval: [] };
  for (const f of files) result[f.split].push(f.image);
  return result;
}
