/**
 * The layer kernels of the fused MobileNetV2 step (fused-mobilenet.ts), forward and
 * backward: convolutions and depthwise convolutions with their backprop kernels,
 * `FusedBatchNormV3` and its gradient (one kernel each instead of ~10 eager ops), and
 * Relu6 with `Relu6Grad`. Every op is named as in TensorFlow's `raw_ops`, with the same
 * inputs and attributes, so TensorFlow's documentation is the reference.
 */
import { NativeKernels, type OpAttr, type Tensor } from "./native-kernels.ts";

export type Padding = "SAME" | "VALID";

/** Convolution, batch-norm and Relu6 kernels (float32, NHWC), on top of the binding. */
export class NativeLayerOps extends NativeKernels {
  private convAttrs(stride: number, padding: Padding, withCudnn: boolean): OpAttr[] {
    const b = this.b;
    return this.attrs(`conv:${stride}:${padding}:${withCudnn}`, () => [
      this.T,
      { name: "strides", type: b.TF_ATTR_INT, value: [1, stride, stride, 1] },
      ...(withCudnn ? [{ name: "use_cudnn_on_gpu", type: b.TF_ATTR_BOOL, value: true }] : []),
      { name: "padding", type: b.TF_ATTR_STRING, value: padding },
      { name: "explicit_paddings", type: b.TF_ATTR_INT, value: [] },
      { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
      { name: "dilations", type: b.TF_ATTR_INT, value: [1, 1, 1, 1] },
    ]);
  }

  conv2d(x: Tensor, filter: Tensor, stride: number, padding: Padding = "SAME"): Tensor {
    return this.one("Conv2D", this.convAttrs(stride, padding, true), [x, filter]);
  }

  conv2dBackpropInput(
    inputShape: Tensor,
    filter: Tensor,
    dy: Tensor,
    stride: number,
    padding: Padding = "SAME",
  ): Tensor {
    return this.one("Conv2DBackpropInput", this.convAttrs(stride, padding, true), [
      inputShape,
      filter,
      dy,
    ]);
  }

  conv2dBackpropFilter(
    x: Tensor,
    filterShape: Tensor,
    dy: Tensor,
    stride: number,
    padding: Padding = "SAME",
  ): Tensor {
    return this.one("Conv2DBackpropFilter", this.convAttrs(stride, padding, true), [
      x,
      filterShape,
      dy,
    ]);
  }

  depthwiseConv2d(x: Tensor, filter: Tensor, stride: number, padding: Padding = "SAME"): Tensor {
    return this.one("DepthwiseConv2dNative", this.convAttrs(stride, padding, false), [x, filter]);
  }

  depthwiseBackpropInput(
    inputShape: Tensor,
    filter: Tensor,
    dy: Tensor,
    stride: number,
    padding: Padding = "SAME",
  ): Tensor {
    return this.one("DepthwiseConv2dNativeBackpropInput", this.convAttrs(stride, padding, false), [
      inputShape,
      filter,
      dy,
    ]);
  }

  depthwiseBackpropFilter(
    x: Tensor,
    filterShape: Tensor,
    dy: Tensor,
    stride: number,
    padding: Padding = "SAME",
  ): Tensor {
    return this.one("DepthwiseConv2dNativeBackpropFilter", this.convAttrs(stride, padding, false), [
      x,
      filterShape,
      dy,
    ]);
  }

  private bnAttrs(epsilon: number, training: boolean, avgFactor?: number): OpAttr[] {
    const b = this.b;
    return this.attrs(`bn:${epsilon}:${training}:${avgFactor}`, () => [
      this.T,
      { name: "U", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: "epsilon", type: b.TF_ATTR_FLOAT, value: epsilon },
      ...(avgFactor === undefined
        ? []
        : [{ name: "exponential_avg_factor", type: b.TF_ATTR_FLOAT, value: avgFactor }]),
      { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
      { name: "is_training", type: b.TF_ATTR_BOOL, value: training },
    ]);
  }

  /**
   * FusedBatchNormV3 in training mode: normalises with the batch's statistics and returns
   * the moving mean/variance already updated as `moving * (1 - f) + batch * f`, plus the
   * reserve spaces its gradient needs.
   */
  batchNormTrain(
    x: Tensor,
    scale: Tensor,
    offset: Tensor,
    movingMean: Tensor,
    movingVar: Tensor,
    epsilon: number,
    avgFactor: number,
  ) {
    const [y, mean, variance, r1, r2, r3] = this.run(
      "FusedBatchNormV3",
      this.bnAttrs(epsilon, true, avgFactor),
      [x, scale, offset, movingMean, movingVar],
      6,
    ) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    return { y, mean, variance, reserve: [r1, r2, r3] as [Tensor, Tensor, Tensor] };
  }

  /** FusedBatchNormGradV3: [dx, dscale, doffset] of a training-mode batch norm. */
  batchNormGrad(
    dy: Tensor,
    x: Tensor,
    scale: Tensor,
    reserve: [Tensor, Tensor, Tensor],
    epsilon: number,
  ): [Tensor, Tensor, Tensor] {
    const out = this.run(
      "FusedBatchNormGradV3",
      this.bnAttrs(epsilon, true),
      [dy, x, scale, ...reserve],
      5,
    );
    this.tf.dispose(out.slice(3));
    return out.slice(0, 3) as [Tensor, Tensor, Tensor];
  }

  relu6(x: Tensor): Tensor {
    return this.one(
      "Relu6",
      this.attrs("T", () => [this.T]),
      [x],
    );
  }

  /** Relu6Grad: dy where 0 < features < 6, else 0 (features: the op's input or output). */
  relu6Grad(dy: Tensor, features: Tensor): Tensor {
    return this.one(
      "Relu6Grad",
      this.attrs("T", () => [this.T]),
      [dy, features],
    );
  }
}
