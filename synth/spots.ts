/**
 * Marks on the skin, splatted into per-pixel masks before the fruit is shaded: lenticels
 * (the pale or dark pores every mango has), speckles, and the large soft bruises that mark
 * an overripe fruit. Splatting each mark into its own small box keeps hundreds of marks
 * cheap.
 */
import { smoothstep } from "./noise.ts";
import type { Rng } from "./rng.ts";

/** Per-pixel masks in 0..1: `dark` browns the skin, `light` paints pale lenticels. */
export interface SkinMarks {
  readonly dark: Float32Array;
  readonly light: Float32Array;
}

/** How many marks of each sort one fruit gets. */
export interface MarkCounts {
  paleDots: number;
  darkDots: number;
  bruises: number;
  /** Bruise radius range as a fraction of the fruit's short half-axis. */
  bruiseSize: readonly [number, number];
}

/** Maps a point of the unit disk in fruit coordinates to pixel coordinates. */
export type FruitToImage = (p: number, q: number) => readonly [number, number];

/**
 * Splats the marks of one fruit. `ragged` (a 0..1 noise field over the canvas) frays the
 * bruise edges so they do not look like stamped circles.
 */
export function splatMarks(
  rng: Rng,
  w: number,
  h: number,
  counts: MarkCounts,
  shortAxis: number,
  toImage: FruitToImage,
  ragged: Float32Array,
): SkinMarks {
  const dark = new Float32Array(w * h);
  const light = new Float32Array(w * h);
  const scale = w / 224;
  const place = (): readonly [number, number] => {
    const r = Math.sqrt(rng.next()) * 0.96;
    const a = rng.range(0, Math.PI * 2);
    return toImage(r * Math.cos(a), r * Math.sin(a));
  };
  for (let k = 0; k < counts.paleDots; k++) {
    const [x, y] = place();
    disc(light, w, h, x, y, rng.range(0.5, 1.1) * scale, rng.range(0.35, 0.8), 0, undefined);
  }
  for (let k = 0; k < counts.darkDots; k++) {
    const [x, y] = place();
    disc(dark, w, h, x, y, rng.range(0.5, 1.6) * scale, rng.range(0.45, 0.95), 0, undefined);
  }
  for (let k = 0; k < counts.bruises; k++) {
    const [x, y] = place();
    const r = shortAxis * rng.range(counts.bruiseSize[0], counts.bruiseSize[1]);
    disc(dark, w, h, x, y, r, rng.range(0.6, 0.98), 0.9, ragged);
  }
  return { dark, light };
}

function disc(
  mask: Float32Array,
  w: number,
  h: number,
  cx: number,
  cy: number,
  r: number,
  strength: number,
  fray: number,
  ragged: Float32Array | undefined,
): void {
  const reach = r * (1 + fray * 0.6) + 1;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(w - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(h - 1, Math.ceil(cy + reach));
  // Tiny dots get a one-pixel soft edge; bruises fade over a third of their radius.
  const soft = Math.max(0.7, r * 0.35 * (fray > 0 ? 1 : 0));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * w + x;
      const ex = x - cx;
      const ey = y - cy;
      let d = Math.sqrt(ex * ex + ey * ey);
      if (ragged) d += (ragged[i]! - 0.5) * fray * r * 1.4;
      const v = strength * (1 - smoothstep(r - soft, r + 0.5, d));
      if (v > mask[i]!) mask[i] = v;
    }
  }
}
