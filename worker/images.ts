/**
 * Image files to model input: decode with sharp, then a float32 NHWC tensor in [-1, 1].
 *
 * Decoding keeps only the resized RGB bytes (inputSize² x 3 uint8 per image, 27 KB at 96
 * px), and at most `concurrency` images are decoded at full size at any moment, so 10k
 * phone photos never sit in memory at 12 MP each. The float conversion happens one batch
 * at a time. The app must preprocess exactly the same way: `describePreprocessing` is that
 * contract as data (it goes into the .tflite metadata).
 */
import sharp, { type OutputInfo } from "sharp";
import * as tf from "@tensorflow/tfjs";

/** Largest source image accepted, in pixels: above it sharp refuses (decompression bombs). */
export const MAX_INPUT_PIXELS = 100_000_000;

/** How many images are decoded at once: sharp reaches ~600/s with 4 in flight on 2 cores. */
export const DEFAULT_DECODE_CONCURRENCY = 4;

/** The preprocessing a model was trained with; a client must reproduce it exactly. */
export interface Preprocessing {
  inputSize: number;
  channels: 3;
  colourSpace: "srgb";
  /** EXIF orientation applied, then scaled so the short side fits and centre-cropped. */
  resize: "exif-rotate, cover, centre-crop";
  layout: "NHWC";
  dtype: "float32";
  scale: "[-1,1]";
  /** x = (pixel - mean) / std per RGB channel: MobileNetV2's [-1, 1] scaling. */
  mean: [number, number, number];
  std: [number, number, number];
}

/** MobileNetV2's preprocessing for a given input size. */
export function describePreprocessing(inputSize: number): Preprocessing {
  return {
    inputSize,
    channels: 3,
    colourSpace: "srgb",
    resize: "exif-rotate, cover, centre-crop",
    layout: "NHWC",
    dtype: "float32",
    scale: "[-1,1]",
    mean: [127.5, 127.5, 127.5],
    std: [127.5, 127.5, 127.5],
  };
}

/** Decodes one image file to inputSize x inputSize x 3 sRGB bytes (HWC). */
export async function decodeImage(path: string, inputSize: number): Promise<Uint8Array> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(path, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate() // honour EXIF orientation: phone photos are often stored sideways
      .removeAlpha()
      .toColourspace("srgb") // greyscale and CMYK sources become 3-channel sRGB
      .resize(inputSize, inputSize, { fit: "cover", position: "centre" })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`cannot decode image ${path}: ${(err as Error).message}`, { cause: err });
  }
  const { data, info } = out;
  if (info.channels !== 3 || info.width !== inputSize || info.height !== inputSize) {
    throw new Error(
      `decoding ${path} gave ${info.width}x${info.height}x${info.channels}, expected ${inputSize}x${inputSize}x3`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Decodes many files with at most `concurrency` in flight; results keep input order. */
export async function decodeImages(
  paths: string[],
  inputSize: number,
  concurrency = DEFAULT_DECODE_CONCURRENCY,
): Promise<Uint8Array[]> {
  const out = new Array<Uint8Array>(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await decodeImage(paths[i] as string, inputSize);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return out;
}

/** Stacks decoded images into a float32 [n, size, size, 3] tensor scaled to [-1, 1]. */
export function toInputTensor(pixels: Uint8Array[], inputSize: number): tf.Tensor4D {
  const per = inputSize * inputSize * 3;
  const x = new Float32Array(pixels.length * per);
  pixels.forEach((img, n) => {
    if (img.length !== per)
      throw new Error(
        `image ${n} has ${img.length} bytes, expected ${per} (${inputSize}x${inputSize}x3)`,
      );
    const base = n * per;
    for (let i = 0; i < per; i++) x[base + i] = (img[i] as number) / 127.5 - 1;
  });
  return tf.tensor4d(x, [pixels.length, inputSize, inputSize, 3]);
}

/**
 * Yields consecutive batches of decoded images, decoding the next batch while the caller
 * works on the current one (TF runs off the JS thread, so the two overlap).
 */
export async function* decodedBatches(
  paths: string[],
  inputSize: number,
  batchSize: number,
  concurrency = DEFAULT_DECODE_CONCURRENCY,
): AsyncGenerator<{ start: number; pixels: Uint8Array[] }> {
  const load = (start: number) =>
    decodeImages(paths.slice(start, start + batchSize), inputSize, concurrency);
  let pending = paths.length > 0 ? load(0) : undefined;
  try {
    for (let start = 0; pending; start += batchSize) {
      const pixels = await pending;
      pending = start + batchSize < paths.length ? load(start + batchSize) : undefined;
      yield { start, pixels };
    }
  } finally {
    // A consumer that stops early must not leave a rejected prefetch unhandled.
    pending?.catch(() => undefined);
  }
}
