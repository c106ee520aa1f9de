/**
 * Finding copies at scale: a multi-index hash over pHash for candidates, copies.ts to decide.
 *
 * Pairwise comparison is 5 billion pairs at 100,000 images. Here each of two 64-bit keys
 * (the pHash, and a hash of the 16 px structure) indexes a multi-index hash table
 * (key-table.ts), which finds every key within a radius without comparing all pairs.
 * Every candidate then passes, cheapest first: the structure-hash distance (a popcount),
 * the colour layout, the 16 px structure itself, and the registered picture comparison.
 *
 * Copies are found as a copy of one specific image, never through a chain: a batch is
 * clustered leader-first, each image compared with the representatives so far, and each
 * copy names the representative it is within the limits of (copy-search.ts).
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
import { Column, KeyTable, popcount32 } from "./key-table.ts";

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

/** What the index keeps of an image besides its hashes. */
interface Entry {
  item: HashedImage;
  thumb: Uint8Array;
  coarse: Float32Array;
  chroma: Float64Array;
}

/** A query image in both orientations: its keys, thumbnail, coarse structure and colour. */
export interface Probe {
  hash: [Halves, Halves];
  structure: [[number, number], [number, number]];
  thumb: Uint8Array;
  coarse: [Float32Array, Float32Array];
  chroma: [Float64Array, Float64Array];
}

/** The probe of an image, computed once per search (see `searchCopies`). */
export function probeOf(item: HashedImage): Probe {
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
