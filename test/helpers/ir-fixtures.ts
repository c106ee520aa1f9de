/**
 * Tensors of the .tflite writer's IR for hand-built test graphs: constants filled from a
 * seeded generator (the same seed gives the same weights), and activations without data.
 */
import type { IrTensor } from "../../worker/tflite/ir.ts";

/** A `constant` and an `activation` maker whose constants draw from one seeded sequence. */
export function irTensorMakers(seed: number) {
  let state = seed;
  const random = (n: number) =>
    Float32Array.from(
      { length: n },
      () => (state = (state * 16807) % 2147483647) / 2147483647 - 0.5,
    );
  const constant = (name: string, shape: number[], channelAxis?: number): IrTensor => ({
    name,
    shape,
    dtype: "float32",
    data: random(shape.reduce((a, d) => a * d, 1)),
    ...(channelAxis === undefined ? {} : { channelAxis }),
  });
  const activation = (name: string, shape: number[]): IrTensor => ({
    name,
    shape,
    dtype: "float32",
  });
  return { constant, activation };
}
