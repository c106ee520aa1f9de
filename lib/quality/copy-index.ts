/**
 * Finding copies at scale: a multi-index hash over pHash for candidates, copies.ts to decide.
 *
 * Pairwise comparison is 5 billion pairs at 100,000 images. Here each of two 64-bit keys
 * (the pHash, and a hash of the 16 px structure) is cut into 4 chunks of 16 bits, and each
 * chunk value keys a bucket. Two keys within r bits agree to within floor(r/4) bits on at
 * least one chunk (pigeonhole), so probing every bucket within that many bits of each chunk
 * finds every key within r bits, and nothing is missed by chance. Every candidate then
 * passes, cheapest first: the structure-hash distance (a popcount), the colour layout, the
 * 16 px structure itself, and the registered picture comparison.
 *
 * Copies are found as a copy of one specific image, never through a chain: a batch is
 * clustered leader-first, each image compared with the representatives so far, and each
 * copy names the representative it is within the limits of.
 */
import {
  coarseSimilarity,
  coarseStructure,
  copySimilarity,
  decodeThumbnail,
  mirrorThumbnail,
  structureHash,
} from "./copies.ts";
import { cappedChroma, chromaDistanceOf, type Halves, halves, hashOfThumbnail } from "./phash.ts";

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
  /** pHash Hamming distance (of 64 bits) within which images are compared. */
  maxHashDistance: number;
  /** Structure-hash distance (of 64 bits, see `structureHash`) within which images are compared too. */
  maxStructureDistance: number;
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
  /** Pairs within either key's radius. */
  candidates: number;
  /** Pairs compared as pictures (after the structure and colour pre-checks). */
  compared: number;
}

// Coarse-structure correlation under which a pair is not compared further. Copies of the
// real photos sit at 0.954 and above (cropped 1.5% a side, before registration).
const COARSE_FLOOR = 0.93;
// Structure-hash bits (of 64) over which a pair is not compared further, however close its
// pHash: the popcount that stands in for the structure correlation. Copies of the real
// photos: at most 10.
const STRUCTURE_RADIUS = 13;
// Each 64-bit key is cut into 4 chunks of 16 bits: a radius of up to 11 bits probes up to
// 2 bits of each (137 buckets), and two unrelated images share such a bucket for about 1
// in 120 pairs, against 1 in 18 with 5 chunks of 13 bits at 2 a chunk.
const CHUNK_BITS = 16;
const CHUNK_COUNT = 4;

/** Chunk `c` (16 bits, 0 = the high half of `hi`) of a 64-bit key held as two words. */
function chunkOf(hi: number, lo: number, c: number): number {
  const word = c < 2 ? hi : lo;
  return c % 2 === 0 ? word >>> 16 : word & 0xffff;
}

/** The XOR masks of every value within `radius` bits of a 16-bit chunk. */
function masksWithin(radius: number): Int32Array {
  if (radius > 2)
    throw new Error(
      `a hash radius of ${radius} bits per chunk is not supported (the key radii are at most 11)`,
    );
  const out = [0];
  if (radius >= 1) {
    for (let i = 0; i < CHUNK_BITS; i++) {
      out.push(1 << i);
      if (radius >= 2) for (let j = i + 1; j < CHUNK_BITS; j++) out.push((1 << i) | (1 << j));
    }
  }
  return Int32Array.from(out);
}

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A growable Uint32Array: one number per indexed image. */
class Column {
  data: Uint32Array;
  constructor(capacity: number) {
    this.data = new Uint32Array(capacity);
  }
  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const grown = new Uint32Array(Math.max(1024, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[i] = v;
  }
}

/**
 * A multi-index hash table over one 64-bit key: per chunk, the first id of each bucket (-1
 * for none) and each id's next in its bucket, as typed arrays, since at 100,000 images a
 * search walks hundreds of millions of links.
 */
class KeyTable {
  readonly hi = new Column(1024);
  readonly lo = new Column(1024);
  readonly heads = Array.from({ length: CHUNK_COUNT }, () =>
    new Int32Array(1 << CHUNK_BITS).fill(-1),
  );
  readonly next = Array.from({ length: CHUNK_COUNT }, () => new Column(1024));
  readonly masks: Int32Array;

  constructor(radius: number) {
    this.masks = masksWithin(Math.floor(radius / CHUNK_COUNT));
  }

  add(id: number, hi: number, lo: number): void {
    this.hi.set(id, hi);
    this.lo.set(id, lo);
    for (let c = 0; c < CHUNK_COUNT; c++) {
      const v = chunkOf(hi, lo, c);
      this.next[c]!.set(id, this.heads[c]![v]! >>> 0);
      this.heads[c]![v] = id;
    }
  }

