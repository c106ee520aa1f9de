/**
 * Weight encodings of the smaller variants: IEEE float16, and symmetric per-channel int8
 * (zero point 0, scale = max|w| / 127 per output channel), the layout TFLite's hybrid
 * "dynamic range" kernels read. Pure functions over typed arrays.
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
 * runtime never divides by zero.
 */
export function quantizeInt8PerChannel(
  data: Float32Array,
  shape: number[],
  axis: number,
): Int8Weights {
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(data[i]!));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = Math.round(data[i]! / scales[channelOf(i)]!);
    values[i] = Math.max(-127, Math.min(127, q));
  }
  return { values, scales };
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
