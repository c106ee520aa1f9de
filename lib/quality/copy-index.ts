/**
 * Finding copies at scale: a multi-index hash over pHash for candidates, copies.ts to decide.
 *
 * Pairwise comparison is 5 billion pairs at 100,000 images. Here each pHash is cut into 5
 * chunks of 12-13 bits, and each chunk value keys a bucket. Two hashes within r bits agree
 * to within floor(r/5) bits on at least one chunk (pigeonhole), so probing every bucket
 * within that many bits of each chunk finds every hash within r bits, and nothing is
 * missed by chance. Every candidate then passes, cheapest first: the full Hamming distance,
 * the 16 px structure, the colour layout, and the registered picture comparison.
 *
 * Copies are found as a copy of one specific image, never through a chain: a batch is
 * clustered leader-first, each image compared with the representatives so far, and each
 * copy names the representative it is within the limits of.
 */
import { coarseSimilarity, coarseStructure, copySimilarity, decodeThumbnail, mirrorThumbnail } from "./copies.ts";
import { cappedChroma, chromaDistanceOf, distanceOf, type Halves, halves, hashOfThumbnail } from "./phash.ts";

/** An image as the copy search sees it: identity, hash, colour layout and copy thumbnail. */
export interface HashedImage {
  key: string;
  sha256: string;
  /** 64-bit perceptual hash of the thumbnail as 16 hex characters. */
  hash: string;
  /** Mean R,G,B of a 4x4 grid as 96 hex characters (see `colourSignature`). */
  colour: string;
  /** The 32x32 luma thumbnail as base64 (see copies.ts). */
  thumb: string;
  /** Label and split, for images of earlier sets (a copy's label or split may clash). */
  label?: string;
  split?: string;
}

/** When a distinct file counts as a copy of another: every limit met. */
export interface CopyRule {
  /** pHash Hamming distance (of 64 bits) within which images are compared at all. */
  maxHashDistance: number;
  /** Largest colour-layout distance (see `colourDistance`). */
  maxColourDistance: number;
  /** Smallest registered picture similarity (see `copySimilarity`), 0-1. */
  minSimilarity: number;
}

/** How a copy matches the image it copies. */
export interface CopyMatch {
  /** Registered picture similarity, 0-1. */
  similarity: number;
  /** pHash distance, in the orientation that matched. */
  hashDistance: number;
  /** The copy is mirrored left to right. */
  mirrored: boolean;
}

/** Images that are the same picture: `exact` when their bytes are identical. */
export interface DuplicateGroup {
  kind: "exact" | "near";
  /** Keys in batch order of the representative first: the one to keep. */
  keys: string[];
  /** For a near group, how each key after the first matches the first. */
  matches?: CopyMatch[];
}

/** A batch image that copies an image of an earlier set (e.g. the evaluation set). */
export interface EarlierMatch extends Partial<CopyMatch> {
  key: string;
  earlierKey: string;
  kind: "exact" | "near";
}

/** What a search compared, for benchmarks and reports. */
export interface CopySearchStats {
  /** Pairs within the hash radius. */
  candidates: number;
  /** Pairs compared as pictures (after the structure and colour pre-checks). */
  compared: number;
}

// Coarse-structure correlation under which a pair is not compared further. Copies of the
// real photos sit at 0.954 and above (cropped 1.5% a side), far over this.
const COARSE_FLOOR = 0.9;
const CHUNKS = [13, 13, 13, 13, 12] as const;

function chunksOf(h: Halves): number[] {
  const out: number[] = [];
  let bit = 0;
  for (const len of CHUNKS) {
    let v = 0;
    for (let i = 0; i < len; i++, bit++) {
      const word = bit < 32 ? h[0] : h[1];
      v = (v << 1) | ((word >>> (31 - (bit % 32))) & 1);
    }
    out.push(v);
  }
  return out;
}

/** Every value within `radius` bits of `v` in a `bits`-bit chunk. */
function neighbours(v: number, bits: number, radius: number, visit: (n: number) => void): void {
  if (radius > 2) throw new Error(`hash radius ${radius} per chunk is not supported (maxDuplicateDistance is at most 14)`);
  visit(v);
  if (radius >= 1) {
    for (let i = 0; i < bits; i++) {
      const a = v ^ (1 << i);
      visit(a);
      if (radius >= 2) for (let j = i + 1; j < bits; j++) visit(a ^ (1 << j));
    }
  }
}

interface Entry {
  item: HashedImage;
  hash: Halves;
  thumb: Uint8Array;
  coarse: Float32Array;
  chroma: Float64Array;
}

/** A query image in both orientations. */
interface Probe {
  hash: [Halves, Halves];
  thumb: Uint8Array;
  coarse: [Float32Array, Float32Array];
  chroma: [Float64Array, Float64Array];
}

function probeOf(item: HashedImage): Probe {
  const thumb = decodeThumbnail(item.thumb);
  const mirrored = mirrorThumbnail(thumb);
  return {
    hash: [halves(item.hash), halves(hashOfThumbnail(mirrored))],
    thumb,
    coarse: [coarseStructure(thumb), coarseStructure(mirrored)],
    chroma: [cappedChroma(item.colour), cappedChroma(item.colour, true)],
  };
}

