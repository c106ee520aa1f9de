/**
 * Surfaces the fruit lies on. Real farm photos are mostly taken on paper or a white table,
 * with some on wood, cloth, crates and plastic trays, so backgrounds are drawn with about
 * those odds; each has its own texture so a classifier cannot key on a flat backdrop.
 */
import { type Canvas, type Rgb, clamp, fbmField, jitterRgb, mixRgb } from "./noise.ts";
import type { Rng } from "./rng.ts";

/** The kinds of surface a synthetic photo can have. */
export const BACKGROUND_KINDS = ["plain", "wood", "cloth", "crate", "gradient", "tray"] as const;
/** One surface kind. */
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

const ODDS: Record<BackgroundKind, number> = {
  plain: 0.44,
  wood: 0.16,
  cloth: 0.14,
  crate: 0.08,
  gradient: 0.1,
  tray: 0.08,
};

// Light surfaces on purpose: fruit photographed on a bright surface, as in real farm
// photos, keeps the contrast (grey stdev) that low-information checks expect.
const CLOTHS: Rgb[] = [
  [214, 202, 184],
  [168, 186, 212],
  [212, 150, 140],
  [222, 218, 210],
  [196, 196, 192],
  [160, 176, 200],
  [220, 196, 156],
];
const TRAYS: Rgb[] = [
  [150, 220, 140],
  [140, 190, 230],
  [228, 228, 222],
  [230, 160, 130],
];

/** Paints a random surface over the whole canvas and says which kind it drew. */
export function paintBackground(c: Canvas, rng: Rng): BackgroundKind {
  const kind = rng.weighted(ODDS);
  const { w, h } = c;
  // Rotated coordinates so grain, slats and weave are not always axis-aligned.
  const angle = rng.pick([0, Math.PI / 2]) + rng.range(-0.25, 0.25);
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  // Light falls off across the frame the way a window or lamp lights a table.
  const fallDir = rng.range(0, Math.PI * 2);
  const fallX = Math.cos(fallDir) / w;
  const fallY = Math.sin(fallDir) / h;
  const fallAmount = rng.range(0.04, 0.16);
  const scale = w / 224;

  const folds = fbmField(rng, w, h, 80 * scale, 80 * scale, 1);
  // Paper fibres, cloth nap, dust: detail that survives downscaling, unlike sensor noise,
  // so sharpness checks see texture where real photos have it.
  const fine = fbmField(rng, w, h, 3.5 * scale, 3.5 * scale, 1);
  const fineAmp = kind === "plain" ? 22 : 20;
  let grain: Float32Array | undefined;
  if (kind === "wood" || kind === "crate") {
    // Long cells along the grain: ca/sa rotate the stripes below, the field stays axis-aligned,
    // which is fine because it only warps the stripes.
    grain = fbmField(rng, w, h, 70 * scale, 20 * scale, 2);
  }

  let base: Rgb;
  let alt: Rgb = [0, 0, 0];
  switch (kind) {
    case "plain": {
      const l = rng.range(200, 232);
      const tint = rng.range(-6, 6);
      base = [l + tint, l + rng.range(-3, 3), l - tint];
      break;
    }
    case "wood":
      base = jitterRgb(
        rng,
        rng.pick<Rgb>([
          [206, 164, 118],
          [186, 140, 96],
          [222, 190, 148],
          [170, 124, 84],
        ]),
        10,
      );
      alt = mixRgb(base, [80, 52, 32], rng.range(0.2, 0.35));
      break;
    case "crate":
      base = jitterRgb(rng, [220, 192, 150], 12);
      alt = mixRgb(base, [60, 42, 28], 0.75);
      break;
    case "cloth":
      base = jitterRgb(rng, rng.pick(CLOTHS), 15);
      break;
    case "gradient":
      base = jitterRgb(rng, [rng.range(180, 235), rng.range(180, 235), rng.range(180, 235)], 0);
      alt = mixRgb(base, jitterRgb(rng, [130, 130, 140], 25), rng.range(0.2, 0.45));
      break;
    case "tray":
      base = jitterRgb(rng, rng.pick(TRAYS), 12);
      alt = mixRgb(base, [0, 0, 0], 0.25);
      break;
  }

  const plankPeriod = rng.range(50, 90) * scale;
  const slatPeriod = rng.range(34, 56) * scale;
  const gapFrac = rng.range(0.08, 0.16);
  const stripeFreq = rng.range(0.1, 0.2) / scale;
  const weave = rng.range(2.2, 3.5) * scale;
  const cell = rng.range(16, 26) * scale;
  const foldAmp = kind === "cloth" ? 0.32 : kind === "plain" ? 0.12 : 0.08;

  const px = c.px;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = x * ca + y * sa;
      const v = -x * sa + y * ca;
      let r = base[0];
      let g = base[1];
      let b = base[2];
      let mult = 1;
      if (kind === "wood" || kind === "crate") {
        const warp = grain![i]!;
        const stripe = 0.5 + 0.5 * Math.sin((v + warp * 26 * scale) * stripeFreq);
        const t = clamp(stripe * stripe * 0.8 + (warp - 0.5) * 0.6, 0, 1);
        r += (alt[0] - r) * t;
        g += (alt[1] - g) * t;
        b += (alt[2] - b) * t;
        const period = kind === "wood" ? plankPeriod : slatPeriod;
        const phase = (((v % period) + period) % period) / period;
        if (kind === "crate" && phase < gapFrac) mult = 0.35 + 0.25 * (phase / gapFrac);
        else if (kind === "wood" && phase < 0.025) mult = 0.62;
      } else if (kind === "cloth") {
        mult = 1 + 0.05 * Math.sin(u * weave) * Math.sin(v * weave);
      } else if (kind === "gradient") {
        const t = clamp(v / h, 0, 1);
        r += (alt[0] - r) * t;
        g += (alt[1] - g) * t;
        b += (alt[2] - b) * t;
      } else if (kind === "tray") {
        const pu = (((u % cell) + cell) % cell) / cell;
        const pv = (((v % cell) + cell) % cell) / cell;
        if (pu < 0.12 || pv < 0.12) {
          r = alt[0];
          g = alt[1];
          b = alt[2];
        }
      }
      const fall = 1 - fallAmount * (0.5 + (x - w / 2) * fallX + (y - h / 2) * fallY);
      mult *= fall * (1 + foldAmp * (folds[i]! - 0.5));
      const f = (fine[i]! - 0.5) * fineAmp;
      const o = i * 3;
      px[o] = r * mult + f;
      px[o + 1] = g * mult + f;
      px[o + 2] = b * mult + f;
    }
  }
  return kind;
}
