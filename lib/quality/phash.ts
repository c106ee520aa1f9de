/**
 * Perceptual hashing and duplicate search.
 *
 * The hash is a 64-bit DCT perceptual hash (pHash). A difference hash (dHash) was tried
 * first: on studio shots (a mango on a white sheet) its bits over the flat background are
 * noise, so distinct real photos came as close as 10 bits while a CMYK round trip of one
 * photo moved 9. pHash keeps only the coarse structure: distinct real photos >= 12 bits,
 * re-encoded / resized / grayscale / CMYK copies 0-4. It does not survive crops or
 * rotations, which is fine: "the same photo uploaded twice" is what it is for.
 *
 * pHash sees luminance only, so a green and a red mango of the same shape on the same
 * plain background hash alike (6 bits apart among 400 synthetic photos). A copy keeps its
 * colours, so a near copy must also match a colour signature: the mean R,G,B of each cell
 * of a 4x4 grid, compared as chroma (see `colourDistance`).
 * Hashes travel as 16 hex characters and colour signatures as 96, so both fit in JSON
 * reports and manifests.
 */

/** A hashed image: its key, the sha256 of its bytes, its 64-bit hash and its colour signature. */
export interface HashedImage {
  key: string;
  sha256: string;
  /** 64-bit perceptual hash as 16 hex characters. */
  hash: string;
  /** Mean R,G,B of a 4x4 grid as 96 hex characters (see `colourSignature`). */
  colour: string;
  /** Label and split, for images of earlier sets (a copy's label or split may clash). */
  label?: string;
  split?: string;
}

/** When two distinct files count as the same picture: both distances at or under their limit. */
export interface NearDuplicateRule {
  /** Largest pHash Hamming distance (of 64 bits). */
  maxHashDistance: number;
  /** Largest colour-layout distance (see `colourDistance`). */
  maxColourDistance: number;
}

/** Images that are the same picture: `exact` when their bytes are identical. */
export interface DuplicateGroup {
  kind: "exact" | "near";
  /** Keys in batch order; the first is the one to keep. */
  keys: string[];
  /** Largest pairwise hash distance within the group (0 for exact groups). */
  distance: number;
}

/** A batch image that matches an image of an earlier set (e.g. the evaluation set). */
export interface EarlierMatch {
  key: string;
  earlierKey: string;
  kind: "exact" | "near";
  distance: number;
}

const HASH_GRID = 32;
const HASH_FREQS = 8;
// cos((2x+1)u pi / 2N) for the 8 lowest frequencies of a 32-point DCT, computed once.
const DCT = Array.from({ length: HASH_FREQS }, (_, u) =>
  Float64Array.from({ length: HASH_GRID }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * HASH_GRID))));

/** Box-averages a grayscale raster down to `side` x `side` (cells may be fractional). */
export function boxDownsample(gray: Uint8Array, width: number, height: number, side: number): Float64Array {
  const sums = new Float64Array(side * side);
  const counts = new Uint32Array(side * side);
  const colCell = Uint32Array.from({ length: width }, (_, x) => Math.min(side - 1, Math.floor((x * side) / width)));
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
  const small = boxDownsample(gray, width, height, HASH_GRID);
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

/**
 * Colour signature of an RGB raster (3 bytes per pixel, row-major): the mean R,G,B of each
 * cell of a 4x4 grid, row-major, as 96 hex characters.
 */
export function colourSignature(rgb: Uint8Array, width: number, height: number): string {
  const cells = COLOUR_GRID * COLOUR_GRID;
  const sums = new Float64Array(cells * 3);
  const counts = new Uint32Array(cells);
  const colCell = Uint32Array.from({ length: width }, (_, x) => Math.min(COLOUR_GRID - 1, Math.floor((x * COLOUR_GRID) / width)));
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
  for (let i = 0; i < sums.length; i++) hex += Math.round(sums[i]! / Math.max(1, counts[Math.floor(i / 3)]!)).toString(16).padStart(2, "0");
  return hex;
}

/** Per cell, the opponent chroma (R-G, (R+G)/2-B) with its length capped at CHROMA_CAP. */
function cappedChroma(colour: string): Float64Array {
  if (colour.length !== COLOUR_HEX || !/^[0-9a-f]*$/.test(colour)) {
    throw new Error(`not a colour signature as ${COLOUR_HEX} lowercase hex characters: "${colour}"`);
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
    out[c * 2] = a * k;
    out[c * 2 + 1] = yb * k;
  }
  return out;
}

function chromaDistanceOf(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i += 2) worst = Math.max(worst, Math.hypot(a[i]! - b[i]!, a[i + 1]! - b[i + 1]!));
  return worst;
}

