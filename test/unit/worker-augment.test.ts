import * as tf from "@tensorflow/tfjs-node";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_AUGMENT,
  affineOf,
  augmentBatch,
  resolveAugment,
  sampleJitter,
  type ImageJitter,
} from "../../worker/augment.ts";
import { batchSeed, mulberry32 } from "../../worker/split.ts";

const NONE: ImageJitter = {
  flip: false,
  angle: 0,
  cropW: 1,
  cropH: 1,
  shiftX: 0,
  shiftY: 0,
  brightness: 0,
  contrast: 1,
};
/** An asymmetric 2-image batch in [-1, 1], so flips and turns show. */
const batch = () =>
  tf.tidy(
    () => tf.sub(tf.div(tf.range(0, 2 * 6 * 5 * 3).reshape([2, 6, 5, 3]), 90), 1) as tf.Tensor4D,
  );
const run = (x: tf.Tensor4D, j: ImageJitter[]) => {
  const out = augmentBatch(x, j);
  const v = out.arraySync();
  out.dispose();
  return v;
};

describe("augmentBatch", () => {
  it("leaves images untouched when the jitter is neutral", () => {
    const x = batch();
    expect(run(x, [NONE, NONE])).toEqual(x.arraySync());
    x.dispose();
  });

  it("mirrors left-right exactly like tf.image.flipLeftRight", () => {
    const x = batch();
    const ref = tf.image.flipLeftRight(x);
    expect(
      run(x, [
        { ...NONE, flip: true },
        { ...NONE, flip: true },
      ]),
    ).toEqual(ref.arraySync());
    tf.dispose([x, ref]);
  });

  it("turns a square image a quarter turn", () => {
    const x = tf.tidy(
      () => tf.sub(tf.div(tf.range(0, 4 * 4 * 3).reshape([1, 4, 4, 3]), 24), 1) as tf.Tensor4D,
    );
    const src = x.arraySync()[0]!;
    const got = run(x, [{ ...NONE, angle: Math.PI / 2 }])[0]!;
    // xs = -y + 3, ys = x: output (row y, col x) reads source (row x, col 3 - y)
    for (let y = 0; y < 4; y++)
      for (let xx = 0; xx < 4; xx++)
        for (let c = 0; c < 3; c++) {
          expect(got[y]![xx]![c]).toBeCloseTo(src[xx]![3 - y]![c]!, 5);
        }
    x.dispose();
  });

  it("fills corners by mirroring and keeps values in [-1, 1] under strong jitter", () => {
    const x = tf.tidy(
      () =>
        tf.sub(tf.mul(tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 1), 2), 1) as tf.Tensor4D,
    );
    const cfg = resolveAugment({ rotationDeg: 45, brightness: 0.5, contrast: 0.9 })!;
    const out = run(x, sampleJitter(4, cfg, mulberry32(3)));
    const flat = out.flat(3);
    expect(flat.every((v) => v >= -1 && v <= 1 && Number.isFinite(v))).toBe(true);
    x.dispose();
  });

  it("does not leak tensors", () => {
    const x = batch();
    const before = tf.memory().numTensors;
    augmentBatch(x, sampleJitter(2, { ...DEFAULT_AUGMENT }, mulberry32(1))).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe("sampleJitter", () => {
  const cfg = resolveAugment(true)!;

  it("is repeatable per (seed, epoch, batch) and differs between batches", () => {
    const draw = (epoch: number, b: number) =>
      sampleJitter(8, cfg, mulberry32(batchSeed(42, epoch, b)));
    expect(draw(3, 1)).toEqual(draw(3, 1));
    expect(draw(3, 1)).not.toEqual(draw(3, 2));
    expect(draw(3, 1)).not.toEqual(draw(4, 1));
  });

  it("stays within the configured strengths", () => {
    const js = sampleJitter(500, cfg, mulberry32(9));
    for (const j of js) {
      expect(Math.abs(j.angle)).toBeLessThanOrEqual((15 * Math.PI) / 180);
      expect(j.cropW * j.cropH).toBeGreaterThanOrEqual(0.8 - 1e-9);
      expect(Math.max(j.cropW, j.cropH)).toBeLessThanOrEqual(1);
      expect(Math.abs(j.shiftX)).toBeLessThanOrEqual((1 - j.cropW) / 2 + 1e-12);
      expect(Math.abs(j.brightness)).toBeLessThanOrEqual(0.2);
      expect(j.contrast).toBeGreaterThanOrEqual(0.8);
      expect(j.contrast).toBeLessThanOrEqual(1.2);
    }
    const flips = js.filter((j) => j.flip).length;
    expect(flips).toBeGreaterThan(200);
    expect(flips).toBeLessThan(300);
  });

  it("keeps the other parts' draws when one part is turned off", () => {
    const on = sampleJitter(4, cfg, mulberry32(5));
    const noFlip = sampleJitter(4, { ...cfg, flip: false }, mulberry32(5));
    expect(noFlip.map((j) => ({ ...j, flip: false }))).toEqual(
      on.map((j) => ({ ...j, flip: false })),
    );
    expect(noFlip.every((j) => !j.flip)).toBe(true);
  });
});

describe("resolveAugment", () => {
  it("fills defaults, turns off on false, and names a bad field", () => {
    expect(resolveAugment(undefined)).toBeUndefined(); // off unless asked for, as the config's default
    expect(resolveAugment(true)).toEqual(DEFAULT_AUGMENT);
    expect(resolveAugment(false)).toBeUndefined();
    expect(resolveAugment({ rotationDeg: 5 })).toEqual({ ...DEFAULT_AUGMENT, rotationDeg: 5 });
    expect(() => resolveAugment({ minCropArea: 0 })).toThrow(
      /config\.augment\.minCropArea: expected a share of the area in \(0, 1\], got 0/,
    );
  });

  it("maps the neutral jitter to the identity", () => {
    expect(affineOf(NONE, 96, 96)).toEqual([1, -0, 0, 0, 1, 0]);
  });
});
