/**
 * What the .tflite is compared against: TF.js' own logits. The TF.js model ends in a Dense
 * with a fused softmax, so its output hides small errors; the logits are rebuilt as the
 * Dense's pre-activation, features x kernel + bias, where features come from a sub-model up
 * to the Dense's input (in inference mode: Dropout off, BN on moving statistics).
 */
import type { LayersModel, SymbolicTensor, Tensor2D } from "@tensorflow/tfjs-node";
import { ensureNativeBackend } from "../backend.ts";

/** Pre-softmax class scores of the TF.js model for each input (NHWC, already scaled). */
export async function tfjsLogits(
  model: LayersModel,
  inputs: Float32Array[],
  inputShape: number[],
  batchSize = 32,
): Promise<Float32Array[]> {
  const tf = await ensureNativeBackend();
  const head = model.layers.at(-1);
  const cfg = head?.getConfig() ?? {};
  if (
    !head ||
    head.getClassName() !== "Dense" ||
    (cfg.activation !== "softmax" && cfg.activation !== "linear")
  ) {
    throw new Error(
      `cannot take logits of model "${model.name}": its last layer must be a Dense with softmax or linear activation, got ${head?.getClassName()} "${head?.name}"`,
    );
  }
  const features = tf.model({ inputs: model.inputs, outputs: head.input as SymbolicTensor });
  const [kernel, bias] = head.getWeights();
  const out: Float32Array[] = [];
  for (const { chunk, flat } of batchesOf(inputs, inputShape, batchSize, "input")) {
    const logits = tf.tidy(() => {
      const f = features.predict(tf.tensor(flat, [chunk.length, ...inputShape])) as Tensor2D;
      const z = f.matMul(kernel as Tensor2D);
      return bias ? z.add(bias) : z;
    });
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    const k = data.length / chunk.length;
    for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * k, (i + 1) * k));
  }
  return out;
}

/**
 * `inputs` (one flat image each, of `shape`) in batches of `batchSize`, each as one flat
 * array; an image of the wrong size is an error naming it (`what` and its index).
 */
export function* batchesOf(
  inputs: readonly Float32Array[],
  shape: readonly number[],
  batchSize: number,
  what: string,
): Generator<{ chunk: readonly Float32Array[]; flat: Float32Array }> {
  const per = shape.reduce((a, d) => a * d, 1);
  for (let start = 0; start < inputs.length; start += batchSize) {
    const chunk = inputs.slice(start, start + batchSize);
    const flat = new Float32Array(chunk.length * per);
    chunk.forEach((x, i) => {
      if (x.length !== per)
        throw new Error(
          `${what} ${start + i} has ${x.length} values, expected ${per} ([${shape.join(", ")}])`,
        );
      flat.set(x, i * per);
    });
    yield { chunk, flat };
  }
}
