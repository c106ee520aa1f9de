/**
 * analyzeImage and the duplicate search on inputs made here: broken files, odd formats,
 * a decompression bomb. Real photos are covered in quality-real-photos.test.ts.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  analyzeImage, colourDistance, defaultQualityConfig, findDuplicates, findEarlierMatches, hammingDistance, judgeImage,
  type ImageMeasurements,
} from "../lib/quality/index.ts";

const cfg = defaultQualityConfig();
const rule = { maxHashDistance: cfg.maxDuplicateDistance, maxColourDistance: cfg.maxDuplicateColourDistance };
/** A colour signature: every cell of the 4x4 grid the same colour. */
const flat = (rgb: string) => rgb.repeat(16);
const GREEN = flat("5a9a30");

/**
 * A deterministic photo-like picture: a textured ellipse on a pale, noisy background. The
 * fruit is yellow, or green at about the same luma (so only its hue differs).
 */
function syntheticPhoto(width = 224, height = 224, seed = 7, fruit: "yellow" | "green" = "yellow"): Promise<Buffer> {
  let s = seed >>> 0;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - width / 2) / (width * 0.32);
      const dy = (y - height / 2) / (height * 0.42);
      const inside = dx * dx + dy * dy < 1;
      const skin = fruit === "yellow" ? [200 - 60 * dy, 170 + 30 * dx, 40] : [110 - 60 * dy, 215 + 30 * dx, 60];
      const base = inside ? skin : [225, 222, 215];
      const n = rand() * 30;
      base.forEach((v, c) => (px[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + n)))));
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function errorsOf(fs: { check: string; severity: string }[]): string[] {
  return fs.filter((f) => f.severity === "error").map((f) => f.check);
}

async function judged(bytes: Buffer) {
  const analysis = await analyzeImage(bytes, cfg);
  return { analysis, findings: judgeImage(analysis, cfg) };
}

describe("analyzeImage on broken and unusual files", () => {
  it("measures a photo-like JPEG and finds nothing wrong", async () => {
    const { analysis, findings } = await judged(await syntheticPhoto());
    expect(analysis.ok).toBe(true);
    const m = analysis as ImageMeasurements;
    expect([m.format, m.width, m.height, m.space]).toEqual(["jpeg", 224, 224, "srgb"]);
    expect(m.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(findings).toEqual([]);
  });

  it("turns a zero-byte file into a decode finding", async () => {
    const { findings } = await judged(Buffer.alloc(0));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: "decode", severity: "error" });
    expect(findings[0]!.message).toContain("empty");
  });

  it("turns a text file named .jpg into a decode finding that quotes its start", async () => {
    const { findings } = await judged(Buffer.from("<html><body>404 Not Found</body></html>\n"));
    expect(errorsOf(findings)).toEqual(["decode"]);
    expect(findings[0]!.message).toContain("<html><body>404");
  });

  it("refuses formats outside the accepted list before decoding", async () => {
    const gif = await sharp(await syntheticPhoto()).gif().toBuffer();
    const { findings } = await judged(gif);
    expect(errorsOf(findings)).toEqual(["decode"]);
    expect(findings[0]!.message).toMatch(/JPEG, PNG, WEBP/);
  });

  it("detects a truncated JPEG", async () => {
    const jpeg = await syntheticPhoto();
    const { analysis, findings } = await judged(jpeg.subarray(0, Math.floor(jpeg.length * 0.4)));
    expect(analysis).toMatchObject({ ok: false, reason: "corrupt" });
    expect(errorsOf(findings)).toEqual(["decode"]);
    expect(findings[0]!.fix).toContain("re-upload the original");
  });

  it("detects a truncated PNG", async () => {
    const png = await sharp(await syntheticPhoto()).png().toBuffer();
    const { findings } = await judged(png.subarray(0, Math.floor(png.length * 0.5)));
    expect(errorsOf(findings)).toEqual(["decode"]);
  });

  it("converts a CMYK JPEG instead of crashing, with a warning", async () => {
    const cmyk = await sharp(await syntheticPhoto()).toColourspace("cmyk").jpeg().toBuffer();
    const { analysis, findings } = await judged(cmyk);
    expect(analysis).toMatchObject({ ok: true, space: "cmyk" });
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.map((f) => f.check)).toEqual(["decode"]);
    expect(findings[0]!.message).toContain("CMYK");
  });

  it("measures a PNG with alpha against white and only warns", async () => {
    const rgb = await sharp(await syntheticPhoto()).raw().toBuffer();
    const rgba = Buffer.alloc(224 * 224 * 4);
    for (let i = 0; i < 224 * 224; i++) {
      rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
      const x = i % 224;
      rgba[i * 4 + 3] = x < 20 ? 0 : 255; // a transparent strip, as cut-outs have
    }
    const png = await sharp(rgba, { raw: { width: 224, height: 224, channels: 4 } }).png().toBuffer();
    const { analysis, findings } = await judged(png);
    expect(analysis).toMatchObject({ ok: true, format: "png", hasAlpha: true });
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.map((f) => `${f.check}:${f.severity}`)).toEqual(["decode:warning"]);
  });

  it("accepts WebP", async () => {
    const { analysis, findings } = await judged(await sharp(await syntheticPhoto()).webp({ quality: 90 }).toBuffer());
    expect(analysis).toMatchObject({ ok: true, format: "webp" });
    expect(findings).toEqual([]);
  });

  it("refuses a header-declared 20000x20000 image from the header alone, quickly", async () => {
    // A small JPEG whose frame header (SOF) is patched to claim 20000x20000: a classic
    // decompression bomb. Decoding it would need 1.2 GB of RGB.
    const jpeg = Buffer.from(await sharp(await syntheticPhoto(64, 64)).jpeg().toBuffer());
    let sof = -1;
    for (let i = 2; i < jpeg.length - 9; i++) if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) { sof = i; break; }
    expect(sof).toBeGreaterThan(0);
    jpeg.writeUInt16BE(20000, sof + 5);
    jpeg.writeUInt16BE(20000, sof + 7);
    const started = performance.now();
    const { analysis, findings } = await judged(jpeg);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(analysis).toMatchObject({ ok: false, reason: "too_large", width: 20000, height: 20000 });
    expect(errorsOf(findings)).toEqual(["dimensions"]);
    expect(findings[0]!.message).toContain("400.0 MP");
  });

  it("refuses pictures too small or too elongated to train on", async () => {
    expect(errorsOf((await judged(await syntheticPhoto(64, 64))).findings)).toEqual(["dimensions"]);
    const wide = await judged(await syntheticPhoto(800, 200));
    expect(errorsOf(wide.findings)).toEqual(["dimensions"]);
    expect(wide.findings[0]!.message).toContain("aspect ratio of 4:1");
  });

  it("flags a grayscale JPEG (one channel) as grayscale only", async () => {
    const gray = await sharp(await syntheticPhoto()).toColourspace("b-w").jpeg().toBuffer();
    const { analysis, findings } = await judged(gray);
    expect(analysis).toMatchObject({ ok: true, space: "b-w", channels: 1 });
    expect(errorsOf(findings)).toEqual(["grayscale"]);
  });
});

