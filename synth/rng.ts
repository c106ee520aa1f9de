/**
 * Seeded randomness for the synthetic data: the same seed must give byte-identical images
 * on every machine, so nothing here touches Math.random or the clock.
 */

/** A seeded stream of random numbers with the few distributions the painters need. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** Approximately standard normal (mean 0, sd 1); cheap enough to call per pixel. */
  normal(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** One key of a weight table, drawn in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

/**
 * Hashes any mix of numbers and strings to a 32-bit seed (xmur3 finaliser). Images are
 * seeded by (seed, label, index) rather than drawn from one stream, so asking for more
 * images of one class never changes the images already made for another.
 */
export function seedFrom(...parts: ReadonlyArray<number | string>): number {
  const text = parts.join("\u0000");
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A sfc32 generator: small, fast, and good enough statistically for pictures. */
export function createRng(...seedParts: ReadonlyArray<number | string>): Rng {
  let a = seedFrom("a", ...seedParts);
  let b = seedFrom("b", ...seedParts);
  let c = seedFrom("c", ...seedParts);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Warm up: the first outputs of sfc32 still echo the seed.
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    range: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    // Irwin-Hall with three uniforms: variance 1/4, scaled to 1. Tails are short, which
    // suits sensor noise and shape jitter better than a true normal's rare extremes.
    normal: () => (next() + next() + next() - 1.5) * 2,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick() needs at least one item");
      return items[Math.floor(next() * items.length)]!;
    },
    weighted: (weights) => {
      const entries = Object.entries(weights) as Array<[keyof typeof weights & string, number]>;
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [k, w] of entries) {
        r -= w;
        if (r < 0) return k;
      }
      return entries[entries.length - 1]![0];
    },
  };
}
