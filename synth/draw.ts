/**
 * One synthetic photo from start to finish: surface, light, subject, then what a phone
 * camera adds (exposure and white-balance error, vignetting, sensor noise), encoded as a
 * JPEG with fixed settings so the same seed always gives the same bytes.
 */
import sharp from "sharp";
import { type BackgroundKind, paintBackground } from "./background.ts";
import { paintLeaf } from "./leaf.ts";
import { createLight } from "./light.ts";
import { paintMango } from "./mango.ts";
import { createCanvas } from "./noise.ts";
import { type Rng, createRng } from "./rng.ts";

/** The classes, in the order the model's outputs use: four ripeness stages and a leaf. */
export const MANGO_CLASSES = ["verde", "pinton", "maduro", "sobremaduro", "hoja"] as const;
/** One class of the mango classifier. */
export type Label = (typeof MANGO_CLASSES)[number];

/** The JPEG settings every synthetic image is written with (part of the determinism). */
export const JPEG_OPTIONS = { quality: 90, chromaSubsampling: "4:2:0", mozjpeg: false } as const;

/** A raw RGB picture, 3 bytes per pixel, row-major. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** What a photo was really drawn with: the conditions a manifest can tag it by. */
export interface Scene {
  /** The surface under the fruit. */
  background: BackgroundKind;
  /** The light's colour: warm lamps, neutral, cool daylight (thirds of its range). */
  lighting: "warm" | "neutral" | "cool";
}

/** A rendered photo and the scene it shows. */
export interface RenderedPhoto extends RawImage {
  readonly scene: Scene;
}

/** Warmth (the light's red minus 1) beyond which a light counts as warm, or below minus it as cool. */
const WARMTH_THIRD = 0.05 / 3;

/**
 * Renders one photo of `label` as raw RGB. All randomness comes from `rng`, so the caller
 * decides what a picture depends on (see `photoRng`).
 */
export function renderPhoto(label: Label, rng: Rng, size = 224): RenderedPhoto {
  const canvas = createCanvas(size, size);
  const background = paintBackground(canvas, rng);
  const light = createLight(rng);
  if (label === "hoja") paintLeaf(canvas, rng, light);
  else paintMango(canvas, rng, label, light);
  const warmth = light.r - 1;
  const lighting = warmth > WARMTH_THIRD ? "warm" : warmth < -WARMTH_THIRD ? "cool" : "neutral";
  return {
    width: size,
    height: size,
    data: finishLikeACamera(canvas.px, size, size, rng),
    scene: { background, lighting },
  };
}

/** The random stream for image `index` of `label` under `seed`: independent of all others. */
export function photoRng(seed: number, label: string, index: number): Rng {
  return createRng("mango-photo", seed, label, index);
}

/** Encodes raw RGB as a JPEG with the fixed settings, no metadata. */
export function encodeJpeg(img: RawImage, quality: number = JPEG_OPTIONS.quality): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ ...JPEG_OPTIONS, quality })
    .toBuffer();
}

/**
 * Sensor noise is read from one fixed table of noise at a random offset per image: drawing
 * fresh random numbers for every pixel was the slowest step of a render, and nobody can
 * tell two noise patterns apart.
 */
const NOISE_TABLE = (() => {
  const rng = createRng("mango-sensor-noise");
  const t = new Float32Array(1 << 20);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  return t;
})();

function finishLikeACamera(px: Float32Array, w: number, h: number, rng: Rng): Uint8Array {
  // Clamped storage rounds and clips on assignment, which is faster than doing it by hand.
  const out = new Uint8ClampedArray(w * h * 3);
  const exposure = rng.range(0.93, 1.06);
  const wb = [rng.range(0.96, 1.04), 1, rng.range(0.96, 1.04)] as const;
  const vignette = rng.range(0.05, 0.2);
  const noise = rng.range(2, 3.2);
  const chroma = noise * 0.5;
  const cx = w / 2;
  const cy = h / 2;
  const r2max = cx * cx + cy * cy;
  const mask = NOISE_TABLE.length - 1;
  let n = rng.int(0, mask);
  for (let y = 0; y < h; y++) {
    const dy2 = (y - cy) * (y - cy);
    for (let x = 0; x < w; x++) {
      const gain = exposure * (1 - (vignette * ((x - cx) * (x - cx) + dy2)) / r2max);
      const luma = NOISE_TABLE[n]! * noise;
      const o = (y * w + x) * 3;
      out[o] = px[o]! * gain * wb[0] + luma + NOISE_TABLE[(n + 1) & mask]! * chroma;
      out[o + 1] = px[o + 1]! * gain + luma + NOISE_TABLE[(n + 2) & mask]! * chroma;
      out[o + 2] = px[o + 2]! * gain * wb[2] + luma + NOISE_TABLE[(n + 3) & mask]! * chroma;
      n = (n + 4) & mask;
    }
  }
  return new Uint8Array(out.buffer);
}
