/**
 * Value-noise fields and small colour helpers shared by the painters. Fields are computed
 * once per image at pixel resolution, because sampling a lattice per pixel per octave is
 * the cheapest way to get natural-looking texture at more than 100 images a second.
 */
import type { Rng } from "./rng.ts";

/** An RGB colour in 0..255 sRGB units (floats while painting). */
export type Rgb = readonly [number, number, number];

/**
 * Fractal value noise over a w×h grid, values roughly in [0, 1]. `cellX`/`cellY` are the
 * size in pixels of the coarsest lattice cell; unequal cells make grain (wood, fibres).
 */
export function fbmField(
  rng: Rng,
  w: number,
  h: number,
  cellX: number,
  cellY: number,
  octaves: number,
): Float32Array {
  const out = new Float32Array(w * h);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const cx = Math.max(1, cellX / 2 ** o);
    const cy = Math.max(1, cellY / 2 ** o);
    addValueNoise(rng, out, w, h, cx, cy, amp);
    total += amp;
    amp *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
  return out;
}

function addValueNoise(
  rng: Rng,
  out: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  amp: number,
): void {
  const gw = Math.ceil(w / cx) + 2;
  const gh = Math.ceil(h / cy) + 2;
  const lattice = new Float32Array(gw * gh);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  // A random sub-cell offset so octaves do not line up on the same grid.
  const ox = rng.next();
  const oy = rng.next();
  const wx = new Float32Array(w);
  const ix = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const gx = x / cx + ox;
    const i0 = Math.floor(gx);
    const t = gx - i0;
    ix[x] = i0;
    wx[x] = t * t * (3 - 2 * t);
  }
  for (let y = 0; y < h; y++) {
    const gy = y / cy + oy;
    const j0 = Math.floor(gy);
    let ty = gy - j0;
    ty = ty * ty * (3 - 2 * ty);
    const row0 = j0 * gw;
    const row1 = row0 + gw;
    const base = y * w;
    for (let x = 0; x < w; x++) {
      const i0 = ix[x]!;
      const tx = wx[x]!;
      const a = lattice[row0 + i0]! + (lattice[row0 + i0 + 1]! - lattice[row0 + i0]!) * tx;
      const b = lattice[row1 + i0]! + (lattice[row1 + i0 + 1]! - lattice[row1 + i0]!) * tx;
      out[base + x] = out[base + x]! + amp * (a + (b - a) * ty);
    }
  }
}

/** Hermite step from 0 at e0 to 1 at e1 (either order). */
export function smoothstep(e0: number, e1: number, x: number): number {
  let t = (x - e0) / (e1 - e0);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return t * t * (3 - 2 * t);
}

/** Clamps to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Linear mix of two colours. */
export function mixRgb(a: Rgb, b: Rgb, t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A colour jittered per channel by up to ±amount, for per-image variety. */
export function jitterRgb(rng: Rng, c: Rgb, amount: number): [number, number, number] {
  return [
    c[0] + rng.range(-amount, amount),
    c[1] + rng.range(-amount, amount),
    c[2] + rng.range(-amount, amount),
  ];
}

/**
 * Piecewise-linear colour ramp: `stops` are [position, colour] with ascending positions.
 * Used for ripeness, where one number walks the skin from green through yellow to brown.
 */
export function rampRgb(
  stops: ReadonlyArray<readonly [number, Rgb]>,
  t: number,
  out: number[],
): void {
  const first = stops[0]!;
  const last = stops[stops.length - 1]!;
  let c0 = first[1];
  let c1 = first[1];
  let k = 0;
  if (t >= last[0]) {
    c0 = c1 = last[1];
  } else if (t > first[0]) {
    for (let i = 1; i < stops.length; i++) {
      const s = stops[i]!;
      if (t <= s[0]) {
        const p = stops[i - 1]!;
        c0 = p[1];
        c1 = s[1];
        k = (t - p[0]) / (s[0] - p[0]);
        break;
      }
    }
  }
  out[0] = c0[0] + (c1[0] - c0[0]) * k;
  out[1] = c0[1] + (c1[1] - c0[1]) * k;
  out[2] = c0[2] + (c1[2] - c0[2]) * k;
}

/** A picture being painted: RGB floats in 0..255, row-major, three channels per pixel. */
export interface Canvas {
  readonly w: number;
  readonly h: number;
  readonly px: Float32Array;
}

/** A blank canvas. */
export function createCanvas(w: number, h: number): Canvas {
  return { w, h, px: new Float32Array(w * h * 3) };
}
