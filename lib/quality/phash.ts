/**
 * Perceptual hashing and colour signatures: the cheap keys of the copy search
 * (copy-index.ts). A candidate pair must pass both before copies.ts compares the pictures.
 *
 * The hash is a 64-bit DCT perceptual hash (pHash) of the 32x32 luma thumbnail. It keeps
 * only coarse structure, so copies land close (re-encoded, resized, squashed, CMYK: 0-6 bits
 * on the 3,400 real four-stage photos; cropped 1.5% a side or x1.2 brighter: up to 10-12)
 * but so do distinct photos taken alike (5,482 real pairs within 6 bits): it finds
 * candidates, it decides nothing. A mirrored copy is found with the hash of the mirrored
 * thumbnail.
 *
 * pHash sees luminance only, so a green and a red mango of the same shape on the same
 * plain background hash alike. A copy keeps its colours, so a near copy must also match a
 * colour signature: the mean R,G,B of each cell of a 4x4 grid, compared as chroma (see
 * `colourDistance`). Ripeness is colour: a photo recoloured into another stage is other data.
 * Hashes travel as 16 hex characters and colour signatures as 96.
 */

const HASH_GRID = 32;
const HASH_FREQS = 8;
// cos((2x+1)u pi / 2N) for the 8 lowest frequencies of a 32-point DCT, computed once.
const DCT = Array.from({ length: HASH_FREQS }, (_, u) =>
  Float64Array.from({ length: HASH_GRID }, (_, x) =>
    Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_GRID)),
  ),
);

/** Box-averages a grayscale raster down to `side` x `side` (cells may be fractional). */
export function boxDownsample(
  gray: Uint8Array,
  width: number,
  height: number,
  side: number,
): Float64Array {
  const sums = new Float64Array(side * side);
  const counts = new Uint32Array(side * side);
  const colCell = Uint32Array.from({ length: width }, (_, x) =>
    Math.min(side - 1, Math.floor((x * side) / width)),
  );
  for (let y = 0; y < height; y++) {
    const rowBase = Math.min(side - 1, Math.floor((y * side) / height)) * side;
    const offset = y * width;
    for (let x = 0; x < width; x++) {
      const cell = rowBase + colCell[x]!;
      sums[cell]! += gray[offset + x]!;
      counts[cell]!++;
    }
  }
  for (let i = 0; i < sums.length; i++) sums[i] = sums[i]! / Math.max(1, counts[i]!);
  return sums;
}

/**
 * pHash of a grayscale raster (one byte per pixel, row-major), as 16 hex characters: the
 * picture is averaged to 32x32, the 8x8 lowest frequencies of its 2-D DCT are kept and
 * each bit says whether a coefficient is above their median (DC excluded from the median,
 * since it only says how bright the picture is).
 */
export function perceptualHash(gray: Uint8Array, width: number, height: number): string {
  return hashOfThumbnail(boxDownsample(gray, width, height, HASH_GRID));
}

