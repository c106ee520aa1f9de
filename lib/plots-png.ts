/**
 * The run's pictures as PNG files a pull request can show: GitHub renders hosted raster
 * images in pull request bodies, not inline SVG and not `data:` URIs. The SVG charts are
 * rasterized by sharp (librsvg, text through fontconfig's system fonts: a chart whose font
 * is missing still draws its shapes), at twice their size for sharp text on high-density
 * screens; the contact sheet (a JPEG) is re-encoded as a palette PNG within a size budget.
 */
import sharp, { type Sharp } from "sharp";

/** Pixels per inch the SVG charts are rasterized at: 144 is 2x their CSS size. */
export const PLOT_DENSITY = 144;

/** The largest PNG a picture may become; larger ones are scaled down until they fit. */
export const MAX_PNG_BYTES = 600_000;

/** The widest picture, in pixels (a pull request's column is about 900 CSS px). */
export const MAX_PNG_WIDTH = 1800;

/** The PNG file signature (its first eight bytes). */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG file and its size in pixels. */
export interface Png {
  png: Buffer;
  width: number;
  height: number;
}

/** Palette PNG of `image` at most `width` wide; lossy only in colours, as charts and sheets allow. */
async function encode(image: Sharp, width: number): Promise<Png> {
  const { data, info } = await image
    .clone()
    .resize({ width, withoutEnlargement: true })
    .png({ palette: true, compressionLevel: 9, effort: 7 })
    .toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}

/** Encodes `image` as PNG, scaling it down by steps of 3/4 until it fits MAX_PNG_BYTES. */
async function fit(image: Sharp, what: string): Promise<Png> {
  const meta = await image.metadata().catch((cause: unknown) => {
    throw new Error(`${what} cannot be read as an image: ${(cause as Error).message}`, { cause });
  });
  let width = Math.min(meta.width ?? MAX_PNG_WIDTH, MAX_PNG_WIDTH);
  for (;;) {
    const out = await encode(image, width);
    if (out.png.length <= MAX_PNG_BYTES || width <= 200) return out;
    width = Math.floor(width * 0.75);
  }
}

/** An SVG chart (worker/plots.ts) as PNG at PLOT_DENSITY; `what` names it in errors. */
export async function svgToPng(svg: string | Buffer, what = "the SVG chart"): Promise<Png> {
  const input = typeof svg === "string" ? Buffer.from(svg) : svg;
  return fit(
    sharp(input, { density: PLOT_DENSITY, failOn: "error" }).flatten({ background: "#ffffff" }),
    what,
  );
}

/** A raster picture (the contact sheet's JPEG) as PNG; `what` names it in errors. */
export async function imageToPng(bytes: Buffer, what = "the picture"): Promise<Png> {
  return fit(sharp(bytes, { failOn: "error" }).flatten({ background: "#ffffff" }), what);
}

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Buffer): boolean {
  return bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE);
}
