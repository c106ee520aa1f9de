/**
 * Is this image a copy of that one? The verifier behind the duplicate and leakage checks.
 *
 * On a real farm batch (thousands of mangoes on one sheet, in one light, one framing)
 * distinct photos look alike: a 64-bit pHash puts 5,482 of the 5.8M pairs of the 3,400
 * real four-stage photos within 6 bits, so pHash can only find candidates, never decide.
 * What tells a copy (re-encoded, resized, squashed, mirrored, cropped a little, a little
 * brighter) from another mango photographed alike is the fine structure: the outline, the
 * stalk, the spots sit exactly where they were. So each image keeps a 32x32 luma thumbnail
 * (1 KB), and a candidate pair is compared on the gradients of that thumbnail at 16 and 32
 * px, as normalised correlation, after registering for mirroring and for a crop of up to
 * 1.5% a side (zoom 1/1.03, 1, 1.03). Gradients ignore a brightness gain and barely see a
 * clipped white sheet (it has no gradient either way), while two distinct mangoes differ
 * in exactly the edges they are made of. The numbers behind the threshold are in config.ts.
 */

/** Side of the copy thumbnail, in pixels. */
export const THUMB_SIDE = 32;
const HALF = THUMB_SIDE / 2;
/** Zooms tried when registering a candidate pair: a crop of up to 1.5% a side is a 1.03 zoom. */
const ZOOMS = [1 / 1.03, 1, 1.03] as const;

/** A 32x32 luma thumbnail: box averages of a grayscale raster, rounded to bytes. */
export function copyThumbnail(gray: Uint8Array, width: number, height: number): Uint8Array {
  const sums = new Float64Array(THUMB_SIDE * THUMB_SIDE);
  const counts = new Uint32Array(THUMB_SIDE * THUMB_SIDE);
  const colCell = Uint32Array.from({ length: width }, (_, x) =>
    Math.min(THUMB_SIDE - 1, Math.floor((x * THUMB_SIDE) / width)),
  );
  for (let y = 0; y < height; y++) {
    const rowBase = Math.min(THUMB_SIDE - 1, Math.floor((y * THUMB_SIDE) / height)) * THUMB_SIDE;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const cell = rowBase + colCell[x]!;
      sums[cell]! += gray[i]!;
      counts[cell]!++;
    }
  }
  return Uint8Array.from(sums, (s, i) => Math.round(s / Math.max(1, counts[i]!)));
}

/** A thumbnail as base64 (1,368 characters), so it travels in shard files and hash memos. */
export function encodeThumbnail(thumb: Uint8Array): string {
  return Buffer.from(thumb.buffer, thumb.byteOffset, thumb.byteLength).toString("base64");
}

/** The inverse of `encodeThumbnail`; throws on anything that is not a 32x32 thumbnail. */
export function decodeThumbnail(text: string): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== THUMB_SIDE * THUMB_SIDE)
    throw new Error(
      `not a ${THUMB_SIDE}x${THUMB_SIDE} copy thumbnail (${bytes.length} bytes after base64 decoding)`,
    );
  return new Uint8Array(bytes);
}

/** The thumbnail mirrored left to right. */
export function mirrorThumbnail(t: ArrayLike<number>): Float32Array {
  const out = new Float32Array(THUMB_SIDE * THUMB_SIDE);
  for (let y = 0; y < THUMB_SIDE; y++)
    for (let x = 0; x < THUMB_SIDE; x++)
      out[y * THUMB_SIDE + x] = t[y * THUMB_SIDE + THUMB_SIDE - 1 - x]!;
  return out;
}

/** Zooms about the centre by `s` (above 1 zooms in), bilinear, edges clamped. */
function zoom(t: ArrayLike<number>, s: number): Float32Array {
  if (s === 1) return Float32Array.from(t);
  const out = new Float32Array(THUMB_SIDE * THUMB_SIDE);
  const c = (THUMB_SIDE - 1) / 2;
  const clamp = (v: number) => Math.min(THUMB_SIDE - 1, Math.max(0, v));
  for (let y = 0; y < THUMB_SIDE; y++) {
    const sy = clamp(c + (y - c) / s);
    const y0 = Math.floor(sy);
    const y1 = Math.min(THUMB_SIDE - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < THUMB_SIDE; x++) {
      const sx = clamp(c + (x - c) / s);
      const x0 = Math.floor(sx);
      const x1 = Math.min(THUMB_SIDE - 1, x0 + 1);
      const fx = sx - x0;
      out[y * THUMB_SIDE + x] =
        (t[y0 * THUMB_SIDE + x0]! * (1 - fx) + t[y0 * THUMB_SIDE + x1]! * fx) * (1 - fy) +
        (t[y1 * THUMB_SIDE + x0]! * (1 - fx) + t[y1 * THUMB_SIDE + x1]! * fx) * fy;
    }
  }
  return out;
}

