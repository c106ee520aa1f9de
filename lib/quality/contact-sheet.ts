/**
 * The contact sheet: the worst images of a batch side by side (or a sample of a clean one),
 * each captioned with its file and what is wrong (or its label when nothing is), so a person sees in one glance what the numbers mean. Files that
 * cannot be shown (missing, corrupt, not an image, too large) get a grey tile saying so.
 */
import sharp, { type OverlayOptions } from "sharp";
import type { ImageReport } from "./shard-check.ts";

/** Layout of the sheet. */
export interface ContactSheetOptions {
  /** Side of each picture in pixels. */
  tile?: number;
  columns?: number;
  /** Largest source picture decoded (a pixel bomb gets a placeholder). */
  maxPixels?: number;
}

const CAPTION = 34;
/** What GitHub's Ubuntu runners and most Linux hosts have, then a generic fallback. */
const FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const GAP = 4;

/** Escapes text for an SVG text node: keys and messages are contributors' data. */
export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const clipText = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function caption(img: ImageReport, width: number): Buffer {
  const chars = Math.floor(width / 6.2);
  const name = clipText(img.key.split("/").slice(-2).join("/"), chars);
  const worst = img.findings.find((f) => f.severity === "error") ?? img.findings[0];
  const vlm =
    img.review && (!img.review.clear_mango_photo || !img.review.label_plausible)
      ? `vlm: ${img.review.problems.join(",") || "label?"}`
      : "";
  const problem = clipText(
    worst
      ? `${worst.check}${worst.severity === "warning" ? " (warn)" : ""}: ${worst.message}`
      : vlm || `${img.label}: nothing found`,
    chars,
  );
  const colour = worst?.severity === "error" ? "#ff8a80" : worst || vlm ? "#ffe082" : "#a5d6a7";
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${CAPTION}"><rect width="100%" height="100%" fill="#1e1e1e"/>` +
      `<text x="3" y="13" font-family="${FONT_FAMILY}" font-size="10" fill="#ffffff">${escapeXml(name)}</text>` +
      `<text x="3" y="28" font-family="${FONT_FAMILY}" font-size="10" fill="${colour}">${escapeXml(problem)}</text></svg>`,
  );
}

async function placeholder(side: number, text: string): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="#777777"/>` +
    `<text x="50%" y="50%" text-anchor="middle" font-family="${FONT_FAMILY}" font-size="12" fill="#ffffff">${escapeXml(text)}</text></svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: "#777777" }).png().toBuffer();
}

async function thumbnail(
  bytes: Buffer | undefined,
  side: number,
  maxPixels: number,
): Promise<Buffer> {
  if (!bytes || bytes.length === 0)
    return placeholder(side, bytes ? "empty file" : "not available");
  try {
    return await sharp(bytes, { failOn: "error", limitInputPixels: maxPixels, autoOrient: true })
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .resize(side, side, { fit: "contain", background: "#ffffff" })
      .png()
      .toBuffer();
  } catch {
    return placeholder(side, "cannot be shown");
  }
}

/**
 * A JPEG of `images` in a grid, loading each through `load` (undefined = not available).
 * Loads one image at a time: the sheet is for a handful of files, and memory stays flat.
 */
export async function renderContactSheet(
  images: readonly ImageReport[],
  load: (img: ImageReport) => Promise<Buffer | undefined>,
  opts: ContactSheetOptions = {},
): Promise<Buffer> {
  const side = opts.tile ?? 160;
  const columns = Math.max(1, Math.min(opts.columns ?? 6, images.length));
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const cellW = side + GAP;
  const cellH = side + CAPTION + GAP;
  const layers: OverlayOptions[] = [];
  for (const [i, img] of images.entries()) {
    const left = GAP + (i % columns) * cellW;
    const top = GAP + Math.floor(i / columns) * cellH;
    const bytes = await load(img).catch(() => undefined);
    layers.push({ input: await thumbnail(bytes, side, opts.maxPixels ?? 40_000_000), left, top });
    layers.push({ input: caption(img, side), left, top: top + side });
  }
  return sharp({
    create: {
      width: GAP + columns * cellW,
      height: GAP + rows * cellH,
      channels: 3,
      background: "#101010",
    },
  })
    .composite(layers)
    .jpeg({ quality: 85 })
    .toBuffer();
}
