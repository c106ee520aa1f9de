/**
 * The quantisation arithmetic of the smaller variants: IEEE float16; symmetric per-channel
 * int8 weights (zero point 0, scale = max|w| / 127 per output channel), the layout TFLite's
 * hybrid "dynamic range" kernels and its int8 kernels read; and, for the full-integer
 * variant, asymmetric int8 activations, int32 biases and SOFTMAX's fixed output. Pure
 * functions over typed arrays.
 */

/** Per-channel int8 weights with the scales that map them back to float. */
export interface Int8Weights {
  values: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
}

/**
 * Quantises a row-major tensor per channel along `axis`. Symmetric in [-127, 127] (not
 * -128) as TFLite's per-channel spec requires; an all-zero channel gets scale 1 so the
 * runtime never divides by zero. `minScales` (one per channel) raises a channel's scale to
 * at least that value (so its int32 bias fits, see `biasSafeWeightScales`). A shape of
 * `[1, n]` with axis 0 is one scale for the whole tensor.
 */
export function quantizeInt8PerChannel(
  data: Float32Array,
  shape: number[],
  axis: number,
  minScales?: Float32Array,
): Int8Weights {
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(data[i]!));
  }
  const scales = Float32Array.from(maxAbs, (m, c) =>
    Math.max(m > 0 ? m / 127 : 1, minScales?.[c] ?? 0),
  );
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = Math.round(data[i]! / scales[channelOf(i)]!);
    values[i] = Math.max(-127, Math.min(127, q));
  }
  return { values, scales };
}

/** Half away from zero, as C's `round` (TFLite's quantiser rounds so). */
export const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/** An int8 tensor's affine map: real = (q - zeroPoint) * scale. */
export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Per-tensor asymmetric int8 parameters of an activation observed in [min, max], as
 * TFLite's quantiser derives them: the range is widened to hold 0 (so 0 is exact, as
 * padding and ReLU need), scale = (max - min) / 255 and the zero point is -128 - min/scale
 * rounded and clamped into [-128, 127]. A range of only 0 gets scale 1/255.
 */
export function asymmetricInt8(min: number, max: number): AffineParams {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max)
    throw new Error(
      `cannot quantise an activation observed in [${min}, ${max}]: calibrate it on images that reach it`,
    );
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1 / 255);
  const zeroPoint = Math.max(-128, Math.min(127, roundHalfAway(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/**
 * SOFTMAX's int8 output, fixed by TFLite's quantization spec (its kernel refuses others):
 * scale 1/256, zero point -128, so 0..1 spans the whole int8 range.
 */
export const SOFTMAX_INT8_OUTPUT: Readonly<AffineParams> = { scale: 1 / 256, zeroPoint: -128 };

/** The int32 bias of an int8 conv or fully connected op, and its scales. */
export interface Int32Bias {
  values: Int32Array;
  /** in_scale * w_scale[c], one per channel (one for a per-tensor weight). */
  scales: Float32Array;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Quantises a bias for int8 kernels: scale in_scale * w_scale[c] (computed in float32, as
 * the runtime checks it against the product of the two tensors' scales), zero point 0,
 * values rounded and clamped to int32. `weightScales` has one entry per output channel, or
 * one for all of them.
 */
export function quantizeBiasInt32(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): Int32Bias {
  const scales = Float32Array.from(weightScales, (w) => Math.fround(Math.fround(inputScale) * w));
  const values = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = scales[scales.length === 1 ? 0 : c]!;
    values[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, roundHalfAway(bias[c]! / s)));
  }
  return { values, scales };
}

/**
 * The smallest weight scale per channel that keeps bias / (in_scale * w_scale) inside
 * half the int32 range (headroom for float32 rounding of the scales): a channel whose
 * weights are all but zero would otherwise overflow its bias (the converter widens such a
 * weight scale the same way). `channels` is 1 for a per-tensor weight.
 */
export function biasSafeWeightScales(
  bias: Float32Array,
  inputScale: number,
  channels: number,
): Float32Array {
  const floor = new Float32Array(channels);
  for (let c = 0; c < bias.length; c++) {
    const k = channels === 1 ? 0 : c;
    floor[k] = Math.max(floor[k]!, Math.abs(bias[c]!) / (inputScale * 2 ** 30));
  }
  return floor;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE 754 binary16 bits, round to nearest even, overflow to infinity. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000; // implicit leading one
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let sub = mant >>> shift;
    if (rest > half || (rest === half && sub & 1)) sub++;
    return sign | sub;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry may roll into the exponent, which is right
  return h;
}

/** binary16 bits -> number (for tests and error reports). */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A float32 array as float16 values (little-endian, as .tflite buffers are). */
export function toFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toFloat16Bits(data[i]!);
  return out;
}
