/**
 * Judging on hand-made measurements, pure functions and no images: judgeImage names the
 * one cause of a bad picture, judgeDuplicates refuses or warns about copies by where they
 * sit.
 */
import { describe, expect, it } from "vitest";
import {
  defaultQualityConfig,
  type ImageMeasurements,
  judgeDuplicates,
  judgeImage,
} from "../../lib/quality/index.ts";

const cfg = defaultQualityConfig();

/** Measurements in the middle of the real photos' ranges. */
const good: ImageMeasurements = {
  ok: true,
  format: "jpeg",
  width: 224,
  height: 224,
  channels: 3,
  hasAlpha: false,
  space: "srgb",
  blurVariance: 320,
  meanLuminance: 150,
  darkClipFraction: 0.01,
  brightClipFraction: 0.001,
  luminanceStd: 50,
  entropyBits: 7,
  coarseDetail: 1200,
  veryCoarseDetail: 4000,
  saturation: 0.3,
  hash: "0123456789abcdef",
  colour: "c8aa28".repeat(16),
  thumb: Buffer.alloc(1024, 128).toString("base64"),
};
const checksOf = (m: Partial<ImageMeasurements>) =>
  judgeImage({ ...good, ...m }, cfg).map((f) => `${f.check}:${f.severity}`);

describe("judgeImage", () => {
  it("passes measurements like a real photo's", () => {
    expect(judgeImage(good, cfg)).toEqual([]);
  });

  it("names the one cause with value, threshold and a fix", () => {
    const [blur] = judgeImage({ ...good, blurVariance: 5 }, cfg);
    expect(blur).toMatchObject({
      check: "blur",
      severity: "error",
      value: 5,
      threshold: cfg.minBlurVariance,
    });
    expect(blur!.fix).toContain("retake in focus");
    expect(judgeImage({ ...good, meanLuminance: 12 }, cfg)[0]!.fix).toContain("better light");
    expect(judgeImage({ ...good, brightClipFraction: 0.5 }, cfg)[0]!.message).toContain(
      "50% of the picture is blown out",
    );
  });

  it("judges each check on its own threshold", () => {
    expect(checksOf({ width: 80 })).toEqual(["dimensions:error"]);
    expect(checksOf({ width: 224, height: 900 })).toEqual(["dimensions:error"]);
    expect(checksOf({ darkClipFraction: 0.7 })).toEqual(["exposure:error"]);
    expect(checksOf({ meanLuminance: 245 })).toEqual(["exposure:error"]);
    expect(checksOf({ luminanceStd: 2 })).toEqual(["low_information:error"]);
    expect(checksOf({ entropyBits: 3 })).toEqual(["low_information:error"]);
    expect(checksOf({ coarseDetail: 40 })).toEqual(["low_information:error"]);
    expect(checksOf({ saturation: 0.001 })).toEqual(["grayscale:error"]);
    expect(checksOf({ hasAlpha: true })).toEqual(["decode:warning"]);
    expect(checksOf({ space: "cmyk" })).toEqual(["decode:warning"]);
  });

  it("reports the cause, not its symptoms: a dark image is not also called blurred or blank", () => {
    expect(
      checksOf({
        meanLuminance: 10,
        blurVariance: 3,
        luminanceStd: 4,
        entropyBits: 3,
        saturation: 0.01,
      }),
    ).toEqual(["exposure:error"]);
    expect(checksOf({ coarseDetail: 20, blurVariance: 3 })).toEqual(["low_information:error"]);
    // A hard blur loses 32 px detail gradually (ratio to 16 px >= 0.11); a blown-up thumbnail abruptly.
    expect(checksOf({ coarseDetail: 90, veryCoarseDetail: 600, blurVariance: 4 })).toEqual([
      "blur:error",
    ]);
    expect(checksOf({ coarseDetail: 60, veryCoarseDetail: 700, blurVariance: 4 })).toEqual([
      "low_information:error",
    ]);
  });

  it("maps decode failures to decode, and a pixel bomb to dimensions", () => {
    expect(
      judgeImage({ ok: false, reason: "corrupt", message: "m" }, cfg).map((f) => f.check),
    ).toEqual(["decode"]);
    expect(
      judgeImage(
        { ok: false, reason: "too_large", message: "m", width: 20000, height: 20000 },
        cfg,
      ),
    ).toMatchObject([{ check: "dimensions", value: 4e8 }]);
  });
});

describe("judgeDuplicates", () => {
  const info = new Map([
    ["a", { label: "ripe", split: "train" }],
    ["b", { label: "ripe", split: "train" }],
    ["c", { label: "ripe", split: "val" }],
    ["d", { label: "unripe", split: "train" }],
  ]);
  it("errors on exact copies, on near copies across splits or labels; warns otherwise", () => {
    const out = judgeDuplicates([{ kind: "exact", keys: ["a", "b"] }], info);
    expect(out.get("b")![0]).toMatchObject({ severity: "error", message: "is the same file as a" });
    expect(out.has("a")).toBe(false);
    const match = { similarity: 0.97, hashDistance: 3, mirrored: false };
    const near = judgeDuplicates(
      [
        {
          kind: "near",
          keys: ["a", "b", "c", "d"],
          matches: [match, { ...match, mirrored: true }, match],
        },
      ],
      info,
    );
    expect(near.get("b")![0]).toMatchObject({
      severity: "warning",
      message: "is a near copy (similarity 0.970) of a",
      value: 0.97,
    });
    expect(near.get("c")![0]!.message).toContain("(similarity 0.970, mirrored) of a");
    expect(near.get("c")![0]).toMatchObject({ severity: "error" });
    expect(near.get("c")![0]!.message).toContain('split "val"');
    expect(near.get("d")![0]!.message).toContain('labelled "unripe"');
  });
});
