/**
 * Training-time augmentation of a batch tensor in [-1, 1]: random resized crop, left-right
 * flip and small rotation as ONE affine resample per image, then brightness/contrast jitter.
 *
 * Why one affine warp: tfjs-node registers neither `Transform` nor `RotateWithOffset`
 * (both throw "Kernel ... not registered for backend 'tensorflow'"), and chaining
 * cropAndResize with a separate rotation would interpolate twice and blur the small
 * 96 px images. The warp is bilinear sampling with a native gather: ~100 ms for a batch
 * of 32 at 96 px against ~880 ms for the optimiser step (measured here, 2 cores). Pixels that come from outside the image are
 * mirrored back in (Keras' "reflect" fill), so rotated corners hold plausible texture
 * rather than black wedges the model could learn to look for.
 *
 * The random draws are made in JS (`sampleJitter`) from a seeded PRNG and are the only
 * randomness, so a (seed, epoch, batch) gives the same augmented batch on every run.
 */
import * as tf from "@tensorflow/tfjs";
import type { AugmentConfig } from "./types.ts";

/** The defaults: mild enough that a mango stays a mango of the same ripeness. */
export const DEFAULT_AUGMENT: Readonly<Required<AugmentConfig>> = {
  flip: true,
  rotationDeg: 15,
  minCropArea: 0.8,
  maxAspect: 4 / 3,
  brightness: 0.1,
  contrast: 0.2,
};

/** `TrainConfig.augment` with defaults filled in, or undefined when augmentation is off. */
export function resolveAugment(opt: boolean | AugmentConfig | undefined): Required<AugmentConfig> | undefined {
  if (opt === false) return undefined;
  const cfg = { ...DEFAULT_AUGMENT, ...(opt === true || opt === undefined ? {} : opt) };
  const problems: string[] = [];
  const check = (ok: boolean, field: keyof AugmentConfig, expected: string) => {
    if (!ok) problems.push(`config.augment.${field}: expected ${expected}, got ${String(cfg[field])}`);
  };
  check(typeof cfg.flip === "boolean", "flip", "true or false");
  check(cfg.rotationDeg >= 0 && cfg.rotationDeg <= 180, "rotationDeg", "degrees in [0, 180]");
  check(cfg.minCropArea > 0 && cfg.minCropArea <= 1, "minCropArea", "a share of the area in (0, 1]");
  check(cfg.maxAspect >= 1, "maxAspect", "a factor >= 1");
  check(cfg.brightness >= 0 && cfg.brightness <= 1, "brightness", "a share of the range in [0, 1]");
  check(cfg.contrast >= 0 && cfg.contrast < 1, "contrast", "a factor offset in [0, 1)");
  if (problems.length > 0) throw new Error(`invalid augmentation settings:\n- ${problems.join("\n- ")}`);
  return cfg;
}

/** The random choices for one image. */
export interface ImageJitter {
  flip: boolean;
  /** Rotation in radians. */
  angle: number;
  /** Width and height of the sampled region as a share of the image side (<= 1). */
  cropW: number;
  cropH: number;
  /** Offset of the region's centre from the image centre, as a share of the side. */
  shiftX: number;
  shiftY: number;
  /** Added after the contrast change, in the model's [-1, 1] units. */
  brightness: number;
  /** Factor applied around each image's per-channel mean. */
  contrast: number;
}

/**
 * Draws the jitter of `n` images. Every image draws the same 8 numbers whatever the
 * settings, so turning one part off leaves the others' draws unchanged.
 */
export function sampleJitter(n: number, cfg: Required<AugmentConfig>, rng: () => number): ImageJitter[] {
  return Array.from({ length: n }, () => {
    const [flip, turn, area, aspect, sx, sy, b, c] = Array.from({ length: 8 }, rng) as [number, number, number, number, number, number, number, number];
    const keep = cfg.minCropArea + (1 - cfg.minCropArea) * area;
    const ratio = Math.exp(Math.log(cfg.maxAspect) * (2 * aspect - 1)); // log-uniform: x1.2 as likely as /1.2
    // A side longer than the image is cut to it and the other side keeps the area.
    let cropW = Math.sqrt(keep * ratio);
    let cropH = Math.sqrt(keep / ratio);
    if (cropW > 1) [cropW, cropH] = [1, keep];
    else if (cropH > 1) [cropW, cropH] = [keep, 1];
    return {
      flip: cfg.flip && flip < 0.5,
      angle: ((cfg.rotationDeg * Math.PI) / 180) * (2 * turn - 1),
      cropW,
      cropH,
      shiftX: ((1 - cropW) / 2) * (2 * sx - 1), // the region stays inside the image before rotation
      shiftY: ((1 - cropH) / 2) * (2 * sy - 1),
      brightness: 2 * cfg.brightness * (2 * b - 1), // the [-1, 1] range is 2 wide
      contrast: 1 + cfg.contrast * (2 * c - 1),
    };
  });
}

