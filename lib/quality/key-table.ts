/**
 * The multi-index hash table under the copy search (copy-index.ts). Each 64-bit key is cut
 * into 4 chunks of 16 bits, and each chunk value keys a bucket. Two keys within r bits
 * agree to within floor(r/4) bits on at least one chunk (pigeonhole), so probing every
 * bucket within that many bits of each chunk finds every key within r bits, and nothing is
 * missed by chance.
 */

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

/** Set bits of a 32-bit word. */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A growable Uint32Array: one number per indexed image. */
export class Column {
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
export class KeyTable {
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
