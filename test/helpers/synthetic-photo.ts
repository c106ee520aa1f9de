/**
 * Photo-like pictures made here for the data gate's unit tests, the same bytes every run.
 */
import sharp from "sharp";

/**
 * A deterministic photo-like picture: a textured ellipse on a pale, noisy background. The
 * fruit is yellow, or green at about the same luma (so only its hue differs).
 */
export function syntheticPhoto(
  width = 224,
  height = 224,
  seed = 7,
  fruit: "yellow" | "green" = "yellow",
): Promise<Buffer> {
  let s = seed >>> 0;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - width / 2) / (width * 0.32);
      const dy = (y - height / 2) / (height * 0.42);
      const inside = dx * dx + dy * dy < 1;
      const skin =
        fruit === "yellow"
          ? [200 - 60 * dy, 170 + 30 * dx, 40]
          : [110 - 60 * dy, 215 + 30 * dx, 60];
      const base = inside ? skin : [225, 222, 215];
      const n = rand() * 30;
      base.forEach(
        (v, c) => (px[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + n)))),
      );
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
