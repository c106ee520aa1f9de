/**
 * MobileNetV2's training step and inference pass as fused TensorFlow kernels.
 *
 * tfjs-layers runs a MobileNetV2 step as ~6,100 eager ops: batch norm alone is a dozen ops
 * per layer, each differentiated op by op, and Adam is ~12 ops per weight. Here the forward
 * pass keeps what each layer's gradient needs, and the backward pass is written out with
 * the kernels TensorFlow's own gradients use: `FusedBatchNormV3`/`FusedBatchNormGradV3`,
 * `Conv2DBackpropInput/Filter`, `DepthwiseConv2dNativeBackpropInput/Filter`, `Relu6Grad`,
 * and one `ResourceApplyAdam` per weight on resource variables. About 700 kernels a step.
 *
 * The network is the tfjs-layers model of mobilenet-v2.ts, same layout (`planMobileNetV2`)
 * and same layer names: its weights are loaded from that model and written back into it
 * (`writeTo`), so saving, the .tflite writer and `loadModel` keep working on the layers
 * model. test/fused-mobilenet.test.ts holds the two to the same loss, gradients and loss
 * curve.
 *
 * The loss is the weighted softmax cross-entropy `sum_i w_i * CE(target_i, logits_i) / N`
 * over soft targets, so label smoothing and mixup are just other targets and class
 * weighting is `w_i`. BatchNorm moving statistics follow momentum `bnMomentum` exactly as
 * the layers model's do, updated by the batch-norm kernel itself.
 *
 * This class is the network's face; its parts are the units and step types
 * (fused-net.ts), the weights and optimiser state (fused-weights.ts), the training passes
 * (fused-training.ts) and the BN-folded inference pass (fused-inference.ts).
 */
import type * as tfn from "@tensorflow/tfjs";
import { FoldedInference } from "./fused-inference.ts";
import {
  type AdamOptions,
  type Gradients,
  planUnits,
  ShapeTensors,
  type StepResult,
  type TrainBatch,
} from "./fused-net.ts";
import { type FusedNet, lossAndGrads, trainingForward } from "./fused-training.ts";
import { FusedWeights } from "./fused-weights.ts";
import { planMobileNetV2, type MobileNetV2Plan } from "./mobilenet-v2.ts";
import type { Tensor, TF } from "./native-kernels.ts";
import { NativeOps } from "./native-ops.ts";

/** The network's trainable weights and BN statistics as native resources. */
export class FusedMobileNetV2 {
  readonly plan: MobileNetV2Plan;
  readonly numClasses: number;
  readonly featureCount: number;
  private readonly tf: TF;
  private readonly ops: NativeOps;
  private readonly weights: FusedWeights;
  private readonly net: FusedNet;
  private readonly inference: FoldedInference;

  private constructor(
    tf: TF,
    model: tfn.LayersModel,
    alpha: number,
    numClasses: number,
    bnMomentum: number,
    adam: AdamOptions,
  ) {
    this.tf = tf;
    this.ops = new NativeOps(tf);
    this.plan = planMobileNetV2(alpha);
    this.numClasses = numClasses;
    this.featureCount = this.plan.lastChannels;
    const units = planUnits(this.plan);
    this.weights = new FusedWeights(tf, this.ops, units, model, adam);
    this.net = {
      tf,
      ops: this.ops,
      plan: this.plan,
      units,
      weights: this.weights,
      shapes: new ShapeTensors(tf),
      numClasses,
      bnMomentum,
    };
    this.inference = new FoldedInference(this.net);
  }

  /**
   * The fused twin of a tfjs-layers MobileNetV2 from `buildMobileNetV2` (same alpha), with
   * its current weights. The layers model is left as it is.
   */
  static fromLayersModel(
    tf: TF,
    model: tfn.LayersModel,
    opts: { alpha: number; bnMomentum?: number; adam?: AdamOptions },
  ): FusedMobileNetV2 {
    const units = model.outputs[0]?.shape.at(-1);
    if (typeof units !== "number")
      throw new Error("fused MobileNetV2: the model has no class output");
    return new FusedMobileNetV2(
      tf,
      model,
      opts.alpha,
      units,
      opts.bnMomentum ?? 0.99,
      opts.adam ?? {},
    );
  }

