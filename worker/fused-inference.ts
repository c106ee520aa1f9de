/**
 * The fused MobileNetV2's inference pass (fused-mobilenet.ts): softmax outputs with the
 * moving statistics and no dropout. Batch norm is folded into each convolution
 * (w * gamma / sqrt(var + eps), and a bias), as the .tflite writer and Keras' graph
 * optimiser do: a BiasAdd costs a third of an inference FusedBatchNormV3 on the wide
 * expand layers here. The folded weights are computed once per change of the weights.
 */
import { BN_EPSILON, kernelKey, type Unit } from "./fused-net.ts";
import { convForward, type FusedNet } from "./fused-training.ts";
import type { Tensor } from "./native-kernels.ts";

/** Per unit (keyed by its conv layer), the BN-folded kernel and bias. */
interface Folded {
  version: number;
  kernels: Map<string, Tensor>;
  biases: Map<string, Tensor>;
}

/** Inference on a fused network, with the folded weights it last computed. */
export class FoldedInference {
  private folded: Folded | undefined;

  constructor(private readonly net: FusedNet) {}

  /** Softmax outputs in inference mode: [N, K]. */
  predict(x: Tensor): Tensor {
    const { kernels, biases } = this.foldedWeights();
    const { ops, tf, units, plan } = this.net;
    return tf.tidy(() => {
      let unitIndex = 0;
      const next = (input: Tensor): Tensor => {
        const u = units[unitIndex++] as Unit;
        const y = ops.biasAdd(
          convForward(this.net, u, input, kernels.get(u.conv) as Tensor),
          biases.get(u.conv) as Tensor,
        );
        return u.relu ? ops.relu6(y) : y;
      };
      let h = next(x);
      for (const block of plan.blocks) {
        const input = h;
        if (block.expandChannels !== undefined) h = next(h);
        h = next(next(h));
        if (block.residual) h = ops.add(input, h);
      }
      const pooled = ops.spatialMean(next(h), this.net.shapes.get([1, 2]));
      const w = this.net.weights.readAll();
      return ops.softmax(
        ops.biasAdd(
          ops.matMul(pooled, w.get("predictions/kernel") as Tensor),
          w.get("predictions/bias") as Tensor,
        ),
      );
    });
  }

  private foldedWeights(): Folded {
    const { tf, weights } = this.net;
    if (this.folded?.version === weights.version) return this.folded;
    this.dispose();
    const kernels = new Map<string, Tensor>();
    const biases = new Map<string, Tensor>();
    tf.tidy(() => {
      const w = weights.readAll();
      for (const u of this.net.units) {
        const m = weights.movingOf(u.bn);
        const scale = tf.div(
          w.get(`${u.bn}/gamma`) as Tensor,
          tf.sqrt(tf.add(m.variance, BN_EPSILON)),
        );
        const kernel = w.get(kernelKey(u)) as Tensor;
        // Output channels: the last axis of a conv kernel [kh, kw, in, out], axis 2 of a depthwise one [kh, kw, c, 1].
        const perChannel = u.depthwise ? tf.reshape(scale, [1, 1, -1, 1]) : scale;
        kernels.set(u.conv, tf.keep(tf.mul(kernel, perChannel)));
        biases.set(u.conv, tf.keep(tf.sub(w.get(`${u.bn}/beta`) as Tensor, tf.mul(m.mean, scale))));
      }
    });
    this.folded = { version: weights.version, kernels, biases };
    return this.folded;
  }

  /** Frees the folded weights (the next `predict` folds again). */
  dispose(): void {
    if (this.folded)
      this.net.tf.dispose([...this.folded.kernels.values(), ...this.folded.biases.values()]);
    this.folded = undefined;
  }
}
