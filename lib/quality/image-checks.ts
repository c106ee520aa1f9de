/**
 * Measures one image: header facts, then pixel statistics on a fixed-size downscale.
 *
 * This is the only module of the data gate that touches pixels. It never throws for bad
 * input: an empty file, a text file named .jpg, a truncated JPEG or a decompression bomb
 * comes back as a `DecodeFailure` saying what is wrong, and judging is left to score.ts.
 */
import sharp, { type Metadata } from "sharp";
import { copyThumbnail, encodeThumbnail } from "./copies.ts";
import { boxDownsample, colourSignature, hashOfThumbnail } from "./phash.ts";
import type { QualityConfig } from "./config.ts";

/** A format recognised from an image's magic bytes. */
export type ImageFormat = "jpeg" | "png" | "webp";

/** What an image is and how it looks, measured on an `analysisSize` square downscale. */
export interface ImageMeasurements {
  ok: true;
  format: ImageFormat;
  /** Width and height as displayed (EXIF orientation applied). */
  width: number;
  height: number;
  /** Channels as stored, alpha included. */
  channels: number;
  hasAlpha: boolean;
  /** Colour space as stored (`srgb`, `cmyk`, `b-w`, ...); pixels are measured in sRGB. */
  space: string;
  /** Variance of the Laplacian of the grayscale downscale: low means blurred. */
  blurVariance: number;
  /** Mean luma (Rec. 601), 0-255. */
  meanLuminance: number;
  /** Fractions of pixels crushed to black / blown out to white (see config clip levels). */
  darkClipFraction: number;
  brightClipFraction: number;
  /** Standard deviation of luma, 0-127.5. */
  luminanceStd: number;
  /** Shannon entropy of the 256-bin luma histogram, 0-8 bits. */
  entropyBits: number;
  /**
   * Laplacian variance of a 32 px box average: the structure left once fine texture is
   * gone. A blurred photo keeps its outline here; an upscaled thumbnail or a blank frame
   * does not.
   */
  coarseDetail: number;
  /**
   * The same at 16 px. A thumbnail blown up from 8 px keeps this but loses the 32 px detail;
   * a blurred photo loses both gradually, so their ratio tells the two apart (see score.ts).
   */
  veryCoarseDetail: number;
  /**
   * Chroma relative to brightness, sum(max - min) / sum(max) of R,G,B, 0-1: about 0 for a
   * grayscale picture. Being a ratio, it does not drop when a photo is merely dark.
   */
  saturation: number;
  /** 64-bit perceptual hash of `thumb` as 16 hex characters (see phash.ts). */
  hash: string;
  /** 32x32 luma thumbnail as base64: what a copy is recognised by (see copies.ts). */
  thumb: string;
  /** Mean R,G,B of a 4x4 grid as 96 hex characters: what a near copy must also match. */
  colour: string;
}

/** Why an image could not be measured. `too_large` is refused from the header alone. */
export interface DecodeFailure {
  ok: false;
  reason: "empty" | "format" | "corrupt" | "too_large";
  message: string;
  format?: ImageFormat;
  width?: number;
  height?: number;
}

/** The outcome of `analyzeImage`. */
export type ImageAnalysis = ImageMeasurements | DecodeFailure;

/** The format an image's first bytes announce, whatever its file name says. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes.length >= 12 &&
    String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP"
  )
    return "webp";
  return undefined;
}

function describeBytes(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable)
    return `it starts with the text "${Buffer.from(head).toString("latin1").replace(/\s+/g, " ").trim()}"`;
  return `it starts with the bytes ${Buffer.from(head.subarray(0, 8)).toString("hex")}`;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim();
}

/**
 * Measures an image, or says why it cannot be. The pixel limit is enforced from the header
 * before any pixel is decoded; libjpeg/libpng warnings (truncation, corrupt data) fail the
 * decode, because a half-grey photo would otherwise pass as a real one.
 */