/** An index of images that answers "which indexed image is this one a copy of?". */
export class CopyIndex {
  private readonly entries: Entry[] = [];
  private readonly buckets = CHUNKS.map(() => new Map<number, number[]>());
  private readonly chunkRadius: number;
  private stamp = new Uint32Array(1024);
  private query = 0;
  readonly stats: CopySearchStats = { candidates: 0, compared: 0 };

  constructor(private readonly rule: CopyRule) {
    this.chunkRadius = Math.floor(rule.maxHashDistance / CHUNKS.length);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds an image; returns its id. */
  add(item: HashedImage): number {
    const probe = probeOf(item);
    return this.addProbe(item, probe);
  }

  private addProbe(item: HashedImage, probe: Probe): number {
    const id = this.entries.length;
    this.entries.push({ item, hash: probe.hash[0], thumb: probe.thumb, coarse: probe.coarse[0], chroma: probe.chroma[0] });
    chunksOf(probe.hash[0]).forEach((v, c) => {
      const bucket = this.buckets[c]!.get(v);
      if (bucket) bucket.push(id);
      else this.buckets[c]!.set(v, [id]);
    });
    if (id >= this.stamp.length) {
      const grown = new Uint32Array(this.stamp.length * 2);
      grown.set(this.stamp);
      this.stamp = grown;
    }
    return id;
  }

  /** The indexed image `item` is the closest copy of, if any. */
  find(item: HashedImage): ({ item: HashedImage } & CopyMatch) | undefined {
    return this.findProbe(probeOf(item));
  }

  /**
   * Like `find`, and adds `item` when it copies nothing: leader clustering, so the index
   * holds one representative per picture.
   */
  findOrAdd(item: HashedImage): ({ item: HashedImage } & CopyMatch) | undefined {
    const probe = probeOf(item);
    const match = this.findProbe(probe);
    if (!match) this.addProbe(item, probe);
    return match;
  }

  private findProbe(probe: Probe): ({ item: HashedImage } & CopyMatch) | undefined {
    const { rule } = this;
    let best: ({ item: HashedImage } & CopyMatch) | undefined;
    for (const o of [0, 1] as const) {
      const mark = ++this.query;
      const hash = probe.hash[o];
      chunksOf(hash).forEach((v, c) => {
        neighbours(v, CHUNKS[c]!, this.chunkRadius, (n) => {
          for (const id of this.buckets[c]!.get(n) ?? []) {
            if (this.stamp[id] === mark) continue;
            this.stamp[id] = mark;
            const e = this.entries[id]!;
            const hashDistance = distanceOf(hash, e.hash);
            if (hashDistance > rule.maxHashDistance) continue;
            this.stats.candidates++;
            if (coarseSimilarity(probe.coarse[o], e.coarse) < COARSE_FLOOR) continue;
            if (chromaDistanceOf(probe.chroma[o], e.chroma) > rule.maxColourDistance) continue;
            this.stats.compared++;
            const similarity = copySimilarity(e.thumb, probe.thumb, o === 1);
            if (similarity >= rule.minSimilarity && (!best || similarity > best.similarity)) {
              best = { item: e.item, similarity, hashDistance, mirrored: o === 1 };
            }
          }
        });
      });
    }
    return best;
  }
}

/**
 * Exact (same sha256) and near copy groups in a batch, in batch order. Near groups are
 * stars: each member is a copy of the group's first key, within `rule`, never a copy of a
 * copy. Images already in an exact group take part by their first key only.
 */
export function findDuplicates(items: HashedImage[], rule: CopyRule, stats?: CopySearchStats): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  const bySha = new Map<string, string[]>();
  for (const item of items) {
    const keys = bySha.get(item.sha256);
    if (keys) keys.push(item.key);
    else bySha.set(item.sha256, [item.key]);
  }
  for (const keys of bySha.values()) if (keys.length > 1) groups.push({ kind: "exact", keys });

  const index = new CopyIndex(rule);
  const near = new Map<string, DuplicateGroup>();
  for (const item of items) {
    if (bySha.get(item.sha256)![0] !== item.key) continue;
    const match = index.findOrAdd(item);
    if (!match) continue;
    const { item: rep, ...how } = match;
    let group = near.get(rep.key);
    if (!group) near.set(rep.key, (group = { kind: "near", keys: [rep.key], matches: [] }));
    group.keys.push(item.key);
    group.matches!.push(how);
  }
  if (stats) Object.assign(stats, index.stats);
  return [...groups, ...near.values()];
}

/**
 * Batch images that are exact or near copies (same `rule` as `findDuplicates`) of an
 * earlier set's images: how images of the frozen evaluation set leaking into training data
 * are found. One match per batch image, the most similar.
 */
export function findEarlierMatches(items: HashedImage[], earlier: HashedImage[], rule: CopyRule, stats?: CopySearchStats): EarlierMatch[] {
  const earlierBySha = new Map(earlier.map((e) => [e.sha256, e.key]));
  const index = new CopyIndex(rule);
  for (const e of earlier) index.add(e);
  const matches: EarlierMatch[] = [];
  for (const item of items) {
    const same = earlierBySha.get(item.sha256);
    if (same !== undefined) {
      matches.push({ key: item.key, earlierKey: same, kind: "exact" });
      continue;
    }
    const match = index.find(item);
    if (match) {
      const { item: e, ...how } = match;
      matches.push({ key: item.key, earlierKey: e.key, kind: "near", ...how });
    }
  }
  if (stats) Object.assign(stats, index.stats);
  return matches;
}