  /** Calls `visit` once for each id in a bucket near `hi:lo` not yet marked with `mark`. */
  probe(
    hi: number,
    lo: number,
    stamp: Uint32Array,
    mark: number,
    visit: (id: number) => void,
  ): void {
    const masks = this.masks;
    for (let c = 0; c < CHUNK_COUNT; c++) {
      const head = this.heads[c]!;
      const next = this.next[c]!.data;
      const v = chunkOf(hi, lo, c);
      for (let m = 0; m < masks.length; m++) {
        for (let id = head[v ^ masks[m]!]!; id >= 0; id = next[id]! | 0) {
          if (stamp[id] === mark) continue;
          stamp[id] = mark;
          visit(id);
        }
      }
    }
  }
}

/** What the index keeps of an image besides its hashes. */
interface Entry {
  item: HashedImage;
  thumb: Uint8Array;
  coarse: Float32Array;
  chroma: Float64Array;
}

/** A query image in both orientations. */
interface Probe {
  hash: [Halves, Halves];
  structure: [[number, number], [number, number]];
  thumb: Uint8Array;
  coarse: [Float32Array, Float32Array];
  chroma: [Float64Array, Float64Array];
}

function probeOf(item: HashedImage): Probe {
  const thumb = decodeThumbnail(item.thumb);
  const mirrored = mirrorThumbnail(thumb);
  const coarse: [Float32Array, Float32Array] = [coarseStructure(thumb), coarseStructure(mirrored)];
  return {
    hash: [halves(item.hash), halves(hashOfThumbnail(mirrored))],
    structure: [structureHash(coarse[0]), structureHash(coarse[1])],
    thumb,
    coarse,
    chroma: [cappedChroma(item.colour), cappedChroma(item.colour, true)],
  };
}

/**
 * An index of images that answers "which indexed image is this one a copy of?". A pair is
 * a candidate when its pHashes are within `maxHashDistance` bits or its structure hashes
 * within `maxStructureDistance`: two keys, so a copy that one of them places far (a
 * brightened copy's pHash, a cropped copy's structure) is still found by the other.
 */
export class CopyIndex {
  private readonly entries: Entry[] = [];
  private readonly pixels: KeyTable;
  private readonly structure: KeyTable;
  private readonly stamp = new Column(1024);
  private query = 0;
  readonly stats: CopySearchStats = { candidates: 0, compared: 0 };

