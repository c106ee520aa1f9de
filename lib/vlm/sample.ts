/**
 * Which images the VLM sees: a stratified sample of those that passed the deterministic
 * checks (refused images are already refused; the VLM's eyes are for what would be
 * trained on), and their downscaled JPEGs.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";

/**
 * Up to `size` items spread evenly over labels (round-robin over classes, so a class with
 * few images is still seen), each class's order shuffled by a hash of the key: the same
 * batch always gets the same sample, and a contributor cannot choose which files are seen
 * by their position in the manifest.
 */
export function stratifiedSample<T extends { key: string; label: string }>(
  items: readonly T[],
  size: number,
  salt = "vlm-sample-v1",
): T[] {
  const rank = (key: string) => createHash("sha256").update(`${salt}\0${key}`).digest("hex");
  const byLabel = new Map<string, Array<{ item: T; rank: string }>>();
  for (const item of items) {
    const list = byLabel.get(item.label) ?? [];
    list.push({ item, rank: rank(item.key) });
    byLabel.set(item.label, list);
  }
  const queues = [...byLabel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, list]) => list.sort((a, b) => a.rank.localeCompare(b.rank)));
  const out: T[] = [];
  for (let round = 0; out.length < size && queues.some((q) => q.length > round); round++) {
    for (const q of queues) {
      if (out.length >= size) break;
      const next = q[round];
      if (next) out.push(next.item);
    }
  }
  return out;
}

/** The image as the VLM gets it: EXIF-rotated, flattened, at most `side` px, JPEG q80. */
export async function reviewThumbnail(
  bytes: Buffer,
  side: number,
  maxPixels: number,
): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: maxPixels, autoOrient: true })
    .flatten({ background: "#ffffff" })
    .toColourspace("srgb")
    .resize(side, side, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}
