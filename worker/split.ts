/**
 * Seeded randomness for the training run: the PRNG, shuffles and the validation hold-out.
 * Pure (no TF), so the split a seed gives is testable and the same on every machine.
 */
import { mulberry32 } from "../lib/random.ts";
import type { LabeledImage } from "../lib/dataset.ts";

export { mulberry32 };

/** Holds out `fraction` of each class (at least 1 where the class has 2+ images). */
export function stratifiedSplit(
  images: LabeledImage[],
  fraction: number,
  rng: () => number,
): { train: LabeledImage[]; val: LabeledImage[] } {
  const byLabel = new Map<string, number[]>();
  images.forEach((img, i) => byLabel.set(img.label, [...(byLabel.get(img.label) ?? []), i]));
  const held = new Set<number>();
  for (const idx of byLabel.values()) {
    if (idx.length < 2) continue;
    const take = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * fraction)));
    shuffled(idx.length, rng)
      .slice(0, take)
      .forEach((j) => held.add(idx[j] as number));
  }
  if (held.size === 0) {
    throw new Error(
      "no validation images given and every class has fewer than 2 training images, so none can be held out; add images or pass a validation set",
    );
  }
  return {
    train: images.filter((_, i) => !held.has(i)),
    val: images.filter((_, i) => held.has(i)),
  };
}

/** A permutation of 0..n-1 (Fisher-Yates). */
export function shuffled(n: number, rng: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/**
 * One seed per (run seed, epoch, batch), so a batch's augmentation does not depend on how
 * many random numbers earlier batches drew: changing one augmentation setting or the batch
 * count of an epoch leaves every other batch's draws as they were.
 */
export function batchSeed(seed: number, epoch: number, batch: number): number {
  let h = 0x811c9dc5; // FNV-1a over the three integers' 32-bit words
  for (const v of [seed, epoch, batch]) {
    for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((v >>> (8 * k)) & 0xff), 0x01000193);
  }
  return h >>> 0;
}
