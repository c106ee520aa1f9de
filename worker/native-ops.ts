/**
 * TensorFlow kernels called by name on the native backend, for the fused training step
 * (fused-mobilenet.ts).
 *
 * tfjs-node binds libtensorflow's eager C API and exposes `executeMultipleOutputs(name,
 * attrs, inputs, n)`: any registered TensorFlow kernel, with oneDNN where TF has it. That
 * gives what tfjs' own op set lacks for fast training: `FusedBatchNormV3` and its gradient
 * (one kernel each instead of ~10 eager ops), the convolution backprop kernels, `Relu6Grad`,
 * resource variables and `ResourceApplyAdam` (one kernel per weight instead of ~12).
 * Nothing here has a tfjs-core equivalent with the same cost, which is why it is written
 * against the binding; every op is named as in TensorFlow's `raw_ops`, with the same
 * inputs and attributes, so TensorFlow's documentation is the reference.
 *
 * The binding itself is native-kernels.ts; the convolution, batch-norm and Relu6 kernels
 * are native-layer-ops.ts. This class adds the rest the step and the augmentation run.
 */
import { NativeLayerOps } from "./native-layer-ops.ts";
import type { Tensor } from "./native-kernels.ts";

/** TensorFlow's `ResourceHandle::ANONYMOUS_NAME`: a VarHandleOp with it makes a fresh, handle-owned resource. */
const ANONYMOUS_RESOURCE = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";

/** Typed wrappers over the kernels the fused MobileNetV2 step runs (float32, NHWC). */
export class NativeOps extends NativeLayerOps {
  add(a: Tensor, b: Tensor): Tensor {
    return this.one(
      "AddV2",
      this.attrs("T", () => [this.T]),
      [a, b],
    );
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.one(
      "Mul",
      this.attrs("T", () => [this.T]),
      [a, b],
    );
  }

  /** Mean over the spatial axes of an NHWC tensor: [N, C]. */
  spatialMean(x: Tensor, axes: Tensor): Tensor {
    const b = this.b;
    const attrs = this.attrs("mean", () => [
      this.T,
      { name: "Tidx", type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
      { name: "keep_dims", type: b.TF_ATTR_BOOL, value: false },
    ]);
    return this.one("Mean", attrs, [x, axes]);
  }

  /** Broadcasts `x` to `shape` (an int32 tensor). */
  broadcastTo(x: Tensor, shape: Tensor): Tensor {
    const b = this.b;
    return this.one(
      "BroadcastTo",
      this.attrs("bcast", () => [
        this.T,
        { name: "Tidx", type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
      ]),
      [x, shape],
    );
  }

  reshape(x: Tensor, shape: Tensor): Tensor {
    const b = this.b;
    return this.one(
      "Reshape",
      this.attrs("reshape", () => [
        this.T,
        { name: "Tshape", type: b.TF_ATTR_TYPE, value: b.TF_INT32 },
      ]),
      [x, shape],
    );
  }

  matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const B = this.b;
    const attrs = this.attrs(`matmul:${transposeA}:${transposeB}`, () => [
      this.T,
      { name: "transpose_a", type: B.TF_ATTR_BOOL, value: transposeA },
      { name: "transpose_b", type: B.TF_ATTR_BOOL, value: transposeB },
    ]);
    return this.one("MatMul", attrs, [a, b]);
  }

  biasAdd(x: Tensor, bias: Tensor): Tensor {
    return this.one(
      "BiasAdd",
      this.attrs("bias", () => [
        this.T,
        { name: "data_format", type: this.b.TF_ATTR_STRING, value: "NHWC" },
      ]),
      [x, bias],
    );
  }

  biasAddGrad(dy: Tensor): Tensor {
    return this.one(
      "BiasAddGrad",
      this.attrs("bias", () => [
        this.T,
        { name: "data_format", type: this.b.TF_ATTR_STRING, value: "NHWC" },
      ]),
      [dy],
    );
  }

  softmax(logits: Tensor): Tensor {
    return this.one(
      "Softmax",
      this.attrs("T", () => [this.T]),
      [logits],
    );
  }

  /** SoftmaxCrossEntropyWithLogits: per-row loss [N] and its gradient softmax - labels [N, K]. */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): [Tensor, Tensor] {
    return this.run(
      "SoftmaxCrossEntropyWithLogits",
      this.attrs("T", () => [this.T]),
      [logits, labels],
      2,
    ) as [Tensor, Tensor];
  }

