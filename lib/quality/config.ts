/**
 * Thresholds and weights of the deterministic data gate (`validate_data`).
 *
 * Every number has a default calibrated on the 60 real mango photos in
 * `shared/data/real-mango-sample` (224x224 JPEG, white/green/hand backgrounds, all six
 * ripeness stages) and on degraded copies of them. The measured range of the real photos
 * is recorded next to each threshold, so whoever moves one can see how much margin is left.
 * Measurements are taken on a fixed-size grayscale/RGB downscale (`analysisSize`), so they
 * do not depend on the source resolution.
 */
import { z } from "zod";
import { inOrder, noRepeats } from "../config-checks.ts";

/** The checks the data gate runs; every finding names one. */
export const CHECK_NAMES = [
  "missing",
  "checksum",
  "decode",
  "dimensions",
  "blur",
  "exposure",
  "low_information",
  "grayscale",
  "duplicate",
  "label",
] as const;

/** One check of the data gate. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** Image formats the trainer can read; anything else is refused before any decoder runs. */
export const IMAGE_FORMATS = ["jpeg", "png", "webp"] as const;

const positive = z.number().positive();
const fraction = z.number().min(0).max(1);

/** Per-check weights: the exponent a check's pass rate is raised to (see score.ts). */
export const CheckWeightsSchema = z.strictObject({
  // A file the manifest promises but that cannot be fetched, has other bytes, cannot be
  // decoded or carries an unknown label is unusable outright: pull hardest.
  missing: positive.default(3),
  checksum: positive.default(3),
  decode: positive.default(3),
  label: positive.default(3),
  // Decodable but unfit to learn from: 30% of the batch failing one of these alone gives
  // 0.7^2 = 0.49, i.e. 4.9/10, well under the 7.0 gate.
  dimensions: positive.default(2),
  blur: positive.default(2),
  exposure: positive.default(2),
  low_information: positive.default(2),
  // Ripeness is mostly colour: a grayscale photo teaches the model almost nothing.
  grayscale: positive.default(2),
  // Exact copies are an upload mistake; near copies across splits leak val into train.
  duplicate: positive.default(2),
});

