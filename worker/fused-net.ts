/**
 * The fixed parts of the fused MobileNetV2 (fused-mobilenet.ts): its units, one per
 * convolution and the batch norm after it, in the order of the tfjs-layers model
 * (`planMobileNetV2`); the weight keys they read; the int32 shape tensors the kernels take;
 * and the types of a training step.
 */
import type { MobileNetV2Plan } from "./mobilenet-v2.ts";
import type { Tensor, TF } from "./native-kernels.ts";

/** Keras' and tfjs-layers' BatchNormalization epsilon, as the layers model uses. */
export const BN_EPSILON = 1e-3;

/** A convolution (plain or depthwise) followed by batch norm and, optionally, Relu6. */
export interface Unit {
  conv: string;
  bn: string;
  depthwise: boolean;
  stride: number;
  relu: boolean;
}

/** Adam's settings; defaults as tfjs' `tf.train.adam` (epsilon 1e-7). */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** One batch for `trainStep`. */
export interface TrainBatch {
  /** [N, S, S, 3] float32 in [-1, 1]. */
  x: Tensor;
  /** [N, K] target distribution per image (one-hot, smoothed or mixed). */
  targets: Tensor;
  /** Loss weight per image (class weights); all 1 when absent. */
  sampleWeights?: readonly number[];
  /** Keep-mask of the classifier's dropout, [N, features] of 0 or 1/(1-rate); none = no dropout. */
  dropoutMask?: Tensor;
  learningRate: number;
}

/** What a step measured, on the batch before the update. */
export type StepResult = {
  loss: number;
  /** Share of images whose argmax matches the argmax of their target. */
  accuracy: number;
};

/** Per-weight gradients of one batch, keyed `layer/param` as in tfjs-layers. */
export type Gradients = Map<string, Tensor>;

/** The units of a MobileNetV2 plan, in the order the forward pass runs them. */
export function planUnits(plan: MobileNetV2Plan): Unit[] {
  const units: Unit[] = [];
  const unit = (conv: string, bn: string, stride: number, relu: boolean, depthwise = false) =>
    units.push({ conv, bn, depthwise, stride, relu });
  unit("Conv1", "bn_Conv1", 2, true);
  for (const b of plan.blocks) {
    if (b.expandChannels !== undefined) unit(`${b.prefix}expand`, `${b.prefix}expand_BN`, 1, true);
    unit(`${b.prefix}depthwise`, `${b.prefix}depthwise_BN`, b.stride, true, true);
    unit(`${b.prefix}project`, `${b.prefix}project_BN`, 1, false);
  }
  unit("Conv_1", "Conv_1_bn", 1, true);
  return units;
}

/** The key of a unit's kernel among the trainable weights. */
export function kernelKey(u: Unit): string {
  return `${u.conv}/${u.depthwise ? "depthwise_kernel" : "kernel"}`;
}

/** Int32 shape tensors, each made once and kept until `dispose`. */
export class ShapeTensors {
  private readonly shapes = new Map<string, Tensor>();

  constructor(private readonly tf: TF) {}

  get(dims: readonly number[]): Tensor {
    const key = dims.join(",");
    let t = this.shapes.get(key);
    if (!t) this.shapes.set(key, (t = this.tf.keep(this.tf.tensor1d(dims as number[], "int32"))));
    return t;
  }

  dispose(): void {
    this.tf.dispose([...this.shapes.values()]);
    this.shapes.clear();
  }
}
