/**
 * Paints one mango: an asymmetric kidney-shaped ovoid, coloured by a ripeness number that
 * walks the skin from green to brown, with a blush, lenticels and bruises, lit by one
 * directional light (shading, a waxy highlight) and casting a soft shadow. Ripeness ranges
 * of neighbouring classes overlap on purpose so the classes are learnable, not trivial.
 */
import { type Canvas, type Rgb, clamp, fbmField, rampRgb, smoothstep } from "./noise.ts";
import type { Rng } from "./rng.ts";
import { type MarkCounts, splatMarks } from "./spots.ts";
import type { Light } from "./light.ts";

/** The four ripeness stages a fruit can be painted at. */
export type Ripeness = "verde" | "pinton" | "maduro" | "sobremaduro";

const SKIN: ReadonlyArray<readonly [number, Rgb]> = [
  [0.0, [58, 108, 36]],
  [0.18, [96, 146, 50]],
  [0.35, [150, 166, 56]],
  [0.5, [204, 178, 58]],
  [0.62, [234, 176, 46]],
  [0.75, [238, 146, 40]],
  [0.87, [196, 108, 40]],
  [1.0, [138, 76, 34]],
];

interface Look {
  ripeness: readonly [number, number];
  blush: readonly [number, number];
  blushColour: Rgb;
  shine: readonly [number, number];
  marks: (rng: Rng) => MarkCounts;
}

const LOOKS: Record<Ripeness, Look> = {
  verde: {
    ripeness: [0, 0.3],
    blush: [0, 0.15],
    blushColour: [150, 120, 50],
    shine: [0.25, 0.45],
    marks: (r) => ({
      paleDots: r.int(60, 160),
      darkDots: r.int(0, 6),
      bruises: r.chance(0.1) ? 1 : 0,
      bruiseSize: [0.05, 0.12],
    }),
  },
  pinton: {
    ripeness: [0.22, 0.52],
    blush: [0.15, 0.55],
    blushColour: [196, 74, 44],
    shine: [0.2, 0.4],
    marks: (r) => ({
      paleDots: r.int(30, 100),
      darkDots: r.int(5, 25),
      bruises: r.chance(0.15) ? 1 : 0,
      bruiseSize: [0.05, 0.12],
    }),
  },
  maduro: {
    ripeness: [0.48, 0.8],
    blush: [0, 0.65],
    blushColour: [206, 56, 38],
    shine: [0.15, 0.35],
    marks: (r) => ({
      paleDots: r.int(0, 20),
      darkDots: r.int(20, 80),
      bruises: r.int(0, 2),
      bruiseSize: [0.05, 0.15],
    }),
  },
  sobremaduro: {
    ripeness: [0.74, 1.0],
    blush: [0, 0.35],
    blushColour: [130, 40, 28],
    shine: [0.04, 0.16],
    marks: (r) => ({
      paleDots: 0,
      darkDots: r.int(120, 320),
      bruises: r.int(3, 9),
      bruiseSize: [0.1, 0.38],
    }),
  },
};

/** The skin ramp tabulated over t in [-0.4, 1.4]: faster per pixel than walking the stops. */
const SKIN_LUT = (() => {
  const lut = new Float32Array(3 * 513);
  const c = [0, 0, 0];
  for (let k = 0; k <= 512; k++) {
    rampRgb(SKIN, -0.4 + (1.8 * k) / 512, c);
    lut.set(c, 3 * k);
  }
  return lut;
})();

const DOT_PALE: Rgb = [214, 214, 150];
const BRUISE: Rgb = [46, 30, 18];