const QualityFields = z.strictObject({
  /** Formats accepted, recognised by their magic bytes (not the file name). */
  formats: z
    .array(z.enum(IMAGE_FORMATS))
    .min(1)
    .superRefine(noRepeats("format"))
    .default([...IMAGE_FORMATS]),
  // The trainer feeds MobileNetV2 96-224 px crops: a smaller source would be upscaled,
  // which invents no detail. Real photos: 224x224.
  minWidth: z.number().int().positive().default(96),
  minHeight: z.number().int().positive().default(96),
  // Phone cameras top out near 8000 px on the long side; beyond 12000 it is a panorama or
  // a scan, not a photo of one mango.
  maxWidth: z.number().int().positive().default(12000),
  maxHeight: z.number().int().positive().default(12000),
  // The trainer centre-crops to a square: at 3:1 two thirds of the picture are thrown
  // away and the fruit may be cut. Real photos: 1.0.
  maxAspectRatio: z.number().min(1).default(3),
  // Refused from the header, before decoding: 40 MP is ~120 MB of RGB pixels, above any
  // phone photo (a 200 MP sensor bins to 12-50 MP). A decompression bomb stops here.
  maxPixels: z.number().int().positive().default(40_000_000),
  /** Side of the square downscale every pixel measurement is taken on. */
  analysisSize: z.number().int().min(32).max(512).default(128),
  // Variance of the 4-neighbour Laplacian of the 128 px grayscale. Real photos: 107-912;
  // gaussian blur sigma 4 at 224 px: 4-11; sigma 2: 13-70 (partly caught); sigma 1:
  // 51-388 (passes: invisible at the 96-128 px the model sees). Between the two
  // populations at about their geometric mean, 3.5x under the softest real photo.
  minBlurVariance: z.number().nonnegative().default(30),
  // Mean luma (Rec. 601, 0-255). Real photos: 46-204 (46 is a dark mango on a dark
  // cloth, a fair photo). Brightness x0.1: 4-20; x0.3: 13-61 (partly caught).
  minMeanLuminance: z.number().min(0).max(255).default(30),
  // Real photos up to 204 even on white sheets; brightness x4: up to 252.
  maxMeanLuminance: z.number().min(0).max(255).default(240),
  /** Luma at or below which a pixel counts as crushed to black. */
  darkClipLevel: z.number().int().min(0).max(255).default(5),
  /** Luma at or above which a pixel counts as blown out to white. */
  brightClipLevel: z.number().int().min(0).max(255).default(250),
  // Fraction of clipped pixels. Real photos: dark 0-0.18 (black backgrounds), bright
  // 0-0.005 (white sheets sit near 230, not 255). Brightness x4 blows out 0.21-0.82 of the
  // picture, x2 0.03-0.79 (partly caught), so bright clipping is the sharper signal.
  maxDarkClipFraction: fraction.default(0.5),
  maxBrightClipFraction: fraction.default(0.1),
  // Low information, any one failing fails the image. Std dev of luma (real: 37-74) and
  // Shannon entropy of its histogram (real: 6.2-7.6 bits) catch blank and near-uniform
  // frames (solid colour + noise: std < 3, entropy < 4). Coarse detail, the Laplacian
  // variance at 32 px (real: 460-3022; a photo shrunk to 8x8 and scaled back up: 14-80),
  // catches a blown-up thumbnail, which has the histogram of a photo but nothing in it.
  // Blurred sigma 4 keeps 157-858 here (its outline survives), so it is reported as blur.
  minLuminanceStd: z.number().nonnegative().default(10),
  minEntropyBits: z.number().nonnegative().default(4),
  minCoarseDetail: z.number().nonnegative().default(120),
  // A photo blurred hard enough (synthetic sigma 5 at 224 px: coarse detail 76-658) can
  // fall under minCoarseDetail like a blown-up thumbnail (14-80). Their ratio of coarse
  // detail at 32 px to 16 px differs: thumbnails 0.079-0.097 (the 16 px structure survives
  // an 8 px source, the 32 px one does not), blurred photos 0.124-0.27 (real sigma 4:
  // 0.167-0.27, synthetic sigma 5: 0.124-0.222). At or above this ratio a picture that is
  // also under minBlurVariance is reported as blurred, the fix its owner needs.
  minBlurredCoarseRatio: z.number().nonnegative().default(0.11),
  // Saturation ratio sum(max-min)/sum(max). Real photos: 0.12-0.58 (a mango is never
  // grey, even on a white sheet); grayscale copies: 0.000; darkened x0.1: still >= 0.16.
  minSaturation: fraction.default(0.04),
  // Copies (see copies.ts, copy-index.ts). Calibrated with `npx tsx bench/copies.ts` on the
  // 3,400 real four-stage photos (5,778,300 pairs) and the 60 older samples, with copies of
  // every 4th photo: 850 each re-encoded q70, cropped 1.5% a side, mirrored, x1.2 brighter
  // and squashed 224x180 (the required kinds), resized, WebP, CMYK, x0.8 darker, and
  // mirrored + x1.15 brighter. Recall at these defaults: 850/850 of every kind, each named
  // as a copy of its own source. False copies: 0 of the 1,680,000 pairs across splits (the
  // set keeps every copy of a photo in one split), 0 of 1,770 sample pairs; 11 of the
  // 4,098,300 pairs within a split are reported, and all 11 are copies to look at: 8 photos
  // filed as both unripe and early_ripe (UR49/ER3 ... UR105/ER11, similarity 0.989-0.998),
  // a burst of one mango (PR80/PR81, 0.973) and two edited copies (0.951, 0.960).
  //
  // Two keys find candidates; a pair within either radius is compared (a radius, not a
  // verdict). pHash distance (of 64 bits): copies at most 2 (re-encoded, mirrored, squashed),
  // 6 (CMYK), 10 (cropped), 12 (x1.2 brighter: the white sheet clips).
  maxDuplicateDistance: z.number().int().min(0).max(11).default(10),
  // Structure-hash distance (of 64 bits, see structureHash): copies at most 4 (re-encoded,
  // mirrored, squashed), 6 (CMYK), 9 (x1.2 brighter), 10 (cropped). So every copy above is
  // within one radius or the other; the brightened ones that pHash places at 11-12 are
  // found by their structure. At most 11 (the index probes up to 2 bits of each of its 4
  // chunks). Real photos within 10 of each other: 25,882 pairs by structure, 41,414 by pHash.
  maxStructureDistance: z.number().int().min(0).max(11).default(10),
  // Colour-layout distance (capped chroma of a 4x4 grid, 0-60 levels, light neutral cells
  // such as the sheet left out, mirrored layouts compared mirrored; see phash.ts) at or
  // under which a candidate can be a copy. A copy keeps its colours; a photo recoloured
  // into another stage does not (ripeness is colour). With the sheet left out every copy
  // above is within 20 (x1.2 brighter was the widest: 12 of 850 over 20 before).
  maxDuplicateColourDistance: z.number().min(0).max(60).default(20),
  // Registered picture similarity (0-1, see copySimilarity) at or over which a candidate is
  // a copy. Copies: lowest 0.9549 (cropped 1.5%; 1st percentile 0.965), x1.2 brighter
  // 0.969, all other kinds 0.983 and up. Distinct photos: the closest pair across splits
  // 0.9095, within a split 0.933 (UR42/UR54, two different fruit). 0.945 sits between them,
  // 0.010 under the lowest copy and 0.012 over the closest distinct pair.
  minCopySimilarity: z.number().min(0).max(1).default(0.945),
  // The weight of copies within one split and label (warnings): the share of the batch
  // that is not such a copy, raised to this power, scales the score. 1% of the batch gives
  // 0.99 (10 -> 9.9); 30% gives 0.7. Copies across splits or labels are errors (weights).
  nearCopyWeight: z.number().min(0).default(1),
  // Label balance of what the candidate will learn from (earlier trained data plus this
  // batch, as labelled): the smallest class's share times the number of classes, 1 when
  // balanced, 0 when a class is empty. Under 0.25 a class has less than a quarter of its fair
  // share and the model mostly learns to ignore it. The synthetic and real sets sit at 1.0.
  minClassBalance: fraction.default(0.25),
  // The factor an imbalanced batch's score is multiplied by: 10 becomes 8, so imbalance
  // alone does not stop a batch, but with a few refused images it does.
  balancePenalty: fraction.default(0.8),
  // Total variation distance between this batch's label shares and the last trained data's
  // (0 = same mix, 1 = disjoint). Reported as a warning: new data may legitimately differ
  // (a harvest is mostly one stage), but a person should see it.
  maxLabelShift: fraction.default(0.3),
  weights: CheckWeightsSchema.prefault({}),
});