export async function analyzeImage(bytes: Buffer, cfg: QualityConfig): Promise<ImageAnalysis> {
  if (bytes.length === 0)
    return { ok: false, reason: "empty", message: "is an empty file (0 bytes)" };
  const format = sniffFormat(bytes);
  if (!format || !cfg.formats.includes(format)) {
    const accepted = cfg.formats.map((f) => f.toUpperCase()).join(", ");
    return {
      ok: false,
      reason: "format",
      message: `is not an image in an accepted format (${accepted}): ${describeBytes(bytes)}`,
      ...(format ? { format } : {}),
    };
  }

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: "warning", limitInputPixels: false }).metadata();
  } catch (err) {
    return {
      ok: false,
      reason: "corrupt",
      format,
      message: `has a ${format.toUpperCase()} signature but an unreadable header: ${errorText(err)}`,
    };
  }
  // EXIF orientations 5-8 rotate by 90 degrees: the displayed picture is transposed.
  const transposed = (meta.orientation ?? 1) >= 5;
  const width = (transposed ? meta.height : meta.width) ?? 0;
  const height = (transposed ? meta.width : meta.height) ?? 0;
  if (width * height > cfg.maxPixels) {
    return {
      ok: false,
      reason: "too_large",
      format,
      width,
      height,
      message: `declares ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, above the ${(cfg.maxPixels / 1e6).toFixed(1)} MP limit; refused without decoding`,
    };
  }

  const size = cfg.analysisSize;
  let rgb: Buffer;
  try {
    const { data, info } = await sharp(bytes, {
      failOn: "warning",
      limitInputPixels: cfg.maxPixels,
      autoOrient: true,
    })
      // Transparent areas would otherwise count as black; white is what a viewer shows.
      .flatten({ background: "#ffffff" })
      // CMYK and grayscale sources are measured as the sRGB picture the trainer will see.
      .toColourspace("srgb")
      .resize(size, size, { fit: "fill" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) {
      throw new Error(`unexpected ${info.width}x${info.height}x${info.channels} raster`);
    }
    rgb = data;
  } catch (err) {
    return {
      ok: false,
      reason: "corrupt",
      format,
      width,
      height,
      message: `cannot be decoded (${errorText(err)}): the file is truncated or corrupt`,
    };
  }

  return {
    ok: true,
    format,
    width,
    height,
    channels: meta.channels ?? 3,
    hasAlpha: meta.hasAlpha ?? false,
    space: meta.space ?? "unknown",
    ...pixelStatistics(rgb, size, cfg),
  };
}

type PixelStatistics = Pick<
  ImageMeasurements,
  | "blurVariance"
  | "meanLuminance"
  | "darkClipFraction"
  | "brightClipFraction"
  | "luminanceStd"
  | "entropyBits"
  | "coarseDetail"
  | "veryCoarseDetail"
  | "saturation"
  | "hash"
  | "thumb"
  | "colour"
>;

// At 32 px a mango is still a clear shape, while sensor-level texture and focus are gone.
const COARSE_SIDE = 32;

/** Statistics of a square RGB raster (3 bytes per pixel, `size` x `size`). */
export function pixelStatistics(
  rgb: Uint8Array,
  size: number,
  cfg: Pick<QualityConfig, "darkClipLevel" | "brightClipLevel">,
): PixelStatistics {
  const n = size * size;
  const gray = new Uint8Array(n);
  const histogram = new Uint32Array(256);
  let sum = 0;
  let sumSq = 0;
  let dark = 0;
  let bright = 0;
  let chroma = 0;
  let peak = 0;
  const darkLevel = cfg.darkClipLevel;
  const brightLevel = cfg.brightClipLevel;
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = rgb[p]!;
    const g = rgb[p + 1]!;
    const b = rgb[p + 2]!;
    // Rec. 601 luma in 16-bit fixed point: this loop runs for every pixel of every image.
    const y = (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16;
    gray[i] = y;
    histogram[y]!++;
    sum += y;
    sumSq += y * y;
    if (y <= darkLevel) dark++;
    if (y >= brightLevel) bright++;
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    chroma += max - min;
    peak += max;
  }
  const mean = sum / n;
  const thumb = copyThumbnail(gray, size, size);
  let entropy = 0;
  for (const count of histogram) {
    if (count > 0) entropy -= (count / n) * Math.log2(count / n);
  }
  return {
    blurVariance: laplacianVariance(gray, size, size),
    meanLuminance: mean,
    darkClipFraction: dark / n,
    brightClipFraction: bright / n,
    luminanceStd: Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
    entropyBits: entropy,
    coarseDetail: laplacianVariance(
      boxDownsample(gray, size, size, COARSE_SIDE),
      COARSE_SIDE,
      COARSE_SIDE,
    ),
    veryCoarseDetail: laplacianVariance(
      boxDownsample(gray, size, size, COARSE_SIDE / 2),
      COARSE_SIDE / 2,
      COARSE_SIDE / 2,
    ),
    saturation: peak > 0 ? chroma / peak : 0,
    hash: hashOfThumbnail(thumb),
    thumb: encodeThumbnail(thumb),
    colour: colourSignature(rgb, size, size),
  };
}

/** Variance of the 4-neighbour Laplacian over the interior of a grayscale raster. */
export function laplacianVariance(gray: ArrayLike<number>, width: number, height: number): number {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * gray[i]!;
      sum += l;
      sumSq += l * l;
      count++;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return sumSq / count - mean * mean;
}