  constructor(private readonly rule: CopyRule) {
    this.pixels = new KeyTable(rule.maxHashDistance);
    this.structure = new KeyTable(rule.maxStructureDistance);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds an image; returns its id. */
  add(item: HashedImage): number {
    return this.addProbe(item, probeOf(item));
  }

  private addProbe(item: HashedImage, probe: Probe): number {
    const id = this.entries.length;
    this.entries.push({
      item,
      thumb: probe.thumb,
      coarse: probe.coarse[0],
      chroma: probe.chroma[0],
    });
    this.pixels.add(id, probe.hash[0][0], probe.hash[0][1]);
    this.structure.add(id, probe.structure[0][0], probe.structure[0][1]);
    this.stamp.set(id, 0);
    return id;
  }

  /** The indexed image `item` is the closest copy of, if any (`probe`: its keys, when the caller has them). */
  find(
    item: HashedImage,
    probe: Probe = probeOf(item),
  ): ({ item: HashedImage } & CopyMatch) | undefined {
    return this.findProbe(probe);
  }

  /**
   * Like `find`, and adds `item` when it copies nothing: leader clustering, so the index
   * holds one representative per picture.
   */
  findOrAdd(
    item: HashedImage,
    probe: Probe = probeOf(item),
  ): ({ item: HashedImage } & CopyMatch) | undefined {
    const match = this.findProbe(probe);
    if (!match) this.addProbe(item, probe);
    return match;
  }

  private findProbe(probe: Probe): ({ item: HashedImage } & CopyMatch) | undefined {
    const { rule, stats } = this;
    const hiCol = this.pixels.hi.data;
    const loCol = this.pixels.lo.data;
    const sHiCol = this.structure.hi.data;
    const sLoCol = this.structure.lo.data;
    let best: ({ item: HashedImage } & CopyMatch) | undefined;
    for (const o of [0, 1] as const) {
      const mark = ++this.query;
      const stamp = this.stamp.data;
      const [qh, ql] = probe.hash[o];
      const [sh, sl] = probe.structure[o];
      const visit = (id: number) => {
        const hashDistance =
          popcount32((hiCol[id]! ^ qh) >>> 0) + popcount32((loCol[id]! ^ ql) >>> 0);
        const structureDistance =
          popcount32((sHiCol[id]! ^ sh) >>> 0) + popcount32((sLoCol[id]! ^ sl) >>> 0);
        if (hashDistance > rule.maxHashDistance && structureDistance > rule.maxStructureDistance)
          return;
        stats.candidates++;
        if (structureDistance > STRUCTURE_RADIUS) return;
        const e = this.entries[id]!;
        if (chromaDistanceOf(probe.chroma[o], e.chroma) > rule.maxColourDistance) return;
        if (coarseSimilarity(probe.coarse[o], e.coarse) < COARSE_FLOOR) return;
        stats.compared++;
        const similarity = copySimilarity(e.thumb, probe.thumb, o === 1, e.coarse);
        if (similarity >= rule.minSimilarity && (!best || similarity > best.similarity)) {
          best = { item: e.item, similarity, hashDistance, mirrored: o === 1 };
        }
      };
      this.pixels.probe(qh, ql, stamp, mark, visit);
      this.structure.probe(sh, sl, stamp, mark, visit);
    }
    return best;
  }
}

/** What `searchCopies` found: copy groups within the batch, and per earlier set its matches. */
export interface CopySearch {
  duplicates: DuplicateGroup[];
  earlier: EarlierMatch[][];
  stats: CopySearchStats;
}

/**
 * Copies within a batch and of earlier sets (the evaluation set, trained manifests), in one
 * pass: each batch image's keys are computed once, looked up in every earlier set's index
 * and in the batch's own, then dropped, so what stays in memory is the indexes (one entry a
 * representative), not one probe per batch image.
 *
 * Within the batch, exact copies group by sha256 and near groups are stars: each member is
 * a copy of the group's first key, within `rule`, never a copy of a copy; images already in
 * an exact group take part by their first key only. Against an earlier set, each batch
 * image gets one match, the most similar. `withinBatch: false` skips the batch's own search.
 */
export function searchCopies(
  items: HashedImage[],
  earlierSets: HashedImage[][],
  rule: CopyRule,
  opts: { withinBatch?: boolean } = {},
): CopySearch {
  const withinBatch = opts.withinBatch ?? true;
  const duplicates: DuplicateGroup[] = [];
  const bySha = new Map<string, string[]>();
  for (const item of items) {
    const keys = bySha.get(item.sha256);
    if (keys) keys.push(item.key);
    else bySha.set(item.sha256, [item.key]);
  }
  if (withinBatch)
    for (const keys of bySha.values())
      if (keys.length > 1) duplicates.push({ kind: "exact", keys });

  const sets = earlierSets.map((images) => {
    const index = new CopyIndex(rule);
    for (const e of images) index.add(e);
    return {
      index,
      bySha: new Map(images.map((e) => [e.sha256, e.key])),
      matches: [] as EarlierMatch[],
    };
  });
  const batch = new CopyIndex(rule);
  const near = new Map<string, DuplicateGroup>();
  for (const item of items) {
    const probe = probeOf(item);
    for (const set of sets) {
      const same = set.bySha.get(item.sha256);
      if (same !== undefined) {
        set.matches.push({ key: item.key, earlierKey: same, kind: "exact" });
        continue;
      }
      const match = set.index.find(item, probe);
      if (match) {
        const { item: e, ...how } = match;
        set.matches.push({ key: item.key, earlierKey: e.key, kind: "near", ...how });
      }
    }
    if (!withinBatch || bySha.get(item.sha256)![0] !== item.key) continue;
    const match = batch.findOrAdd(item, probe);
    if (!match) continue;
    const { item: rep, ...how } = match;
    let group = near.get(rep.key);
    if (!group) near.set(rep.key, (group = { kind: "near", keys: [rep.key], matches: [] }));
    group.keys.push(item.key);
    group.matches!.push(how);
  }
  const stats = { candidates: batch.stats.candidates, compared: batch.stats.compared };
  for (const set of sets) {
    stats.candidates += set.index.stats.candidates;
    stats.compared += set.index.stats.compared;
  }
  return {
    duplicates: [...duplicates, ...near.values()],
    earlier: sets.map((s) => s.matches),
    stats,
  };
}

/** Exact and near copy groups within a batch (see `searchCopies`). */
export function findDuplicates(
  items: HashedImage[],
  rule: CopyRule,
  stats?: CopySearchStats,
): DuplicateGroup[] {
  const found = searchCopies(items, [], rule);
  if (stats) Object.assign(stats, found.stats);
  return found.duplicates;
}

/**
 * Batch images that are exact or near copies (same `rule` as `findDuplicates`) of an
 * earlier set's images: how images of the frozen evaluation set leaking into training data
 * are found. One match per batch image, the most similar.
 */
export function findEarlierMatches(
  items: HashedImage[],
  earlier: HashedImage[],
  rule: CopyRule,
  stats?: CopySearchStats,
): EarlierMatch[] {
  const found = searchCopies(items, [earlier], rule, { withinBatch: false });
  if (stats) Object.assign(stats, found.stats);
  return found.earlier[0]!;
}
