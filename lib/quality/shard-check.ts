/**
 * The first step of the data gate over a manifest (assess.ts): `checkShard` loads and
 * measures the images of one shard (or all of them) with bounded concurrency, keeping only
 * small numbers per image and the hashes the copy search needs. Loading is the only IO and
 * it is passed in, so the same code checks a local folder, an S3 prefix or an in-memory
 * batch.
 */
import { createHash } from "node:crypto";
import type { Manifest, ManifestImage } from "../manifest.ts";
import { runPool } from "../pool.ts";
import { isDataError, objectUri, StoreAccessError } from "../storage/errors.ts";
import type { VlmImageReview } from "../vlm/types.ts";
import { type QualityConfig, QualityConfigSchema } from "./config.ts";
import type { HashedImage } from "./copy-index.ts";
import { analyzeImage, type ImageMeasurements } from "./image-checks.ts";
import { judgeImage } from "./image-findings.ts";
import { loadFailureFinding } from "./leakage.ts";
import type { Finding } from "./score.ts";
import { shardRange } from "./shards.ts";

/** The measurements kept in a report: small numbers, rounded. */
export interface ReportedMeasurements {
  format: string;
  width: number;
  height: number;
  space: string;
  blur: number;
  luminance: number;
  dark_clip: number;
  bright_clip: number;
  std: number;
  entropy: number;
  coarse_detail: number;
  very_coarse_detail: number;
  saturation: number;
  hash: string;
  colour: string;
}

/** One image of the report. `sha256` is the manifest's, which identifies the entry. */
export interface ImageReport {
  key: string;
  label: string;
  split: string;
  sha256: string;
  findings: Finding[];
  measurements?: ReportedMeasurements;
  /** The VLM's view, when this image was in its sample. */
  review?: Omit<VlmImageReview, "key" | "label">;
}

/** What a shard's job hands to the merge: per image findings and measurements, plus hashes. */
export interface ShardResult {
  dataset_id: string;
  manifest_images: number;
  shard: { index: number; count: number; start: number; end: number };
  images: ImageReport[];
  /** Hashes of the decodable images, with the sha256 of their actual bytes. */
  hashes: HashedImage[];
}

/** Inputs of `checkShard`. */
export interface CheckShardOptions {
  manifest: Manifest;
  /**
   * Fetches an image's bytes. A data error it throws (see `isDataError`) becomes a finding
   * of the image; anything else is a fault that aborts the check.
   */
  load: (image: ManifestImage) => Promise<Buffer>;
  config?: QualityConfig;
  /** Images in flight at once (each holds its bytes only while it is measured). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Which part of the manifest (0-based index of count); the whole manifest when omitted. */
  shard?: { index: number; count: number };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function reported(m: ImageMeasurements): ReportedMeasurements {
  return {
    format: m.format,
    width: m.width,
    height: m.height,
    space: m.space,
    blur: round(m.blurVariance, 1),
    luminance: round(m.meanLuminance, 1),
    dark_clip: round(m.darkClipFraction, 4),
    bright_clip: round(m.brightClipFraction, 4),
    std: round(m.luminanceStd, 2),
    entropy: round(m.entropyBits, 3),
    coarse_detail: round(m.coarseDetail, 1),
    very_coarse_detail: round(m.veryCoarseDetail, 1),
    saturation: round(m.saturation, 4),
    hash: m.hash,
    colour: m.colour,
  };
}

/**
 * Loads and measures the images of one shard. Never throws for bad data: a missing,
 * altered, truncated or non-image file becomes a finding of that image. A fault of the
 * store (unreachable, timing out, refusing credentials) is no verdict on the data: no more
 * images are started, and once those in flight settle it is thrown as a `StoreAccessError`
 * naming the store, to be retried. The sha256 of the loaded bytes is verified here even if
 * the loader verified it too, since the score must not depend on how careful a storage
 * backend is. Bytes are dropped as soon as an image is measured, so memory stays at
 * `concurrency` images whatever the manifest's size.
 */
export async function checkShard(opts: CheckShardOptions): Promise<ShardResult> {
  const { manifest, load, onProgress } = opts;
  const cfg = opts.config ?? QualityConfigSchema.parse({});
  const shard = opts.shard ?? { index: 0, count: 1 };
  const { start, end } = shardRange(manifest.images.length, shard.index, shard.count);
  const entries = manifest.images.slice(start, end);
  const labels = new Set(manifest.labels);
  const images: ImageReport[] = entries.map((img) => ({
    key: img.key,
    label: img.label,
    split: img.split,
    sha256: img.sha256,
    findings: [],
  }));
  const hashed: Array<HashedImage | undefined> = [];
  let done = 0;
  let fault: StoreAccessError | undefined;

  await runPool(entries.length, opts.concurrency ?? 4, async (i) => {
    if (fault) return;
    const entry = entries[i]!;
    const out = images[i]!;
    if (!labels.has(entry.label)) {
      out.findings.push({
        check: "label",
        severity: "error",
        message: `has label ${JSON.stringify(entry.label)}, not one of [${manifest.labels.join(", ")}]`,
        fix: "correct the label, or add the class to labels",
      });
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await load(entry);
    } catch (err) {
      if (!isDataError(err)) {
        fault ??=
          err instanceof StoreAccessError
            ? err
            : new StoreAccessError("fetch", objectUri(manifest.base_uri, entry.key), {
                cause: err,
              });
        return;
      }
      out.findings.push(loadFailureFinding(err));
    }
    if (bytes) {
      const actual = createHash("sha256").update(bytes).digest("hex");
      if (actual !== entry.sha256) {
        // Never the actual hash: it would tell a report's readers the hash of whatever
        // file the key points at.
        out.findings.push({
          check: "checksum",
          severity: "error",
          message: `has ${bytes.length} bytes that do not hash to the manifest's sha256 ${entry.sha256}`,
          fix: "re-upload the original file, or update sha256 in the manifest if the file was meant to change",
        });
      }
      const analysis = await analyzeImage(bytes, cfg);
      out.findings.push(...judgeImage(analysis, cfg));
      if (analysis.ok) {
        out.measurements = reported(analysis);
        hashed[i] = {
          key: entry.key,
          sha256: actual,
          hash: analysis.hash,
          colour: analysis.colour,
          thumb: analysis.thumb,
        };
      }
    }
    onProgress?.(++done, entries.length);
  });
  if (fault) throw fault;
  return {
    dataset_id: manifest.dataset_id,
    manifest_images: manifest.images.length,
    shard: { index: shard.index, count: shard.count, start, end },
    images,
    hashes: hashed.filter((h): h is HashedImage => h !== undefined),
  };
}
