/**
 * analyzeImage and judgeImage on inputs made here: broken files, odd formats, a
 * decompression bomb. Copies are quality-duplicates.test.ts; real photos are covered in
 * quality-real-photos.test.ts.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  analyzeImage,
  defaultQualityConfig,
  judgeImage,
  type ImageMeasurements,
} from "../../lib/quality/index.ts";
import { syntheticPhoto } from "../helpers/synthetic-photo.ts";

const cfg = defaultQualityConfig();

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
