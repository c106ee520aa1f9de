/**
 * The ways a contributed image can be broken, each made from a good synthetic photo. The
 * data gate must catch every one of them, so each is made unmistakable: a gate that misses
 * one of these has a real bug, not a borderline call.
 */
import sharp from "sharp";
import { JPEG_OPTIONS, type RawImage, encodeJpeg } from "./draw.ts";
import type { Rng } from "./rng.ts";

/** What is wrong with one image of a bad batch ("ok" when nothing is). */
export const DEFECT_KINDS = [
  "blurred",
  "dark",
  "overexposed",
  "truncated",
  "wrong_checksum",
  "duplicate",
  "low_information",
  "ok",
] as const;
/** One defect kind. */
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Gaussian blur strong enough that no lens or motion excuse fits (sigma 5 at 224px). */
export function blurred(img: RawImage): Promise<Buffer> {
  const sigma = Math.max(4, (5 * img.width) / 224);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .blur(sigma)
    .jpeg(JPEG_OPTIONS)
    .toBuffer();
}

/** Rec. 601 mean luminance of a raw RGB image, 0..255. */
export function meanLuminance(img: RawImage): number {
  let sum = 0;
  const d = img.data;
  for (let o = 0; o < d.length; o += 3)
    sum += 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
  return sum / (d.length / 3);
}

/** Scaled down to a mean luminance of about 14/255: a shot in a dark store room. */
export function dark(img: RawImage): Promise<Buffer> {
  const gain = 14 / Math.max(1, meanLuminance(img));
  return encodeJpeg(mapPixels(img, (v) => v * gain));
}

/** Pushed up until nearly everything clips to white: a shot into the sun or with flash. */
export function overexposed(img: RawImage): Promise<Buffer> {
  return encodeJpeg(mapPixels(img, (v) => v * 3 + 120));
}

/** A nearly uniform picture (lens cap, a wall, a blank tray): well exposed, no content. */
export function lowInformation(img: RawImage, rng: Rng): Promise<Buffer> {
  const base = [rng.range(110, 190), rng.range(110, 190), rng.range(110, 190)];
  const data = new Uint8Array(img.data.length);
  for (let o = 0; o < data.length; o++) data[o] = Math.round(base[o % 3]! + rng.range(-1.5, 1.5));
  return encodeJpeg({ width: img.width, height: img.height, data });
}

/** The first ~40% of a JPEG: an upload cut off mid-transfer. */
export function truncated(jpeg: Buffer): Buffer {
  return jpeg.subarray(0, Math.floor(jpeg.length * 0.4));
}

/**
 * The same picture re-shot by the pipeline of a careless contributor: cropped by 1.5% a side,
 * resized back and re-encoded at quality 75. Not byte-identical, visually the same.
 */
export async function nearDuplicate(jpeg: Buffer, size: number): Promise<Buffer> {
  const m = Math.max(1, Math.round(size * 0.015));
  return sharp(jpeg)
    .extract({ left: m, top: m, width: size - 2 * m, height: size - 2 * m })
    .resize(size, size)
    .jpeg({ ...JPEG_OPTIONS, quality: 75 })
    .toBuffer();
}

function mapPixels(img: RawImage, f: (v: number) => number): RawImage {
  const data = new Uint8Array(img.data.length);
  for (let o = 0; o < data.length; o++) {
    const v = f(img.data[o]!);
    data[o] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: img.width, height: img.height, data };
}