describe("perceptual hash and duplicates", () => {
  it("counts differing bits over all 64", () => {
    expect(hammingDistance("0000000000000000", "0000000000000000")).toBe(0);
    expect(hammingDistance("0000000000000000", "ffffffffffffffff")).toBe(64);
    expect(hammingDistance("8000000000000001", "0000000000000000")).toBe(2);
    expect(() => hammingDistance("xyz", "0000000000000000")).toThrow(/16 lowercase hex/);
  });

  it("gives a re-encoded, resized copy a nearby hash and another picture a distant one", async () => {
    const a = await syntheticPhoto(224, 224, 1);
    const hashOf = async (b: Buffer) => ((await analyzeImage(b, cfg)) as ImageMeasurements).hash;
    const copy = await sharp(a).resize(300, 300).jpeg({ quality: 60 }).toBuffer();
    const other = await sharp(a).rotate(90).toBuffer();
    expect(hammingDistance(await hashOf(a), await hashOf(copy))).toBeLessThanOrEqual(cfg.maxDuplicateDistance);
    expect(hammingDistance(await hashOf(a), await hashOf(other))).toBeGreaterThan(cfg.maxDuplicateDistance * 2);
  });

  it("tells a same-shaped picture of another hue from a copy, which keeps its colours", async () => {
    const a = await syntheticPhoto(224, 224, 3);
    const otherHue = await syntheticPhoto(224, 224, 3, "green");
    const m = 224 * 0.015;
    const copies = {
      "a-reencoded.jpg": await sharp(a).jpeg({ quality: 60 }).toBuffer(),
      "a-resized.jpg": await sharp(a).resize(300, 300).jpeg({ quality: 70 }).toBuffer(),
      "a-cropped.jpg": await sharp(a).extract({ left: Math.round(m), top: Math.round(m), width: 224 - 2 * Math.round(m), height: 224 - 2 * Math.round(m) }).resize(224, 224).jpeg({ quality: 75 }).toBuffer(),
      "a-cmyk.jpg": await sharp(a).toColourspace("cmyk").jpeg().toBuffer(),
      "a-brighter.jpg": await sharp(a).linear(1.2, 0).jpeg().toBuffer(),
    };
    const measure = async (key: string, bytes: Buffer) => {
      const r = (await analyzeImage(bytes, cfg)) as ImageMeasurements;
      return { key, sha256: key, hash: r.hash, colour: r.colour };
    };
    const [orig, hue] = [await measure("a.jpg", a), await measure("a-hue.jpg", otherHue)];
    // The premise: pHash alone cannot tell them apart.
    expect(hammingDistance(orig.hash, hue.hash)).toBeLessThanOrEqual(cfg.maxDuplicateDistance);
    expect(colourDistance(orig.colour, hue.colour)).toBeGreaterThan(cfg.maxDuplicateColourDistance);
    expect(findDuplicates([orig, hue], rule)).toEqual([]);
    expect(findEarlierMatches([hue], [orig], rule)).toEqual([]);

    const copied = await Promise.all(Object.entries(copies).map(([k, b]) => measure(k, b)));
    expect(findDuplicates([orig, hue, ...copied], rule)).toEqual([{ kind: "near", keys: ["a.jpg", ...Object.keys(copies)], distance: expect.any(Number) }]);
    expect(findEarlierMatches(copied, [orig], rule).map((x) => x.key)).toEqual(Object.keys(copies));
  });

  it("measures colour distance as capped chroma, blind to brightness", () => {
    expect(colourDistance(GREEN, GREEN)).toBe(0);
    expect(colourDistance(flat("808080"), flat("f0f0f0"))).toBe(0); // grey is grey at any level
    expect(colourDistance(GREEN, flat("c83c28"))).toBeGreaterThan(40); // green vs red skin
    expect(() => colourDistance("xyz", GREEN)).toThrow(/96 lowercase hex/);
  });

  it("groups exact copies by sha256 and near copies by distance, keeping the first", () => {
    const items = [
      { key: "a.jpg", sha256: "s1", hash: "ffff0000ffff0000", colour: GREEN },
      { key: "b.jpg", sha256: "s2", hash: "00000000ffffffff", colour: GREEN },
      { key: "a-copy.jpg", sha256: "s1", hash: "ffff0000ffff0000", colour: GREEN },
      { key: "a-near.jpg", sha256: "s3", hash: "ffff0000ffff0007", colour: GREEN }, // 3 bits from a
      { key: "a-nearer.jpg", sha256: "s4", hash: "ffff0000ffff0003", colour: GREEN }, // chain: 1 bit from a-near
      { key: "a-red.jpg", sha256: "s5", hash: "ffff0000ffff0000", colour: flat("c83c28") }, // a's shape, another hue
    ];
    const groups = findDuplicates(items, { maxHashDistance: 3, maxColourDistance: 20 });
    expect(groups).toContainEqual({ kind: "exact", keys: ["a.jpg", "a-copy.jpg"], distance: 0 });
    expect(groups).toContainEqual({ kind: "near", keys: ["a.jpg", "a-near.jpg", "a-nearer.jpg"], distance: 3 });
    expect(groups).toHaveLength(2);
    expect(findDuplicates(items, { maxHashDistance: 0, maxColourDistance: 20 }).filter((g) => g.kind === "near")).toEqual([]);
  });

  it("finds batch images already in an earlier set", () => {
    const earlier = [{ key: "eval/1.jpg", sha256: "e1", hash: "0f0f0f0f0f0f0f0f", colour: GREEN }];
    const batch = [
      { key: "x.jpg", sha256: "e1", hash: "0f0f0f0f0f0f0f0f", colour: GREEN },
      { key: "y.jpg", sha256: "y", hash: "0f0f0f0f0f0f0f0e", colour: GREEN },
      { key: "z.jpg", sha256: "z", hash: "f0f0f0f0f0f0f0f0", colour: GREEN },
      { key: "w.jpg", sha256: "w", hash: "0f0f0f0f0f0f0f0f", colour: flat("c83c28") }, // same shape, red
    ];
    expect(findEarlierMatches(batch, earlier, { maxHashDistance: 4, maxColourDistance: 20 })).toEqual([
      { key: "x.jpg", earlierKey: "eval/1.jpg", kind: "exact", distance: 0 },
      { key: "y.jpg", earlierKey: "eval/1.jpg", kind: "near", distance: 1 },
    ]);
  });

  it("compares 3000 hashes pairwise well within a second", () => {
    let s = 1;
    const hex = () => Array.from({ length: 16 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 28).toString(16)).join("");
    const items = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, sha256: `s${i}`, hash: hex(), colour: GREEN }));
    const started = performance.now();
    findDuplicates(items, rule);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
