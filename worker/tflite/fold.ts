/**
 * BatchNorm folding: inference-mode BN after a conv is a per-channel affine map, so it
 * moves into the conv's weights and bias and the .tflite has no BN op at all:
 *   s = gamma / sqrt(var + eps),  w' = w * s (per output channel),  b' = beta + (b - mean) * s.
 * Computed in float64 and rounded once, so folding adds no more than one float32 rounding.
 */
import type { IrOp, IrTensor } from "./ir.ts";

/** A BN layer's inference parameters; a missing gamma/beta means 1/0 (scale/center off). */
export interface BatchNormParams {
  gamma?: Float32Array;
  beta?: Float32Array;
  mean?: Float32Array;
  variance?: Float32Array;
  epsilon: number;
}

/** Folds BN into `op` (CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED), in place. */
export function foldBatchNorm(
  tensors: IrTensor[],
  op: IrOp,
  bn: BatchNormParams,
  bnName: string,
): void {
  const w = tensors[op.inputs[1]!];
  const b = tensors[op.inputs[2]!];
  if (!w?.data || w.channelAxis === undefined || !b?.data)
    throw new Error(
      `cannot fold BatchNorm "${bnName}": op ${op.op} of ${op.layers.join("/")} has no constant weights and bias`,
    );
  const channels = w.shape[w.channelAxis]!;
  const { mean, variance } = bn;
  if (!mean || !variance)
    throw new Error(`cannot fold BatchNorm "${bnName}": it has no moving_mean/moving_variance`);
  for (const [what, v] of [
    ["gamma", bn.gamma],
    ["beta", bn.beta],
    ["moving_mean", mean],
    ["moving_variance", variance],
  ] as const) {
    if (v && v.length !== channels)
      throw new Error(
        `cannot fold BatchNorm "${bnName}": ${what} has ${v.length} values but ${op.layers.join("/")} has ${channels} output channels`,
      );
  }
  const scale = new Float64Array(channels);
  const bias = b.data as Float32Array;
  for (let c = 0; c < channels; c++) {
    const s = (bn.gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + bn.epsilon);
    scale[c] = s;
    bias[c] = (bn.beta?.[c] ?? 0) + (bias[c]! - mean[c]!) * s;
  }
  scaleChannels(w.data as Float32Array, w.shape, w.channelAxis, scale);
}

/** Multiplies each slice along `axis` of a row-major tensor by its channel's factor. */
export function scaleChannels(
  data: Float32Array,
  shape: number[],
  axis: number,
  factor: ArrayLike<number>,
): void {
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const channels = shape[axis]!;
  for (let i = 0; i < data.length; i++) {
    const c = Math.floor(i / inner) % channels;
    data[i] = data[i]! * factor[c]!;
  }
}