function halve(t: ArrayLike<number>): Float32Array {
  const out = new Float32Array(HALF * HALF);
  for (let y = 0; y < HALF; y++) {
    for (let x = 0; x < HALF; x++) {
      const i = 2 * y * THUMB_SIDE + 2 * x;
      out[y * HALF + x] = (t[i]! + t[i + 1]! + t[i + THUMB_SIDE]! + t[i + THUMB_SIDE + 1]!) / 4;
    }
  }
  return out;
}

/** Forward differences along x and y, centred and scaled to unit length (so a dot product is a correlation). */
function gradients(v: ArrayLike<number>, side: number): Float32Array {
  const out = new Float32Array(2 * (side - 1) * (side - 1));
  let k = 0;
  for (let y = 0; y < side - 1; y++) {
    for (let x = 0; x < side - 1; x++) {
      const i = y * side + x;
      out[k++] = v[i + 1]! - v[i]!;
      out[k++] = v[i + side]! - v[i]!;
    }
  }
  let mean = 0;
  for (const g of out) mean += g;
  mean /= out.length;
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += (out[i]! -= mean) ** 2;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= norm;
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The coarse structure of a thumbnail (its 16 px gradients): cheap to compare, to weed out candidates. */
export function coarseStructure(t: ArrayLike<number>): Float32Array {
  return gradients(halve(t), HALF);
}

// Sparse random hyperplanes for the structure hash (each coordinate +1 or -1 with
// probability 1/6 each, else 0: Achlioptas' projection), fixed by a seed so every machine
// hashes alike. A third of the coordinates and no multiplications: 64 bits of 450
// coordinates cost about 10k additions, which matters at 100,000 images.
let planes: { dims: number; plus: Int16Array[]; minus: Int16Array[] } | undefined;
function hyperplanes(dims: number): NonNullable<typeof planes> {
  if (planes?.dims === dims) return planes;
  let s = 0x6d616e67; // "mang"
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const plus: Int16Array[] = [];
  const minus: Int16Array[] = [];
  for (let b = 0; b < 64; b++) {
    const p: number[] = [];
    const m: number[] = [];
    for (let i = 0; i < dims; i++) {
      const u = uniform();
      if (u < 1 / 6) p.push(i);
      else if (u < 2 / 6) m.push(i);
    }
    plus.push(Int16Array.from(p));
    minus.push(Int16Array.from(m));
  }
  planes = { dims, plus, minus };
  return planes;
}

/**
 * A 64-bit hash of a coarse structure (SimHash over sparse random hyperplanes, as two
 * 32-bit words): the share of differing bits estimates the angle between two structures,
 * so copies (correlation 0.954 and up) sit within about 10 bits and unrelated pictures near
 * 32. A popcount away from the correlation it stands in for.
 */
export function structureHash(coarse: Float32Array): [number, number] {
  const { plus, minus } = hyperplanes(coarse.length);
  const words = [0, 0];
  for (let b = 0; b < 64; b++) {
    let sum = 0;
    const p = plus[b]!;
    const m = minus[b]!;
    for (let i = 0; i < p.length; i++) sum += coarse[p[i]!]!;
    for (let i = 0; i < m.length; i++) sum -= coarse[m[i]!]!;
    if (sum > 0) words[b >>> 5]! |= 1 << (b & 31);
  }
  return [words[0]! >>> 0, words[1]! >>> 0];
}

/** Correlation of two coarse structures, -1 to 1. */
export function coarseSimilarity(a: Float32Array, b: Float32Array): number {
  return dot(a, b);
}

/**
 * How alike two thumbnails are as pictures, 0-1 (1 = the same picture): the mean of the
 * 16 px and 32 px gradient correlations, with `b` mirrored first when `mirrored` and zoomed
 * by whichever registration zoom best aligns the 16 px structure (the 32 px comparison, four
 * times the work, is made at that zoom only). `aCoarse` is `coarseStructure(a)`, when the
 * caller has it already.
 */
export function copySimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  mirrored: boolean,
  aCoarse: Float32Array = coarseStructure(a),
): number {
  const base = mirrored ? mirrorThumbnail(b) : b;
  let bestCoarse = -2;
  let bestZoomed: Float32Array | undefined;
  for (const s of ZOOMS) {
    const z = zoom(base, s);
    const c = dot(aCoarse, coarseStructure(z));
    if (c > bestCoarse) {
      bestCoarse = c;
      bestZoomed = z;
    }
  }
  return Math.max(
    0,
    (bestCoarse + dot(gradients(a, THUMB_SIDE), gradients(bestZoomed!, THUMB_SIDE))) / 2,
  );
}
