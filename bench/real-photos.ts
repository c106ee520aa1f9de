/**
 * The real photos beside the project (../shared/data, never in the repo) and the copies a
 * contributor's tools make of a photo, for calibrating and checking the copy search.
 * Used by bench/copies.ts, bench/quality.ts and the real-photo tests.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The real four-stage set: 3,400 photos, train and val splits. */
export const REAL_4STAGE = path.resolve(projectDir, "../shared/data/real-mango-4stage");
/** The older 60-photo sample of six stages. */
export const REAL_SAMPLE = path.resolve(projectDir, "../shared/data/real-mango-sample");

/** One real photo as labels.csv lists it. */
export interface RealPhoto {
  key: string;
  label: string;
  split: "train" | "val";
  sha256: string;
  /** Absolute path of the file. */
  file: string;
}

/** Whether a real set is present (tests skip, saying so, when it is not). */
export function realSetPresent(dir: string): boolean {
  return existsSync(path.join(dir, "labels.csv"));
}

/**
 * The photos of a real set, from its labels.csv (`path,label,split,sha256` or
 * `path,label,sha256`; without a split column every 7th photo is val).
 */
export function readRealSet(dir: string): RealPhoto[] {
  const [header, ...rows] = readFileSync(path.join(dir, "labels.csv"), "utf8")
    .trim()
    .split(/\r?\n/);
  const cols = header!.split(",");
  const at = (name: string) => cols.indexOf(name);
  return rows.map((row, i) => {
    const f = row.split(",");
    const split = at("split") >= 0 ? f[at("split")] : i % 7 === 0 ? "val" : "train";
    return {
      key: f[at("path")]!,
      label: f[at("label")]!,
      split: split === "val" ? "val" : "train",
      sha256: f[at("sha256")]!,
      file: path.join(dir, f[at("path")]!),
    };
  });
}

/** sha256 of bytes, hex. */
export const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function cropSides(b: Buffer, fraction: number): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(b).metadata();
  const dx = Math.round(width * fraction);
  const dy = Math.round(height * fraction);
  return sharp(b)
    .extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Copies the data gate must recognise as copies of their source (the list). */
export const REQUIRED_COPIES: Record<string, (b: Buffer) => Promise<Buffer>> = {
  "re-encoded q70": (b) => sharp(b).jpeg({ quality: 70 }).toBuffer(),
  "cropped 1.5% a side": (b) => cropSides(b, 0.015),
  mirrored: (b) => sharp(b).flop().jpeg({ quality: 90 }).toBuffer(),
  "x1.2 brighter": (b) => sharp(b).linear(1.2, 0).jpeg({ quality: 90 }).toBuffer(),
  "squashed 224x180": (b) =>
    sharp(b).resize(224, 180, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer(),
};

/** More everyday copies, reported beside the required ones. */
export const OTHER_COPIES: Record<string, (b: Buffer) => Promise<Buffer>> = {
  "resized 320 q85": (b) => sharp(b).resize(320, 320).jpeg({ quality: 85 }).toBuffer(),
  "WebP q75": (b) => sharp(b).webp({ quality: 75 }).toBuffer(),
  "CMYK round trip": (b) => sharp(b).toColourspace("cmyk").jpeg().toBuffer(),
  "x0.8 darker": (b) => sharp(b).linear(0.8, 0).jpeg({ quality: 90 }).toBuffer(),
  "mirrored, x1.15 brighter, q80": (b) =>
    sharp(b).flop().linear(1.15, 0).jpeg({ quality: 80 }).toBuffer(),
};