/** Paints a mango of the given ripeness over whatever the canvas already holds. */
export function paintMango(c: Canvas, rng: Rng, ripeness: Ripeness, light: Light): void {
  const { w, h, px } = c;
  const size = Math.min(w, h);
  const look = LOOKS[ripeness];
  const A = size * rng.range(0.3, 0.42);
  const B = A * rng.range(0.56, 0.74);
  const cx = w / 2 + rng.range(-0.09, 0.09) * w;
  const cy = h / 2 + rng.range(-0.09, 0.09) * h;
  const rot = rng.range(0, Math.PI * 2);
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  const egg = rng.range(0.03, 0.18); // the stem end (+p) is the broad one
  const bend = rng.range(0.06, 0.26) * (rng.chance(0.5) ? 1 : -1); // the kidney curve
  const belly = rng.range(0.8, 0.95); // the ventral side is flatter than the back

  const centreLine = (p: number) => bend * (p * p - 0.35);
  const halfWidth = (p: number, side: number) => B * (1 + egg * p) * (side * bend > 0 ? belly : 1);
  /** The shape's implicit value at a pixel: < 1 inside. Also returns local coordinates. */
  const shapeAt = (
    x: number,
    y: number,
    ox: number,
    oy: number,
    grow: number,
    out: number[],
  ): number => {
    const dx = x - cx - ox;
    const dy = y - cy - oy;
    const u = (dx * cos + dy * sin) / grow;
    const v = (-dx * sin + dy * cos) / grow;
    const p = u / A;
    const off = v - centreLine(p) * B;
    const q = off / halfWidth(p, off);
    out[0] = p;
    out[1] = q;
    out[2] = Math.sqrt(u * u + off * off);
    return p * p + q * q;
  };
  const toImage = (p: number, q: number): readonly [number, number] => {
    const u = p * A;
    const v = centreLine(p) * B + q * halfWidth(p, q);
    return [cx + u * cos - v * sin, cy + u * sin + v * cos];
  };

  const mottle = fbmField(rng, w, h, 22 * (size / 224), 22 * (size / 224), 2);
  // Skin pores and dimples at a few pixels: the fine detail real fruit shows up close.
  const pores = fbmField(rng, w, h, 3 * (size / 224), 3 * (size / 224), 1);
  const marks = splatMarks(rng, w, h, look.marks(rng), B, toImage, mottle);
  const ripe = rng.range(look.ripeness[0], look.ripeness[1]);
  const ripeAlong = rng.range(-0.12, 0.12);
  const blush = rng.range(look.blush[0], look.blush[1]);
  const blushAngle = rng.range(0, Math.PI * 2);
  const bdx = Math.cos(blushAngle);
  const bdy = Math.sin(blushAngle);
  const shine = rng.range(look.shine[0], look.shine[1]);
  const shininess = rng.range(12, 30);

  // The shadow falls away from the light, grown and soft; a contact shadow hugs the outline.
  const lightLen = Math.hypot(light.x, light.y) || 1;
  const shOff = A * rng.range(0.1, 0.22);
  const sox = (-light.x / lightLen) * shOff;
  const soy = (-light.y / lightLen) * shOff;
  const shadowStrength = rng.range(0.3, 0.5);
  const reach = A * 1.6 + shOff;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(w - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(h - 1, Math.ceil(cy + reach));
  const loc = [0, 0, 0];
  const shadowLoc = [0, 0, 0];
  const col = [0, 0, 0];
  // One pass: darken the background with the shadow, then lay the fruit over it.
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const f = shapeAt(x, y, 0, 0, 1, loc);
      // Past f = 4 (twice the radius) neither the offset shadow (fs > 1.7) nor the contact
      // shadow reaches, whatever the offset and aspect ratio.
      if (f > 4) continue;
      if (f > 0.9) {
        const fs = shapeAt(x, y, sox, soy, 1.05, shadowLoc);
        const occl =
          1 -
          shadowStrength * (1 - smoothstep(0.45, 1.7, fs)) -
          0.18 * (1 - smoothstep(1, 1.25, f));
        const o = (y * w + x) * 3;
        px[o] = px[o]! * occl;
        px[o + 1] = px[o + 1]! * occl;
        px[o + 2] = px[o + 2]! * occl;
      }
      if (f >= 1.2) continue;
      const p = loc[0]!;
      const q = loc[1]!;
      const sf = Math.sqrt(f);
      // Distance to the outline in pixels along the ray from the centre: anti-aliasing.
      const edge = sf > 1e-3 ? loc[2]! * (1 / sf - 1) : 1e3;
      const alpha = clamp(edge + 0.5, 0, 1);
      if (alpha <= 0) continue;
      const i = y * w + x;
      const m = mottle[i]!;
      const t = ripe + ripeAlong * p + (m - 0.5) * 0.2;
      const li = 3 * Math.round(clamp((t + 0.4) / 1.8, 0, 1) * 512);
      col[0] = SKIN_LUT[li]!;
      col[1] = SKIN_LUT[li + 1]!;
      col[2] = SKIN_LUT[li + 2]!;
      const bl = blush * smoothstep(-0.2, 0.8, p * bdx + q * bdy + (m - 0.5) * 0.8);
      col[0]! += (look.blushColour[0] - col[0]!) * bl;
      col[1]! += (look.blushColour[1] - col[1]!) * bl;
      col[2]! += (look.blushColour[2] - col[2]!) * bl;
      const pale = marks.light[i]! * 0.45;
      col[0]! += (DOT_PALE[0] - col[0]!) * pale;
      col[1]! += (DOT_PALE[1] - col[1]!) * pale;
      col[2]! += (DOT_PALE[2] - col[2]!) * pale;
      const dark = marks.dark[i]!;
      col[0]! += (BRUISE[0] - col[0]!) * dark;
      col[1]! += (BRUISE[1] - col[1]!) * dark;
      col[2]! += (BRUISE[2] - col[2]!) * dark;
      // Sphere-like normal of the ovoid, turned into image space.
      const fc = f < 1 ? f : 1;
      const nzl = Math.sqrt(1 - fc) * 1.25;
      const nl = 1 / Math.sqrt(p * p + q * q + nzl * nzl);
      const nx = (p * cos - q * sin) * nl;
      const ny = (p * sin + q * cos) * nl;
      const nz = nzl * nl;
      const ndl = nx * light.x + ny * light.y + nz * light.z;
      const shade =
        (light.ambient + (1 - light.ambient) * Math.max(0, (ndl + 0.35) / 1.35)) *
        (0.9 + 0.2 * pores[i]!);
      const ndh = Math.max(0, nx * light.hx + ny * light.hy + nz * light.hz);
      // Below 0.6 the highlight is under a quarter of a grey level: skip the pow.
      const spec =
        ndh < 0.6 ? 0 : shine * (1 - dark) * Math.pow(ndh, shininess) * (0.7 + 0.6 * m) * 255;
      const o = i * 3;
      px[o] = px[o]! + (col[0]! * shade * light.r + spec - px[o]!) * alpha;
      px[o + 1] = px[o + 1]! + (col[1]! * shade * light.g + spec - px[o + 1]!) * alpha;
      px[o + 2] = px[o + 2]! + (col[2]! * shade * light.b + spec - px[o + 2]!) * alpha;
    }
  }
  paintStem(c, rng, toImage(0.985, rng.range(-0.15, 0.15)), rot, size, ripeness === "sobremaduro");
}

