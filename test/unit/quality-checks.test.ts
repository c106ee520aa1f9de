/**
 * analyzeImage and the duplicate search on inputs made here: broken files, odd formats,
 * a decompression bomb. Real photos are covered in quality-real-photos.test.ts.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  analyzeImage,
  colourDistance,
  copyRule,
  copySimilarity,
  defaultQualityConfig,
  encodeThumbnail,
  findDuplicates,
  findEarlierMatches,
  hammingDistance,
  hashOfThumbnail,
  type HashedImage,
  judgeImage,
  type ImageMeasurements,
} from "../../lib/quality/index.ts";

const cfg = defaultQualityConfig();
const rule = copyRule(cfg);
/** A colour signature: every cell of the 4x4 grid the same colour. */
const flat = (rgb: string) => rgb.repeat(16);
const GREEN = flat("5a9a30");

/**
 * A deterministic photo-like picture: a textured ellipse on a pale, noisy background. The
 * fruit is yellow, or green at about the same luma (so only its hue differs).
 */
function syntheticPhoto(
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
    const gif = await sharp(await syntheticPhoto())
      .gif()
      .toBuffer();
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
    const png = await sharp(await syntheticPhoto())
      .png()
      .toBuffer();
    const { findings } = await judged(png.subarray(0, Math.floor(png.length * 0.5)));
    expect(errorsOf(findings)).toEqual(["decode"]);
  });

  it("converts a CMYK JPEG instead of crashing, with a warning", async () => {
    const cmyk = await sharp(await syntheticPhoto())
      .toColourspace("cmyk")
      .jpeg()
      .toBuffer();
    const { analysis, findings } = await judged(cmyk);
    expect(analysis).toMatchObject({ ok: true, space: "cmyk" });
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.map((f) => f.check)).toEqual(["decode"]);
    expect(findings[0]!.message).toContain("CMYK");
  });

  it("measures a PNG with alpha against white and only warns", async () => {
    const rgb = await sharp(await syntheticPhoto())
      .raw()
      .toBuffer();
    const rgba = Buffer.alloc(224 * 224 * 4);
    for (let i = 0; i < 224 * 224; i++) {
      rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
      const x = i % 224;
      rgba[i * 4 + 3] = x < 20 ? 0 : 255; // a transparent strip, as cut-outs have
    }
    const png = await sharp(rgba, { raw: { width: 224, height: 224, channels: 4 } })
      .png()
      .toBuffer();
    const { analysis, findings } = await judged(png);
    expect(analysis).toMatchObject({ ok: true, format: "png", hasAlpha: true });
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.map((f) => `${f.check}:${f.severity}`)).toEqual(["decode:warning"]);
  });

  it("accepts WebP", async () => {
    const { analysis, findings } = await judged(
      await sharp(await syntheticPhoto())
        .webp({ quality: 90 })
        .toBuffer(),
    );
    expect(analysis).toMatchObject({ ok: true, format: "webp" });
    expect(findings).toEqual([]);
  });

  it("refuses a header-declared 20000x20000 image from the header alone, quickly", async () => {
    // A small JPEG whose frame header (SOF) is patched to claim 20000x20000: a classic
    // decompression bomb. Decoding it would need 1.2 GB of RGB.
    const jpeg = Buffer.from(
      await sharp(await syntheticPhoto(64, 64))
        .jpeg()
        .toBuffer(),
    );
    let sof = -1;
    for (let i = 2; i < jpeg.length - 9; i++)
      if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
        sof = i;
        break;
      }
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
    const gray = await sharp(await syntheticPhoto())
      .toColourspace("b-w")
      .jpeg()
      .toBuffer();
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

  it("finds a re-encoded, resized copy, and not the picture turned 90 degrees", async () => {
    const a = await syntheticPhoto(224, 224, 1);
    const measure = async (key: string, bytes: Buffer): Promise<HashedImage> => {
      const r = (await analyzeImage(bytes, cfg)) as ImageMeasurements;
      return { key, sha256: key, hash: r.hash, colour: r.colour, thumb: r.thumb };
    };
    const orig = await measure("a.jpg", a);
    const copy = await measure(
      "copy.jpg",
      await sharp(a).resize(300, 300).jpeg({ quality: 60 }).toBuffer(),
    );
    const turned = await measure("turned.jpg", await sharp(a).rotate(90).toBuffer());
    expect(hammingDistance(orig.hash, copy.hash)).toBeLessThanOrEqual(4);
    expect(findEarlierMatches([copy, turned], [orig], rule)).toEqual([
      {
        key: "copy.jpg",
        earlierKey: "a.jpg",
        kind: "near",
        similarity: expect.any(Number),
        hashDistance: expect.any(Number),
        mirrored: false,
      },
    ]);
  });

  it("tells a same-shaped picture of another hue from a copy, which keeps its colours", async () => {
    const a = await syntheticPhoto(224, 224, 3);
    const otherHue = await syntheticPhoto(224, 224, 3, "green");
    const m = 224 * 0.015;
    const copies = {
      "a-reencoded.jpg": await sharp(a).jpeg({ quality: 60 }).toBuffer(),
      "a-resized.jpg": await sharp(a).resize(300, 300).jpeg({ quality: 70 }).toBuffer(),
      "a-cropped.jpg": await sharp(a)
        .extract({
          left: Math.round(m),
          top: Math.round(m),
          width: 224 - 2 * Math.round(m),
          height: 224 - 2 * Math.round(m),
        })
        .resize(224, 224)
        .jpeg({ quality: 75 })
        .toBuffer(),
      "a-cmyk.jpg": await sharp(a).toColourspace("cmyk").jpeg().toBuffer(),
      "a-brighter.jpg": await sharp(a).linear(1.2, 0).jpeg().toBuffer(),
    };
    const measure = async (key: string, bytes: Buffer) => {
      const r = (await analyzeImage(bytes, cfg)) as ImageMeasurements;
      return { key, sha256: key, hash: r.hash, colour: r.colour, thumb: r.thumb };
    };
    const [orig, hue] = [await measure("a.jpg", a), await measure("a-hue.jpg", otherHue)];
    // The premise: neither pHash nor the picture's structure tells them apart.
    expect(hammingDistance(orig.hash, hue.hash)).toBeLessThanOrEqual(cfg.maxDuplicateDistance);
    expect(
      copySimilarity(Buffer.from(orig.thumb, "base64"), Buffer.from(hue.thumb, "base64"), false),
    ).toBeGreaterThan(cfg.minCopySimilarity);
    expect(colourDistance(orig.colour, hue.colour)).toBeGreaterThan(cfg.maxDuplicateColourDistance);
    expect(findDuplicates([orig, hue], rule)).toEqual([]);
    expect(findEarlierMatches([hue], [orig], rule)).toEqual([]);

    const copied = await Promise.all(Object.entries(copies).map(([k, b]) => measure(k, b)));
    expect(findDuplicates([orig, hue, ...copied], rule)).toEqual([
      { kind: "near", keys: ["a.jpg", ...Object.keys(copies)], matches: expect.any(Array) },
    ]);
    expect(findEarlierMatches(copied, [orig], rule).map((x) => x.key)).toEqual(Object.keys(copies));
  });

  it("measures colour distance as capped chroma, blind to brightness", () => {
    expect(colourDistance(GREEN, GREEN)).toBe(0);
    expect(colourDistance(flat("808080"), flat("f0f0f0"))).toBe(0); // grey is grey at any level
    expect(colourDistance(GREEN, flat("c83c28"))).toBeGreaterThan(40); // green vs red skin
    expect(() => colourDistance("xyz", GREEN)).toThrow(/96 lowercase hex/);
  });

  /** Thumbnails of seeded noise, and blends between two of them (t = 0: a, 1: b). */
  const noise = (seed: number) => {
    let x = seed >>> 0;
    return Float64Array.from(
      { length: 1024 },
      () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 200 + 28,
    );
  };
  const blend = (a: Float64Array, b: Float64Array, t: number) =>
    Uint8Array.from(a, (v, i) => Math.round(v * (1 - t) + b[i]! * t));
  const item = (key: string, thumb: Uint8Array, sha = key, colour = GREEN): HashedImage => ({
    key,
    sha256: sha,
    hash: hashOfThumbnail(thumb),
    colour,
    thumb: encodeThumbnail(thumb),
  });
  const mirror = (t: Uint8Array) => Uint8Array.from(t, (_, i) => t[i - (i % 32) + 31 - (i % 32)]!);

  it("groups exact copies by sha256 and near copies as stars around their first, never as a chain", () => {
    const [a, b] = [noise(1), noise(2)];
    const steps = Array.from({ length: 8 }, (_, k) => item(`step-${k}.jpg`, blend(a, b, k * 0.1)));
    const items = [
      steps[0]!,
      item("a-copy.jpg", blend(a, b, 0), "step-0.jpg"),
      item("a-mirrored.jpg", mirror(blend(a, b, 0))),
      item("a-red.jpg", blend(a, b, 0), "red", flat("c83c28")),
      ...steps.slice(1),
    ];
    const groups = findDuplicates(items, rule);
    expect(groups[0]).toEqual({ kind: "exact", keys: ["step-0.jpg", "a-copy.jpg"] });
    const near = groups.filter((g) => g.kind === "near");
    expect(near[0]!.keys.slice(0, 2)).toEqual(["step-0.jpg", "a-mirrored.jpg"]);
    expect(near[0]!.matches![0]).toMatchObject({ mirrored: true });
    // A blend drifts away step by step: each member is within the limits of its group's first.
    const byKey = new Map(items.map((i) => [i.key, i]));
    const thumb = (k: string) => Buffer.from(byKey.get(k)!.thumb, "base64");
    for (const g of near)
      for (const k of g.keys.slice(1))
        expect(
          copySimilarity(thumb(g.keys[0]!), thumb(k), k.includes("mirrored")),
        ).toBeGreaterThanOrEqual(cfg.minCopySimilarity);
    expect(near.length).toBeGreaterThan(1);
    expect(copySimilarity(thumb("step-0.jpg"), thumb("step-7.jpg"), false)).toBeLessThan(
      cfg.minCopySimilarity,
    );
    expect(groups.flatMap((g) => g.keys)).not.toContain("a-red.jpg");
  });

  it("finds batch images already in an earlier set", () => {
    const [a, b] = [noise(3), noise(4)];
    const earlier = [item("eval/1.jpg", blend(a, b, 0), "e1")];
    const batch = [
      item("x.jpg", blend(a, b, 0), "e1"),
      item("y.jpg", blend(a, b, 0.05)),
      item("z.jpg", blend(a, b, 1)),
      item("w.jpg", blend(a, b, 0), "w", flat("c83c28")), // same picture, red
    ];
    expect(findEarlierMatches(batch, earlier, rule)).toEqual([
      { key: "x.jpg", earlierKey: "eval/1.jpg", kind: "exact" },
      {
        key: "y.jpg",
        earlierKey: "eval/1.jpg",
        kind: "near",
        similarity: expect.any(Number),
        hashDistance: expect.any(Number),
        mirrored: false,
      },
    ]);
  });

  it("indexes 3000 images and searches them in well under the time of all pairs", () => {
    const items = Array.from({ length: 3000 }, (_, i) =>
      item(`k${i}`, blend(noise(i + 10), noise(0), 0)),
    );
    const stats = { candidates: 0, compared: 0 };
    const started = performance.now();
    expect(findDuplicates(items, rule, stats)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(stats.candidates).toBeLessThan(3000); // the index, not 4.5M pairs
  });
});
