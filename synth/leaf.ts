/**
 * Paints a mango leaf: long, lanceolate (widest below the middle, tapering to a pointed
 * tip), glossy green (now and then a young bronze-red one), with a pale midrib, slanted
 * secondary veins, a slight fold along the midrib and a short petiole. It is the "not a
 * fruit" class, so it must not be confusable with a green mango by colour alone: its shape
 * and veins carry the signal.
 */
import { type Canvas, type Rgb, clamp, fbmField, jitterRgb, smoothstep } from "./noise.ts";
import type { Light } from "./light.ts";
import type { Rng } from "./rng.ts";

// Mature blades are a saturated mid-to-dark green, young flush leaves bronze-red. Greyish
// greens looked unlike any mango leaf and, on a pale sheet, left a photo with so little
// colour overall (saturation 0.034) that the grayscale check refused it.
const LEAF_COLOURS: Rgb[] = [
  [52, 124, 30],
  [66, 142, 36],
  [80, 154, 42],
  [46, 112, 26],
  [92, 150, 42],
  [68, 132, 32],
  [156, 82, 40],
];
const RIB: Rgb = [168, 176, 104];

/** Paints one leaf, with its shadow, over whatever the canvas already holds. */
export function paintLeaf(c: Canvas, rng: Rng, light: Light): void {
  const { w, h, px } = c;
  const size = Math.min(w, h);
  const L = size * rng.range(0.44, 0.52);
  const W = L * rng.range(0.26, 0.34);
  const cx = w / 2 + rng.range(-0.07, 0.07) * w;
  const cy = h / 2 + rng.range(-0.07, 0.07) * h;
  const rot = rng.range(0, Math.PI * 2);
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  const bend = rng.range(-0.14, 0.14);
  const a = rng.range(0.55, 0.8); // how early the blade widens
  const b = rng.range(0.9, 1.25); // how sharply the tip tapers
  const sMax = a / (a + b);
  const norm = 1 / (Math.pow(sMax, a) * Math.pow(1 - sMax, b));
  const veins = rng.int(14, 22);
  const veinSlant = rng.range(0.35, 0.6);
  const fold = rng.range(0.25, 0.55);
  const base = jitterRgb(rng, rng.pick(LEAF_COLOURS), 8);
  const gloss = rng.range(0.15, 0.4);
  const scale = size / 224;
  const texture = fbmField(rng, w, h, 14 * scale, 14 * scale, 2);
  const petiole = L * rng.range(0.08, 0.16);
  const dryTip = rng.chance(0.25) ? rng.range(0.85, 0.95) : 2;

  /** Leaf coordinates of a pixel: s from base (0) to tip (1), signed offset from the midrib. */
  const local = (x: number, y: number, ox: number, oy: number, out: number[]): void => {
    const dx = x - cx - ox;
    const dy = y - cy - oy;
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    const p = u / L;
    out[0] = (p + 1) / 2;
    out[1] = v - bend * L * (p * p - 0.3);
  };
  // Tabulated: two Math.pow calls per pixel per pass made the leaf the slowest subject.
  const widths = new Float32Array(1025);
  for (let k = 1; k < 1024; k++)
    widths[k] = W * norm * Math.pow(k / 1024, a) * Math.pow(1 - k / 1024, b);
  const halfWidth = (s: number) => (s <= 0 || s >= 1 ? 0 : widths[Math.round(s * 1024)]!);

  const reach = L * 1.25 + petiole;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(w - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(h - 1, Math.ceil(cy + reach));
  const shOff = size * rng.range(0.015, 0.035);
  const sox = -light.x * shOff * 2;
  const soy = -light.y * shOff * 2;
  const loc = [0, 0];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      local(x, y, sox, soy, loc);
      const hw = halfWidth(loc[0]!);
      if (hw <= 0) continue;
      const sh = 0.4 * smoothstep(hw + 4 * scale, hw - 2 * scale, Math.abs(loc[1]!));
      const o = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) px[o + k] = px[o + k]! * (1 - sh);
    }
  }

  const ribW = 1.1 * scale;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      local(x, y, 0, 0, loc);
      const s = loc[0]!;
      const off = loc[1]!;
      const ao = Math.abs(off);
      const i = y * w + x;
      const o = i * 3;
      if (s < 0) {
        // The petiole: a short stalk continuing the midrib below the blade.
        const a2 = clamp(ribW * 1.4 - ao + 0.5, 0, 1) * (s > -petiole / (2 * L) ? 1 : 0);
        if (a2 > 0)
          for (let k = 0; k < 3; k++) px[o + k] = px[o + k]! + (RIB[k]! * 0.7 - px[o + k]!) * a2;
        continue;
      }
      if (s >= 1) continue;
      const hw = halfWidth(s);
      const alpha = clamp(hw - ao + 0.5, 0, 1);
      if (alpha <= 0) continue;
      const q = hw > 0 ? off / hw : 0;
      const m = texture[i]!;
      let r = base[0] * (0.85 + 0.3 * m);
      let g = base[1] * (0.85 + 0.3 * m);
      let bl = base[2] * (0.85 + 0.3 * m);
      // Secondary veins run from the midrib towards the margin, slanting to the tip.
      const phase = s * veins - Math.abs(q) * veinSlant * veins * 0.25;
      const fr = phase - Math.floor(phase);
      const veinD = (Math.min(fr, 1 - fr) / veins) * 2 * L; // pixels along the axis
      const vein = 0.35 * smoothstep(0.9 * scale, 0, veinD) * (1 - Math.abs(q) * 0.7);
      const rib = smoothstep(ribW * (1.3 - s), ribW * 0.2, ao);
      const lift = Math.max(vein, rib);
      r += (RIB[0] - r) * lift;
      g += (RIB[1] - g) * lift;
      bl += (RIB[2] - bl) * lift;
      if (s > dryTip) {
        const d = smoothstep(dryTip, dryTip + 0.04, s);
        r += (120 - r) * d;
        g += (86 - g) * d;
        bl += (48 - bl) * d;
      }
      // The blade folds up from the midrib and curls at the edges.
      const sx = (q > 0 ? 1 : -1) * fold + q * q * q * 0.5;
      const nl = 1 / Math.sqrt(1 + sx * sx);
      const nxl = 0;
      const nyl = -sx * nl;
      const nx = nxl * cos - nyl * sin;
      const ny = nxl * sin + nyl * cos;
      const nz = nl;
      const ndl = nx * light.x + ny * light.y + nz * light.z;
      const shade = light.ambient + (1 - light.ambient) * Math.max(0, ndl);
      const ndh = Math.max(0, nx * light.hx + ny * light.hy + nz * light.hz);
      const n2 = ndh * ndh;
      const n4 = n2 * n2;
      const n16 = n4 * n4 * n4 * n4;
      const spec = gloss * n16 * n2 * (0.5 + m) * 255; // ndh^18
      px[o] = px[o]! + (r * shade * light.r + spec - px[o]!) * alpha;
      px[o + 1] = px[o + 1]! + (g * shade * light.g + spec - px[o + 1]!) * alpha;
      px[o + 2] = px[o + 2]! + (bl * shade * light.b + spec - px[o + 2]!) * alpha;
    }
  }
}