  /** Whether libtensorflow runs these kernels on a GPU. */
  get usingGpu(): boolean {
    return this.ops.usingGpu;
  }

  /** Kernels launched so far (for the benchmark's kernels-per-step figure). */
  get kernelCount(): number {
    return this.ops.kernels;
  }

  /**
   * Loss and gradients of one batch without updating anything but the BN moving
   * statistics. The caller owns (and disposes) the gradients.
   */
  gradients(batch: Omit<TrainBatch, "learningRate">): {
    loss: number;
    accuracy: number;
    grads: Gradients;
  } {
    const out = this.tf.tidy(() => {
      const { loss, accuracy, grads } = lossAndGrads(this.net, batch);
      return { loss, accuracy, grads: [...grads.entries()] as [string, Tensor][] };
    });
    return { loss: out.loss, accuracy: out.accuracy, grads: new Map(out.grads) };
  }

  /** One Adam step on a batch: forward, backward, one fused update per weight. */
  trainStep(batch: TrainBatch): StepResult {
    return this.tf.tidy(() => {
      const { loss, accuracy, grads } = lossAndGrads(this.net, batch);
      this.applyGradients(grads, batch.learningRate);
      return { loss, accuracy };
    });
  }

  /** One Adam update (and EMA update) with given gradients, keyed as `gradients` returns them. */
  applyGradients(grads: Gradients, learningRate: number): void {
    this.weights.applyGradients(grads, learningRate);
  }

  /** The trainable weights' names and shapes, in a fixed order (the layout of a flat gradient buffer). */
  weightLayout(): { key: string; shape: number[]; size: number; offset: number }[] {
    return this.weights.weightLayout();
  }

  /** Current values of the trainable weights (or of their moving average), as plain arrays. */
  trainableValues(which: "weights" | "ema" = "weights"): Map<string, Float32Array> {
    return this.weights.trainableValues(which);
  }

  /** Overwrites the trainable weights (not Adam's moments, not BN statistics). */
  setTrainableValues(values: Map<string, Float32Array>): void {
    this.weights.setTrainableValues(values);
  }

  /**
   * Keeps an exponential moving average of the weights from now on (Polyak averaging), with
   * TensorFlow's warm-up: the decay is min(decay, (1 + t) / (10 + t)) at update t.
   */
  enableEma(decay: number): void {
    this.weights.enableEma(decay);
  }

  /** Puts the averaged weights in place of the trained ones (BN statistics untouched). */
  loadEma(): void {
    this.weights.loadEma();
  }

  /**
   * Softmax outputs in inference mode (moving statistics, no dropout): [N, K], with batch
   * norm folded into each convolution (fused-inference.ts).
   */
  predict(x: Tensor): Tensor {
    return this.inference.predict(x);
  }

  /**
   * Replaces every BN layer's moving statistics with their mean over `batches` under the
   * current weights ("precise BN"): batch b enters with factor 1/(b+1), a running mean.
   */
  recalibrate(batches: Iterable<Tensor>): void {
    let b = 0;
    for (const x of batches) {
      const factor = 1 / (b + 1);
      this.tf.tidy(() => {
        trainingForward(this.net, x, this.weights.readAll(), { avgFactor: factor });
      });
      b++;
    }
  }

  /** A copy of every weight and statistic, for keeping the best epoch. */
  snapshot(): Map<string, Tensor> {
    return this.weights.snapshot();
  }

  /** Puts a snapshot's values back (the snapshot stays the caller's). */
  restore(snap: Map<string, Tensor>): void {
    this.weights.restore(snap);
  }

  /** Writes the current weights and moving statistics into the tfjs-layers model. */
  writeTo(model: tfn.LayersModel): void {
    this.weights.writeTo(model);
  }

  dispose(): void {
    this.weights.dispose();
    this.net.shapes.dispose();
    this.inference.dispose();
  }
}