/** The stem scar: a small dark-rimmed disc, sometimes with a short stalk left on. */
function paintStem(
  c: Canvas,
  rng: Rng,
  at: readonly [number, number],
  rot: number,
  size: number,
  old: boolean,
): void {
  const { w, h, px } = c;
  const r = size * rng.range(0.01, 0.018);
  const stalk = rng.chance(0.5) ? size * rng.range(0.015, 0.045) : 0;
  const dx = Math.cos(rot);
  const dy = Math.sin(rot);
  const colour: Rgb = old ? [62, 42, 26] : [96, 84, 44];
  const reach = r + stalk + 2;
  for (
    let y = Math.max(0, Math.floor(at[1] - reach));
    y <= Math.min(h - 1, Math.ceil(at[1] + reach));
    y++
  ) {
    for (
      let x = Math.max(0, Math.floor(at[0] - reach));
      x <= Math.min(w - 1, Math.ceil(at[0] + reach));
      x++
    ) {
      const rx = x - at[0];
      const ry = y - at[1];
      const along = clamp(rx * dx + ry * dy, 0, stalk);
      const ex = rx - along * dx;
      const ey = ry - along * dy;
      const dStalk = Math.sqrt(ex * ex + ey * ey);
      const dDisc = Math.sqrt(rx * rx + ry * ry);
      const inStalk = stalk > 0 ? clamp(size * 0.008 - dStalk + 0.5, 0, 1) : 0;
      const inDisc = clamp(r - dDisc + 0.5, 0, 1);
      const a = Math.max(inStalk, inDisc);
      if (a <= 0) continue;
      const rim = inDisc > 0 ? 0.6 + 0.4 * smoothstep(r, r * 0.4, dDisc) : 0.85;
      const o = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) px[o + k] = px[o + k]! + (colour[k]! * rim - px[o + k]!) * a;
    }
  }
}