/**
 * Colour-layout distance between two colour signatures, in 0-255 levels of chroma: the
 * largest difference over the 16 cells of their capped opponent chroma. Luminance is left
 * out (pHash covers it, and a brighter copy is still a copy); 0 for identical colours, at
 * most 2 x 30 = 60 for opposite hues.
 */
export function colourDistance(a: string, b: string): number {
  return chromaDistanceOf(cappedChroma(a), cappedChroma(b));
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

type Halves = readonly [number, number];

function halves(hash: string): Halves {
  if (!/^[0-9a-f]{16}$/.test(hash)) throw new Error(`not a 64-bit hash as 16 lowercase hex characters: "${hash}"`);
  return [parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8), 16)];
}

function distanceOf(a: Halves, b: Halves): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0);
}

/** Number of differing bits between two 64-bit hashes (0 = same picture, 32 = unrelated). */
export function hammingDistance(a: string, b: string): number {
  return distanceOf(halves(a), halves(b));
}

/**
 * Exact (same sha256) and near (within `rule`'s hash and colour distances) duplicate groups
 * in a batch. Near groups are connected components, so a chain of near copies is one group;
 * images already in an exact group are represented there by their first key only. O(n^2)
 * popcount pairs (colours are compared only when the hashes match): 10k images are 50M
 * pairs, about a second.
 */
export function findDuplicates(items: HashedImage[], rule: NearDuplicateRule): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  const bySha = new Map<string, string[]>();
  for (const item of items) {
    const keys = bySha.get(item.sha256);
    if (keys) keys.push(item.key);
    else bySha.set(item.sha256, [item.key]);
  }
  for (const keys of bySha.values()) if (keys.length > 1) groups.push({ kind: "exact", keys, distance: 0 });

  // One representative per distinct file, so exact copies are not reported twice.
  const reps = items.filter((item) => bySha.get(item.sha256)![0] === item.key);
  const hashes = reps.map((r) => halves(r.hash));
  const colours = reps.map((r) => cappedChroma(r.colour));
  const parent = reps.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let i = 0; i < reps.length; i++) {
    for (let j = i + 1; j < reps.length; j++) {
      if (distanceOf(hashes[i]!, hashes[j]!) <= rule.maxHashDistance && chromaDistanceOf(colours[i]!, colours[j]!) <= rule.maxColourDistance) {
        const a = root(i);
        const b = root(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const members = new Map<number, number[]>();
  reps.forEach((_, i) => {
    const r = root(i);
    const list = members.get(r);
    if (list) list.push(i);
    else members.set(r, [i]);
  });
  for (const idx of members.values()) {
    if (idx.length < 2) continue;
    let distance = 0;
    for (const a of idx) for (const b of idx) distance = Math.max(distance, distanceOf(hashes[a]!, hashes[b]!));
    groups.push({ kind: "near", keys: idx.map((i) => reps[i]!.key), distance });
  }
  return groups;
}

/**
 * Batch images that are exact or near copies (same `rule` as `findDuplicates`) of an
 * earlier set's images: how images of the frozen evaluation set leaking into training data
 * are found. One match per batch image, the closest by hash.
 */
export function findEarlierMatches(items: HashedImage[], earlier: HashedImage[], rule: NearDuplicateRule): EarlierMatch[] {
  const earlierBySha = new Map(earlier.map((e) => [e.sha256, e.key]));
  const earlierHashes = earlier.map((e) => halves(e.hash));
  const earlierColours = earlier.map((e) => cappedChroma(e.colour));
  const matches: EarlierMatch[] = [];
  for (const item of items) {
    const same = earlierBySha.get(item.sha256);
    if (same !== undefined) {
      matches.push({ key: item.key, earlierKey: same, kind: "exact", distance: 0 });
      continue;
    }
    const h = halves(item.hash);
    const colour = cappedChroma(item.colour);
    let best = -1;
    let bestDistance = rule.maxHashDistance + 1;
    earlierHashes.forEach((e, i) => {
      const d = distanceOf(h, e);
      if (d < bestDistance && chromaDistanceOf(colour, earlierColours[i]!) <= rule.maxColourDistance) {
        best = i;
        bestDistance = d;
      }
    });
    if (best >= 0) matches.push({ key: item.key, earlierKey: earlier[best]!.key, kind: "near", distance: bestDistance });
  }
  return matches;
}
