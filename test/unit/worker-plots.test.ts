import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  escapeXml,
  niceTicks,
  renderConfusionMatrix,
  renderTrainingCurves,
} from "../../worker/plots.ts";
import type { EpochLog } from "../../worker/types.ts";

const epoch = (
  e: number,
  loss: number,
  valLoss: number,
  acc: number,
  valAcc: number,
): EpochLog => ({
  epoch: e,
  loss,
  accuracy: acc,
  val_loss: valLoss,
  val_accuracy: valAcc,
  seconds: 7,
  images_per_s: 40,
  lr: 0.001,
});
const HISTORY = [
  epoch(1, 1.6, 1.7, 0.3, 0.25),
  epoch(2, 1.1, 1.3, 0.55, 0.5),
  epoch(3, 0.7, 1.1, 0.75, 0.66),
  epoch(4, 0.5, 1.2, 0.85, 0.63),
];

/** Rasterises with librsvg (as a viewer would): throws on malformed SVG. */
const render = async (svg: string) =>
  (await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true })).info;

describe("renderTrainingCurves", () => {
  const svg = renderTrainingCurves(HISTORY, 3);

  it("is a standalone SVG that renders", async () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(await render(svg)).toMatchObject({ width: 900, height: 420 });
  });

  it("has a title, both panels with axis labels, a legend and the kept epoch marked", () => {
    for (const text of [
      "Training curves",
      ">Loss<",
      ">Accuracy<",
      ">epoch<",
      ">cross-entropy<",
      ">train<",
      ">validation<",
      "best epoch 3",
      "val loss 1.100",
      "val accuracy 66.0%",
      ">100%<",
    ]) {
      expect(svg).toContain(text);
    }
    expect(svg.match(/<polyline /g)).toHaveLength(4); // train + validation, loss + accuracy
  });

  it("skips non-finite points and survives a one-epoch run", async () => {
    const one = renderTrainingCurves([epoch(1, 1.2, Number.NaN, 0.4, 0.3)], 1);
    expect(one).not.toContain("NaN");
    await render(one);
  });
});

describe("renderConfusionMatrix", () => {
  const cm = {
    labels: ["verde", "maduro", "a<b&c"],
    matrix: [
      [8, 2, 0],
      [1, 9, 0],
      [0, 0, 0],
    ],
  };
  const svg = renderConfusionMatrix(cm);

  it("shows counts and row shares, labels on both axes, escaped", async () => {
    expect(svg).toContain("predicted class");
    expect(svg).toContain("true class");
    expect(svg).toContain("20 images, 85.0% correct");
    expect(svg).toContain(">80%<"); // 8 of the 10 verde images
    expect(svg).toContain(">90%<");
    expect(svg.match(/>verde</g)).toHaveLength(2); // row and column
    expect(svg).toContain("a&lt;b&amp;c");
    expect(svg).not.toContain("a<b");
    await render(svg);
  });

  it("greys out a class with no images instead of dividing by zero", () => {
    expect(svg).not.toContain("NaN");
    expect(svg.match(/fill="#eeeeee"/g)).toHaveLength(3);
  });
});

describe("helpers", () => {
  it("niceTicks gives round steps", () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1.8)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(1, 12, 10)).toEqual([2, 4, 6, 8, 10, 12]);
  });
  it("escapeXml escapes markup", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;",
    );
  });
});
