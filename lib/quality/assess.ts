/**
 * The data gate over a whole manifest: load every image through the caller's loader,
 * verify, measure, judge, find duplicates and score. Loading is the only IO and it is
 * passed in, so the same code checks a local folder, an S3 prefix or an in-memory batch.
 */
import { createHash } from "node:crypto";
import type { Manifest, ManifestImage } from "../manifest.ts";
import { ChecksumMismatchError, InvalidKeyError, ObjectNotFoundError } from "../storage/errors.ts";
import { type QualityConfig, QualityConfigSchema } from "./config.ts";
import { analyzeImage, type ImageMeasurements } from "./image-checks.ts";
import { findDuplicates, findEarlierMatches, type HashedImage } from "./phash.ts";
import { describeScoring, type BatchScore, type Finding, judgeDuplicates, judgeEarlierMatches, judgeImage, scoreBatch } from "./score.ts";

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
}

/** The data gate's verdict on a manifest: JSON-serializable, no pixel data. */
export interface QualityReport extends BatchScore {
  images: ImageReport[];
  per_class: Record<string, { images: number; failed: number }>;
  /** How quality_score was computed, in words. */
  scoring: string;
}

/** Inputs of `assessImages`. */
export interface AssessOptions {
  manifest: Manifest;
  /** Fetches an image's bytes; may throw the storage errors, which become findings. */
  load: (image: ManifestImage) => Promise<Buffer>;
  /** Thresholds and weights; defaults when omitted. */
  config?: QualityConfig;
  /** Images in flight at once (each holds its bytes only while it is measured). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Hashes of an earlier set (e.g. the evaluation set): matches are leakage. */
  earlier?: { name: string; images: HashedImage[] };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function reported(m: ImageMeasurements): ReportedMeasurements {
  return {
    format: m.format, width: m.width, height: m.height, space: m.space,
    blur: round(m.blurVariance, 1), luminance: round(m.meanLuminance, 1),
    dark_clip: round(m.darkClipFraction, 4), bright_clip: round(m.brightClipFraction, 4),
    std: round(m.luminanceStd, 2), entropy: round(m.entropyBits, 3),
    coarse_detail: round(m.coarseDetail, 1), saturation: round(m.saturation, 4), hash: m.hash, colour: m.colour,
  };
}

/** The finding for a loader that threw: storage errors map to their checks. */
export function loadFailureFinding(err: unknown): Finding {
  if (err instanceof ChecksumMismatchError) {
    return { check: "checksum", severity: "error", message: `has other bytes than the manifest promises (${err.message})`, fix: "re-upload the original file, or update sha256 in the manifest if the file was meant to change" };
  }
  if (err instanceof ObjectNotFoundError) {
    return { check: "missing", severity: "error", message: `is not in the store (${err.uri})`, fix: "upload the file under base_uri, or remove it from the manifest" };
  }
  if (err instanceof InvalidKeyError) {
    return { check: "missing", severity: "error", message: `cannot be fetched: ${err.message}`, fix: "give the key relative to base_uri, without '..' or a leading '/'" };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { check: "missing", severity: "error", message: `could not be loaded: ${message}`, fix: "check that the store is reachable and the file readable, then rerun" };
}

async function runPool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/**
 * Checks every image of a manifest and scores the batch. Never throws for bad data: a
 * missing, altered, truncated or non-image file becomes a finding of that image. The
 * sha256 of the loaded bytes is verified here even if the loader verified it too, since
 * the score must not depend on how careful a storage backend is.
 */
export async function assessImages(opts: AssessOptions): Promise<QualityReport> {
  const { manifest, load, onProgress } = opts;
  const cfg = opts.config ?? QualityConfigSchema.parse({});
  const labels = new Set(manifest.labels);
  const images: ImageReport[] = manifest.images.map((img) => ({ key: img.key, label: img.label, split: img.split, sha256: img.sha256, findings: [] }));
  const hashed: HashedImage[] = [];
  let done = 0;

  await runPool(manifest.images.length, opts.concurrency ?? 4, async (i) => {
    const entry = manifest.images[i]!;
    const out = images[i]!;
    if (!labels.has(entry.label)) {
      out.findings.push({ check: "label", severity: "error", message: `has label "${entry.label}", not one of [${manifest.labels.join(", ")}]`, fix: "correct the label, or add the class to labels" });
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await load(entry);
    } catch (err) {
      out.findings.push(loadFailureFinding(err));
    }
    if (bytes) {
      const actual = createHash("sha256").update(bytes).digest("hex");
      if (actual !== entry.sha256) {
        out.findings.push({ check: "checksum", severity: "error", message: `hashes to ${actual}, the manifest says ${entry.sha256}`, fix: "re-upload the original file, or update sha256 in the manifest if the file was meant to change" });
      }
      const analysis = await analyzeImage(bytes, cfg);
      out.findings.push(...judgeImage(analysis, cfg));
      if (analysis.ok) {
        out.measurements = reported(analysis);
        hashed[i] = { key: entry.key, sha256: actual, hash: analysis.hash, colour: analysis.colour };
      }
    }
    onProgress?.(++done, manifest.images.length);
  });

  // In manifest order, so "the first copy is kept" is the first one listed.
  const batch = hashed.filter((h): h is HashedImage => h !== undefined);
  const byKey = new Map(images.map((img) => [img.key, img]));
  const rule = { maxHashDistance: cfg.maxDuplicateDistance, maxColourDistance: cfg.maxDuplicateColourDistance };
  const extra = judgeDuplicates(findDuplicates(batch, rule), byKey);
  if (opts.earlier) {
    for (const [key, fs] of judgeEarlierMatches(findEarlierMatches(batch, opts.earlier.images, rule), opts.earlier.name)) {
      extra.set(key, [...(extra.get(key) ?? []), ...fs]);
    }
  }
  for (const [key, fs] of extra) byKey.get(key)?.findings.push(...fs);

  const per_class: Record<string, { images: number; failed: number }> = {};
  for (const img of images) {
    const c = (per_class[img.label] ??= { images: 0, failed: 0 });
    c.images++;
    if (img.findings.some((f) => f.severity === "error")) c.failed++;
  }
  const score = scoreBatch(images.map((img) => img.findings), cfg);
  return { ...score, images, per_class, scoring: describeScoring(cfg) };
}