/** pHash of a 32x32 grayscale thumbnail (see `perceptualHash`). */
export function hashOfThumbnail(small: ArrayLike<number>): string {
  if (small.length !== HASH_GRID * HASH_GRID)
    throw new Error(
      `pHash needs a ${HASH_GRID}x${HASH_GRID} thumbnail, got ${small.length} values`,
    );
  // Separable DCT: rows first (32 rows x 8 freqs), then columns.
  const rows = new Float64Array(HASH_GRID * HASH_FREQS);
  for (let y = 0; y < HASH_GRID; y++) {
    for (let u = 0; u < HASH_FREQS; u++) {
      let t = 0;
      for (let x = 0; x < HASH_GRID; x++) t += DCT[u]![x]! * small[y * HASH_GRID + x]!;
      rows[y * HASH_FREQS + u] = t;
    }
  }
  const coeffs = new Float64Array(HASH_FREQS * HASH_FREQS);
  for (let v = 0; v < HASH_FREQS; v++) {
    for (let u = 0; u < HASH_FREQS; u++) {
      let t = 0;
      for (let y = 0; y < HASH_GRID; y++) t += DCT[v]![y]! * rows[y * HASH_FREQS + u]!;
      coeffs[v * HASH_FREQS + u] = t;
    }
  }
  const median = [...coeffs.subarray(1)].sort((a, b) => a - b)[31]!;
  let hex = "";
  for (let i = 0; i < 64; i += 4) {
    let nibble = 0;
    for (let j = 0; j < 4; j++) nibble = (nibble << 1) | (coeffs[i + j]! > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

const COLOUR_GRID = 4;
const COLOUR_HEX = COLOUR_GRID * COLOUR_GRID * 3 * 2;
// Chroma beyond this (in 0-255 levels) counts as "saturated" and is compared by hue alone:
// gamut clipping (a CMYK round trip) and brightness gain change how saturated a mango's skin
// is, not its hue, while green vs orange skin differs in hue.
const CHROMA_CAP = 30;
// A light, nearly neutral cell is the sheet or the background, not the fruit: its tint is
// the light's white balance, and brightening the photo shifts it as channels clip (x1.2 on
// a bluish sheet turns it pinkish once blue clips). Such a cell (luma at least 170, chroma
// under 30) says nothing about ripeness and is left out of the comparison (NaN in
// `cappedChroma`); the fruit's cells, saturated or dark, are compared.
const NEUTRAL_LUMA = 170;
const NEUTRAL_CHROMA = 30;

/**
 * Colour signature of an RGB raster (3 bytes per pixel, row-major): the mean R,G,B of each
 * cell of a 4x4 grid, row-major, as 96 hex characters.
 */
export function colourSignature(rgb: Uint8Array, width: number, height: number): string {
  const cells = COLOUR_GRID * COLOUR_GRID;
  const sums = new Float64Array(cells * 3);
  const counts = new Uint32Array(cells);
  const colCell = Uint32Array.from({ length: width }, (_, x) =>
    Math.min(COLOUR_GRID - 1, Math.floor((x * COLOUR_GRID) / width)),
  );
  for (let y = 0; y < height; y++) {
    const rowBase = Math.min(COLOUR_GRID - 1, Math.floor((y * COLOUR_GRID) / height)) * COLOUR_GRID;
    for (let x = 0, p = y * width * 3; x < width; x++, p += 3) {
      const cell = rowBase + colCell[x]!;
      sums[cell * 3]! += rgb[p]!;
      sums[cell * 3 + 1]! += rgb[p + 1]!;
      sums[cell * 3 + 2]! += rgb[p + 2]!;
      counts[cell]!++;
    }
  }
  let hex = "";
  for (let i = 0; i < sums.length; i++)
    hex += Math.round(sums[i]! / Math.max(1, counts[Math.floor(i / 3)]!))
      .toString(16)
      .padStart(2, "0");
  return hex;
}

/**
 * Per cell, the opponent chroma (R-G, (R+G)/2-B) with its length capped at CHROMA_CAP,
 * NaN for a light, nearly neutral cell; `mirrored` reads the 4x4 grid mirrored left to right, as a
 * mirrored copy has it.
 */
export function cappedChroma(colour: string, mirrored = false): Float64Array {
  if (colour.length !== COLOUR_HEX || !/^[0-9a-f]*$/.test(colour)) {
    throw new Error(
      `not a colour signature as ${COLOUR_HEX} lowercase hex characters: "${colour}"`,
    );
  }
  const cells = COLOUR_GRID * COLOUR_GRID;
  const out = new Float64Array(cells * 2);
  for (let c = 0; c < cells; c++) {
    const r = parseInt(colour.slice(c * 6, c * 6 + 2), 16);
    const g = parseInt(colour.slice(c * 6 + 2, c * 6 + 4), 16);
    const b = parseInt(colour.slice(c * 6 + 4, c * 6 + 6), 16);
    const a = r - g;
    const yb = (r + g) / 2 - b;
    const len = Math.hypot(a, yb);
    const k = len > CHROMA_CAP ? CHROMA_CAP / len : 1;
    const at = mirrored ? c - (c % COLOUR_GRID) + (COLOUR_GRID - 1 - (c % COLOUR_GRID)) : c;
    const neutral = 0.299 * r + 0.587 * g + 0.114 * b >= NEUTRAL_LUMA && len < NEUTRAL_CHROMA;
    out[at * 2] = neutral ? NaN : a * k;
    out[at * 2 + 1] = neutral ? NaN : yb * k;
  }
  return out;
}

/** Colour-layout distance between two `cappedChroma` results (see `colourDistance`). */
export function chromaDistanceOf(a: Float64Array, b: Float64Array): number {
  // Squared distances, one square root at the end: this runs for millions of candidate
  // pairs at 100,000 images, where Math.hypot costs several times more.
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) {
    const dx = a[i]! - b[i]!;
    const dy = a[i + 1]! - b[i + 1]!;
    const d = dx * dx + dy * dy;
    if (d > worst) worst = d; // NaN (a neutral cell on either side) is never greater
  }
  return Math.sqrt(worst);
}

/**
 * Colour-layout distance between two colour signatures, in 0-255 levels of chroma: the
 * largest difference over the 16 cells of their capped opponent chroma, cells that are
 * light and neutral in either left out. Luminance is left out (pHash covers it, and a brighter
 * copy is still a copy); 0 for identical colours, at most 2 x 30 = 60 for opposite hues.
 */
export function colourDistance(a: string, b: string): number {
  return chromaDistanceOf(cappedChroma(a), cappedChroma(b));
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A 64-bit hash as its two 32-bit halves. */
export type Halves = readonly [number, number];

/** Parses a 16-hex-character hash into its halves. */
export function halves(hash: string): Halves {
  if (!/^[0-9a-f]{16}$/.test(hash))
    throw new Error(`not a 64-bit hash as 16 lowercase hex characters: "${hash}"`);
  return [parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8), 16)];
}

/** Hamming distance of two parsed hashes. */
export function distanceOf(a: Halves, b: Halves): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0);
}

/** Number of differing bits between two 64-bit hashes (0 = same picture, 32 = unrelated). */
export function hammingDistance(a: string, b: string): number {
  return distanceOf(halves(a), halves(b));
}