/**
 * Thresholds and weights of the data gate; `QualityConfigSchema.parse({})` gives the
 * defaults. Each min is at most its max, and the smallest image allowed fits in maxPixels.
 */
export const QualityConfigSchema = QualityFields.superRefine(
  inOrder([
    ["minWidth", "maxWidth"],
    ["minHeight", "maxHeight"],
    ["minMeanLuminance", "maxMeanLuminance"],
    // A pixel is either crushed to black or blown out, never both.
    ["darkClipLevel", "brightClipLevel", "strict"],
  ]),
).superRefine((q, ctx) => {
  if (q.minWidth * q.minHeight > q.maxPixels)
    ctx.addIssue({
      code: "custom",
      path: ["maxPixels"],
      message: `is ${q.maxPixels}, fewer than the smallest image allowed (minWidth x minHeight = ${q.minWidth * q.minHeight}): every image would be refused (fix: raise maxPixels or lower minWidth/minHeight)`,
    });
});

/** Settings of the data gate, defaults applied. */
export type QualityConfig = z.infer<typeof QualityConfigSchema>;

/** Per-check weights, defaults applied. */
export type CheckWeights = z.infer<typeof CheckWeightsSchema>;

/** The default configuration; a fresh object so callers may spread and override it. */
export function defaultQualityConfig(): QualityConfig {
  return QualityConfigSchema.parse({});
}
