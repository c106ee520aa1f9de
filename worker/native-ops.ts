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
 * Attribute lists are built once per distinct setting and reused: each call then costs the
 * kernel plus ~7 µs of binding overhead.
 */
import type * as tfn from "@tensorflow/tfjs";
/** The tfjs API both native builds share. */
type TF = typeof import("@tensorflow/tfjs");

type Tensor = tfn.Tensor;

/** The attribute shape tfjs-node's binding reads. */
interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

interface Binding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  isUsingGpuDevice(): boolean;
}

interface NativeBackend {
  binding: Binding;
  executeMultipleOutputs(
    name: string,
    attrs: OpAttr[],
    inputs: Tensor[],
    numOutputs: number,
  ): Tensor[];
}

export type Padding = "SAME" | "VALID";

/** TensorFlow's `ResourceHandle::ANONYMOUS_NAME`: a VarHandleOp with it makes a fresh, handle-owned resource. */
const ANONYMOUS_RESOURCE = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";

/** Typed wrappers over the kernels the fused MobileNetV2 step runs (float32, NHWC). */
export class NativeOps {
  private readonly backend: NativeBackend;
  private readonly b: Binding;
  private readonly cache = new Map<string, OpAttr[]>();
  private readonly tf: TF;
  /** Kernels launched since construction (or the last `resetCount`). */
  kernels = 0;

  constructor(tf: TF) {
    const backend = tf.backend() as unknown as Partial<NativeBackend>;
    if (typeof backend.executeMultipleOutputs !== "function" || !backend.binding) {
      throw new Error(
        `the fused training step needs the native "tensorflow" backend; the active backend is "${tf.getBackend()}"`,
      );
    }
    this.tf = tf;
    this.backend = backend as NativeBackend;
    this.b = this.backend.binding;
  }

  /** Whether libtensorflow placed kernels on a GPU. */
  get usingGpu(): boolean {
    return this.b.isUsingGpuDevice();
  }

  private attrs(key: string, make: () => OpAttr[]): OpAttr[] {
    let a = this.cache.get(key);
    if (!a) this.cache.set(key, (a = make()));
    return a;
  }

  private run(name: string, attrs: OpAttr[], inputs: Tensor[], outputs: number): Tensor[] {
    this.kernels++;
    return this.backend.executeMultipleOutputs(name, attrs, inputs, outputs);
  }

  private one(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor {
    return this.run(name, attrs, inputs, 1)[0] as Tensor;
  }

  private get T(): OpAttr {
    return { name: "T", type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT };
  }

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