  /**
   * A new float32 resource variable holding `initial` (which the caller still owns). It is
   * anonymous, as TF2's own eager variables are: the resource belongs to its handle and is
   * freed with it, so variables of two networks (or two threads) never share a name.
   */
  variable(initial: Tensor): Tensor {
    const b = this.b;
    const handle = this.one(
      "VarHandleOp",
      [
        { name: "container", type: b.TF_ATTR_STRING, value: "" },
        { name: "shared_name", type: b.TF_ATTR_STRING, value: ANONYMOUS_RESOURCE },
        { name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
        { name: "shape", type: b.TF_ATTR_SHAPE, value: initial.shape },
      ],
      [],
    );
    this.assign(handle, initial);
    return handle;
  }

  assign(handle: Tensor, value: Tensor): void {
    this.run(
      "AssignVariableOp",
      this.attrs("assign", () => [
        { name: "dtype", type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT },
      ]),
      [handle, value],
      0,
    );
  }

  read(handle: Tensor): Tensor {
    return this.one(
      "ReadVariableOp",
      this.attrs("read", () => [
        { name: "dtype", type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT },
      ]),
      [handle],
    );
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return this.one(
      "Sub",
      this.attrs("T", () => [this.T]),
      [a, b],
    );
  }

  /**
   * ImageProjectiveTransformV3: resamples each image through its own transform
   * [a0, a1, a2, b0, b1, b2, c0, c1], which maps output (x, y) to input
   * ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with k = c0 x + c1 y + 1, in pixels.
   */
  projectiveTransform(
    images: Tensor,
    transforms: Tensor,
    outputShape: Tensor,
    fillValue: Tensor,
    fillMode: "REFLECT" | "WRAP" | "CONSTANT" | "NEAREST",
  ): Tensor {
    const b = this.b;
    const attrs = this.attrs(`transform:${fillMode}`, () => [
      { name: "dtype", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: "interpolation", type: b.TF_ATTR_STRING, value: "BILINEAR" },
      { name: "fill_mode", type: b.TF_ATTR_STRING, value: fillMode },
    ]);
    return this.one("ImageProjectiveTransformV3", attrs, [
      images,
      transforms,
      outputShape,
      fillValue,
    ]);
  }

  /** ResourceApplyGradientDescent: variable -= alpha * delta, in place. */
  applyGradientDescent(variable: Tensor, alpha: Tensor, delta: Tensor): void {
    const attrs = this.attrs("sgd", () => [
      this.T,
      { name: "use_locking", type: this.b.TF_ATTR_BOOL, value: false },
    ]);
    this.run("ResourceApplyGradientDescent", attrs, [variable, alpha, delta], 0);
  }

  /**
   * ResourceApplyAdam: m, v and the variable updated in place, with TensorFlow's
   * `lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)` bias correction. Scalars are float32
   * tensors: [beta1Power, beta2Power, lr, beta1, beta2, epsilon].
   */
  applyAdam(
    variable: Tensor,
    m: Tensor,
    v: Tensor,
    scalars: readonly Tensor[],
    grad: Tensor,
  ): void {
    const b = this.b;
    const attrs = this.attrs("adam", () => [
      this.T,
      { name: "use_locking", type: b.TF_ATTR_BOOL, value: false },
      { name: "use_nesterov", type: b.TF_ATTR_BOOL, value: false },
    ]);
    this.run("ResourceApplyAdam", attrs, [variable, m, v, ...scalars, grad], 0);
  }
}
