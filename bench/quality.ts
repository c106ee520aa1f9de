/**
 * Throughput of validate_data's deterministic checks on 224x224 JPEGs (synthetic photos
 * drawn once, then read from an in-memory loader so only the checks are timed).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assessImages } from "../lib/quality/index.ts";
import { QualityConfigSchema } from "../lib/quality/config.ts";
import type { Manifest } from "../lib/manifest.ts";
import { synthesizeDataset } from "../synth/dataset.ts";

/** One benchmark line for the quality checks. */
export interface QualityBenchResult {
  bench: "quality";
  images: number;
  concurrency: number;
  images_per_s: number;
  peak_rss_mb: number;
}

/** Checks `images` images (distinct photos repeated under new keys) and times it. */
export async function benchQuality(opts: { images: number; distinct: number; concurrency: number }): Promise<QualityBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "mlops-bench-quality-"));
  try {
    const base = await synthesizeDataset({ outDir: dir, prefix: "p", datasetId: "bench", kind: "training", perClass: Math.ceil(opts.distinct / 5), seed: 77 });
    const bytes = new Map<string, Buffer>();
    for (const img of base.images) bytes.set(img.key, await readFile(join(dir, img.key)));
    const images = Array.from({ length: opts.images }, (_, i) => ({ ...base.images[i % base.images.length]!, key: `copy${Math.floor(i / base.images.length)}/${base.images[i % base.images.length]!.key}` }));
    const manifest: Manifest = { ...base, images };
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    const started = performance.now();
    await assessImages({
      manifest,
      load: async (img) => bytes.get(img.key.slice(img.key.indexOf("/") + 1))!,
      config: QualityConfigSchema.parse({}),
      concurrency: opts.concurrency,
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    return { bench: "quality", images: opts.images, concurrency: opts.concurrency, images_per_s: Math.round((opts.images / seconds) * 10) / 10, peak_rss_mb: Math.round(peak / 2 ** 20) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
