/**
 * Throughput and memory of validate_data's deterministic checks on real photos
 * (../shared/data/real-mango-4stage), read from disk as a folder store would serve them:
 * - `real`: the 2,800 train photos as the batch, the 600 val photos as the evaluation set
 *   (hashed in the same timing, as a pipeline run does on a cold cache);
 * - `real+copies` at 10,000 and 100,000 images: the 2,800 train photos plus generated
 *   variants of them (mirrored or not, cropped 2-10% at a random offset, x0.85-1.0
 *   brightness (brighter clips the white sheet, which the exposure check refuses),
 *   re-encoded q70-92), made once into .mlops/bench/variants/ (not timed; reused by later
 *   runs), with the val photos as the evaluation set.
 * images/s counts batch images over the whole gate (load, decode, measure, copy search
 * within the batch and against the evaluation set, score); peak memory is the process's
 * largest resident set while it ran.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import sharp from "sharp";
import type { Manifest } from "../lib/manifest.ts";
import { runPool } from "../lib/pool.ts";
import { mulberry32 } from "../lib/random.ts";
import {
  checkShard,
  defaultQualityConfig,
  type EarlierSet,
  finishAssessment,
} from "../lib/quality/index.ts";
import { readRealSet, REAL_4STAGE, type RealPhoto, realSetPresent, sha256 } from "./real-photos.ts";

/** One benchmark line for the quality checks. */
export interface QualityBenchResult {
  bench: "quality";
  scenario: string;
  images: number;
  evaluation_images: number;
  concurrency: number;
  seconds: number;
  /** Batch images over the whole run, the evaluation set's hashing included. */
  images_per_s: number;
  /** Batch and evaluation images measured, over the whole run. */
  checked_per_s: number;
  /** The copy search, leakage, balance and score over the measured batch (finishAssessment). */
  batch_judging_seconds: number;
  peak_rss_mb: number;
  refused: number;
  quality_score: number;
  copy_search: { candidates: number; compared: number };
}

/** A variant of a real photo: another picture of the same fruit more than a copy, now and then close to one. */
async function variant(bytes: Buffer, rand: () => number): Promise<Buffer> {
  const crop = 0.02 + rand() * 0.08;
  const side = 224;
  const cut = Math.round(side * crop);
  const left = Math.floor(rand() * cut);
  const top = Math.floor(rand() * cut);
  let img = sharp(bytes)
    .resize(side, side, { fit: "fill" })
    .extract({ left, top, width: side - cut, height: side - cut })
    .linear(0.85 + rand() * 0.15, 0);
  if (rand() < 0.5) img = img.flop();
  return img.jpeg({ quality: 70 + Math.floor(rand() * 23) }).toBuffer();
}

/** Writes the variants missing under `dir` (`count - photos.length` in all); returns the batch's entries. */
async function withVariants(
  photos: RealPhoto[],
  count: number,
  dir: string,
): Promise<
  Array<{ key: string; label: string; sha256: string; split: "train" | "val"; file: string }>
> {
  const out = photos.map((p) => ({
    key: p.key,
    label: p.label,
    sha256: p.sha256,
    split: p.split,
    file: p.file,
  }));
  const extra = count - photos.length;
  const made: typeof out = new Array(Math.max(0, extra));
  await runPool(extra, 4, async (i) => {
    const src = photos[i % photos.length]!;
    const key = `variants/${Math.floor(i / photos.length)}/${src.key}`;
    const file = join(dir, key);
    let bytes: Buffer | undefined = await readFile(file).catch(() => undefined);
    if (!bytes) {
      const made = await variant(await readFile(src.file), mulberry32(1000 + i));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, made);
      bytes = made;
    }
    // Variants of one photo stay in its split, as the manifest builder would keep them.
    made[i] = { key, label: src.label, sha256: sha256(bytes), split: src.split, file };
  });
  return [...out, ...made];
}

/** Runs the gate on one scenario and measures it. */
async function run(
  scenario: string,
  entries: Array<{
    key: string;
    label: string;
    sha256: string;
    split: "train" | "val";
    file: string;
  }>,
  evaluation: RealPhoto[],
  concurrency: number,
): Promise<QualityBenchResult> {
  const config = defaultQualityConfig();
  const files = new Map([...entries, ...evaluation].map((e) => [e.key, e.file]));
  const load = async (img: { key: string }) => readFile(files.get(img.key)!);
  const manifestOf = (id: string, list: typeof entries | RealPhoto[]): Manifest => ({
    schema_version: 1,
    dataset_id: id,
    kind: "training",
    base_uri: `file://${REAL_4STAGE}`,
    labels: [...new Set(list.map((p) => p.label))].sort(),
    images: list.map((p) => ({ key: p.key, label: p.label, sha256: p.sha256, split: p.split })),
  });
  const batch = manifestOf(scenario, entries);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  const evalShard = await checkShard({
    manifest: manifestOf("evaluation", evaluation),
    load,
    config,
    concurrency,
  });
  const earlier: EarlierSet = {
    name: "the evaluation set",
    kind: "evaluation",
    images: evalShard.hashes,
  };
  const shard = await checkShard({ manifest: batch, load, config, concurrency });
  const judged = performance.now();
  const report = finishAssessment(batch, [shard], { config, earlier });
  const seconds = (performance.now() - started) / 1000;
  const batchSeconds = (performance.now() - judged) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    bench: "quality",
    scenario,
    images: entries.length,
    evaluation_images: evaluation.length,
    concurrency,
    seconds: Math.round(seconds * 10) / 10,
    images_per_s: Math.round((entries.length / seconds) * 10) / 10,
    checked_per_s: Math.round(((entries.length + evaluation.length) / seconds) * 10) / 10,
    batch_judging_seconds: Math.round(batchSeconds * 100) / 100,
    peak_rss_mb: Math.round(peak / 2 ** 20),
    refused: report.counts.failed,
    quality_score: report.quality_score,
    copy_search: {
      candidates: report.copy_search?.candidates ?? 0,
      compared: report.copy_search?.compared ?? 0,
    },
  };
}

/** The quality benchmarks at the given batch sizes (the real set alone, then real photos with variants). */
export async function benchQuality(opts: {
  sizes: number[];
  concurrency: number;
  variantsDir: string;
  onResult?: (r: QualityBenchResult) => void;
}): Promise<QualityBenchResult[]> {
  if (!realSetPresent(REAL_4STAGE))
    throw new Error(
      `the quality bench needs the real photos at ${REAL_4STAGE} (../shared/data/real-mango-4stage beside the project)`,
    );
  const photos = readRealSet(REAL_4STAGE);
  const train = photos.filter((p) => p.split === "train");
  const val = photos.filter((p) => p.split === "val");
  const results: QualityBenchResult[] = [];
  const done = (r: QualityBenchResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  done(
    await run(
      "real: 2,800 train photos vs 600 val as the evaluation set",
      train,
      val,
      opts.concurrency,
    ),
  );
  for (const size of opts.sizes) {
    const entries = await withVariants(train, size, opts.variantsDir);
    done(
      await run(
        `real+copies: ${size.toLocaleString("en")} images from the 2,800 train photos vs 600 val`,
        entries,
        val,
        opts.concurrency,
      ),
    );
  }
  return results;
}