/**
 * The affine map from output pixel (x, y) to source position: xs = a x + b y + c,
 * ys = d x + e y + f, in pixel units of a `width` x `height` image. Pure, for tests.
 */
export function affineOf(j: ImageJitter, width: number, height: number): [number, number, number, number, number, number] {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(j.angle);
  const sin = Math.sin(j.angle);
  const fx = j.flip ? -1 : 1;
  // Centre, flip, shrink to the crop, rotate, move to the crop's centre.
  const a = fx * j.cropW * cos;
  const b = -j.cropH * sin;
  const d = fx * j.cropW * sin;
  const e = j.cropH * cos;
  return [a, b, cx + j.shiftX * width - a * cx - b * cy, d, e, cy + j.shiftY * height - d * cx - e * cy];
}

/** Applies one jitter per image to an NHWC batch in [-1, 1]; returns a new tensor in [-1, 1]. */
export function augmentBatch(x: tf.Tensor4D, jitter: readonly ImageJitter[]): tf.Tensor4D {
  const [n, h, w, ch] = x.shape;
  if (jitter.length !== n) throw new Error(`augmentBatch: ${jitter.length} jitters for a batch of ${n} images`);
  const { indices, weights } = bilinearTaps(jitter, w, h);
  return tf.tidy(() => {
    // The sampling plan is scalar work, done in JS (~20 ms a batch); TF does the
    // per-channel gather and blend, which is where the bytes are.
    const taps = tf.reshape(tf.gather(tf.reshape(x, [n * h * w, ch]), tf.tensor1d(indices, "int32")), [4, n * h * w, ch]);
    const warped = tf.reshape(tf.sum(tf.mul(taps, tf.tensor3d(weights, [4, n * h * w, 1])), 0), [n, h, w, ch]);
    const contrast = tf.tensor4d(jitter.map((j) => j.contrast), [n, 1, 1, 1]);
    const brightness = tf.tensor4d(jitter.map((j) => j.brightness), [n, 1, 1, 1]);
    const mean = tf.mean(warped, [1, 2], true); // per image and channel, as tf.image.adjust_contrast
    const jittered = tf.add(tf.add(tf.mul(tf.sub(warped, mean), contrast), mean), brightness);
    return tf.clipByValue(jittered, -1, 1) as tf.Tensor4D;
  });
}

/**
 * For every output pixel of every image, the flat source indices of its 4 bilinear
 * neighbours and their weights, tap-major: entry t * (n h w) + p is tap t of pixel p.
 */
export function bilinearTaps(jitter: readonly ImageJitter[], width: number, height: number): { indices: Int32Array; weights: Float32Array } {
  if (width < 2 || height < 2) throw new Error(`augmentBatch: images must be at least 2x2, got ${width}x${height}`);
  const plane = width * height;
  const total = jitter.length * plane;
  const indices = new Int32Array(4 * total);
  const weights = new Float32Array(4 * total);
  jitter.forEach((j, n) => {
    const [a, b, c, d, e, f] = affineOf(j, width, height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const xs = reflect(a * x + b * y + c, width - 1);
        const ys = reflect(d * x + e * y + f, height - 1);
        const x0 = Math.floor(xs);
        const y0 = Math.floor(ys);
        const x1 = Math.min(x0 + 1, width - 1);
        const y1 = Math.min(y0 + 1, height - 1);
        const wx = xs - x0;
        const wy = ys - y0;
        const p = n * plane + y * width + x;
        const base = n * plane;
        indices[p] = base + y0 * width + x0;
        indices[total + p] = base + y0 * width + x1;
        indices[2 * total + p] = base + y1 * width + x0;
        indices[3 * total + p] = base + y1 * width + x1;
        weights[p] = (1 - wx) * (1 - wy);
        weights[total + p] = wx * (1 - wy);
        weights[2 * total + p] = (1 - wx) * wy;
        weights[3 * total + p] = wx * wy;
      }
    }
  });
  return { indices, weights };
}

/** Mirrors a position into [0, max] (Keras' "reflect" fill): -1 -> 1, max + 1 -> max - 1. */
function reflect(v: number, max: number): number {
  const period = 2 * max;
  const t = ((v % period) + period) % period;
  return max - Math.abs(t - max);
}
