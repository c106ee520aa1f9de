/**
 * The perceptual hash and the duplicate search on inputs made here: re-encoded, resized,
 * cropped, mirrored and recoloured copies, blends that drift step by step, and an index of
 * thousands of images. Real photos are covered in quality-real-photos.test.ts.
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
  type ImageMeasurements,
} from "../../lib/quality/index.ts";
import { syntheticPhoto } from "../helpers/synthetic-photo.ts";

const cfg = defaultQualityConfig();
const rule = copyRule(cfg);
/** A colour signature: every cell of the 4x4 grid the same colour. */
const flat = (rgb: string) => rgb.repeat(16);
const GREEN = flat("5a9a30");

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
