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
 */
import type * as tfn from "@tensorflow/tfjs";
/** The tfjs API both native builds share. */
type TF = typeof import("@tensorflow/tfjs");
import { planMobileNetV2, type MobileNetV2Plan } from "./mobilenet-v2.ts";
import { NativeOps } from "./native-ops.ts";

type Tensor = tfn.Tensor;

/** Keras' and tfjs-layers' BatchNormalization epsilon, as the layers model uses. */
const BN_EPSILON = 1e-3;

/** A convolution (plain or depthwise) followed by batch norm and, optionally, Relu6. */
interface Unit {
  conv: string;
  bn: string;
  depthwise: boolean;
  stride: number;
  relu: boolean;
}

/** What a unit's forward pass keeps for its backward pass. */
interface UnitTape {
  unit: Unit;
  input: Tensor;
  preBn: Tensor;
  reserve: [Tensor, Tensor, Tensor];
  /** The Relu6 output (or the BN output when there is no Relu6). */
  out: Tensor;
  kernel: Tensor;
  gamma: Tensor;
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

/** The network's trainable weights and BN statistics as native resources. */
export class FusedMobileNetV2 {
  readonly plan: MobileNetV2Plan;
  readonly numClasses: number;
  readonly featureCount: number;
  private readonly tf: TF;
  private readonly ops: NativeOps;
  private readonly units: Unit[] = [];
  /** Trainable weights: resource handles, in a fixed order. */
  private readonly vars = new Map<string, Tensor>();
  /** Each trainable weight's shape (a resource handle's own shape is a scalar's). */
  private readonly varShapes = new Map<string, number[]>();
  private readonly adamM = new Map<string, Tensor>();
  private readonly adamV = new Map<string, Tensor>();
  /** Exponential moving average of the trainable weights, when enabled. */
  private readonly ema = new Map<string, Tensor>();
  private emaDecay = 0;
  private emaUpdates = 0;
  /** Moving mean/variance per BN layer: plain tensors, replaced each training step. */
  private readonly moving = new Map<string, { mean: Tensor; variance: Tensor }>();
  private readonly shapes = new Map<string, Tensor>();
  private readonly bnMomentum: number;
  private readonly adam: Required<AdamOptions>;
  private adamStep = 0;
  /** Bumped by every change of weights or BN statistics; the folded inference weights follow it. */
  private version = 0;
  private folded:
    { version: number; kernels: Map<string, Tensor>; biases: Map<string, Tensor> } | undefined;

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
    this.bnMomentum = bnMomentum;
    this.adam = {
      beta1: adam.beta1 ?? 0.9,
      beta2: adam.beta2 ?? 0.999,
      epsilon: adam.epsilon ?? 1e-7,
    };
    const unit = (conv: string, bn: string, stride: number, relu: boolean, depthwise = false) =>
      this.units.push({ conv, bn, depthwise, stride, relu });
    unit("Conv1", "bn_Conv1", 2, true);
    for (const b of this.plan.blocks) {
      if (b.expandChannels !== undefined)
        unit(`${b.prefix}expand`, `${b.prefix}expand_BN`, 1, true);
      unit(`${b.prefix}depthwise`, `${b.prefix}depthwise_BN`, b.stride, true, true);
      unit(`${b.prefix}project`, `${b.prefix}project_BN`, 1, false);
    }
    unit("Conv_1", "Conv_1_bn", 1, true);
    this.load(model);
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

  private layerWeights(model: tfn.LayersModel, name: string, expected: number): Tensor[] {
    let layer: tfn.layers.Layer;
    try {
      layer = model.getLayer(name);
    } catch {
      throw new Error(
        `fused MobileNetV2: the model has no layer "${name}" (build it with buildMobileNetV2)`,
      );
    }
    const w = layer.getWeights();
    if (w.length !== expected)
      throw new Error(
        `fused MobileNetV2: layer "${name}" has ${w.length} weights, expected ${expected}`,
      );
    return w;
  }

  private addVar(key: string, value: Tensor): void {
    const { tf, ops } = this;
    this.vars.set(key, tf.keep(ops.variable(value)));
    this.varShapes.set(key, [...value.shape]);
    const zeros = tf.zerosLike(value);
    this.adamM.set(key, tf.keep(ops.variable(zeros)));
    this.adamV.set(key, tf.keep(ops.variable(zeros)));
    zeros.dispose();
  }

  private load(model: tfn.LayersModel): void {
    for (const u of this.units) {
      const [kernel] = this.layerWeights(model, u.conv, 1);
      this.addVar(`${u.conv}/${u.depthwise ? "depthwise_kernel" : "kernel"}`, kernel as Tensor);
      const [gamma, beta, mean, variance] = this.layerWeights(model, u.bn, 4) as [
        Tensor,
        Tensor,
        Tensor,
        Tensor,
      ];
      this.addVar(`${u.bn}/gamma`, gamma);
      this.addVar(`${u.bn}/beta`, beta);
      this.moving.set(u.bn, {
        mean: this.tf.keep(mean.clone()),
        variance: this.tf.keep(variance.clone()),
      });
    }
    const [kernel, bias] = this.layerWeights(model, "predictions", 2) as [Tensor, Tensor];
    this.addVar("predictions/kernel", kernel);
    this.addVar("predictions/bias", bias);
  }

  /** An int32 shape tensor, made once and kept. */
  private shape(dims: readonly number[]): Tensor {
    const key = dims.join(",");
    let t = this.shapes.get(key);
    if (!t) this.shapes.set(key, (t = this.tf.keep(this.tf.tensor1d(dims as number[], "int32"))));
    return t;
  }

  private kernelKey(u: Unit): string {
    return `${u.conv}/${u.depthwise ? "depthwise_kernel" : "kernel"}`;
  }

  private convForward(u: Unit, x: Tensor, kernel: Tensor): Tensor {
    return u.depthwise
      ? this.ops.depthwiseConv2d(x, kernel, u.stride)
      : this.ops.conv2d(x, kernel, u.stride);
  }

  /**
   * The training-mode forward pass: batch statistics, moving averages advanced with factor
   * `avgFactor`, and a tape for the backward pass. Returns logits.
   */
  private forward(
    x: Tensor,
    w: Map<string, Tensor>,
    mode: { avgFactor: number; dropoutMask?: Tensor },
  ) {
    const { ops } = this;
    const tape: UnitTape[] = [];
    const runUnit = (u: Unit, input: Tensor): Tensor => {
      const kernel = w.get(this.kernelKey(u)) as Tensor;
      const gamma = w.get(`${u.bn}/gamma`) as Tensor;
      const beta = w.get(`${u.bn}/beta`) as Tensor;
      const moving = this.moving.get(u.bn) as { mean: Tensor; variance: Tensor };
      const preBn = this.convForward(u, input, kernel);
      const bn = ops.batchNormTrain(
        preBn,
        gamma,
        beta,
        moving.mean,
        moving.variance,
        BN_EPSILON,
        mode.avgFactor,
      );
      // The kernel returns the advanced moving statistics; they outlive the step's tidy.
      this.tf.dispose([moving.mean, moving.variance]);
      this.moving.set(u.bn, { mean: this.tf.keep(bn.mean), variance: this.tf.keep(bn.variance) });
      this.version++;
      const out = u.relu ? ops.relu6(bn.y) : bn.y;
      tape.push({ unit: u, input, preBn, reserve: bn.reserve, out, kernel, gamma });
      return out;
    };
    let unitIndex = 0;
    const next = (input: Tensor) => runUnit(this.units[unitIndex++] as Unit, input);
    let h = next(x);
    for (const block of this.plan.blocks) {
      const input = h;
      if (block.expandChannels !== undefined) h = next(h);
      h = next(h);
      h = next(h);
      if (block.residual) h = ops.add(input, h);
    }
    const features = next(h);
    const [n, fh, fw, c] = features.shape as [number, number, number, number];
    let pooled = ops.spatialMean(features, this.shape([1, 2]));
    if (mode.dropoutMask) pooled = ops.mul(pooled, mode.dropoutMask);
    const logits = ops.biasAdd(
      ops.matMul(pooled, w.get("predictions/kernel") as Tensor),
      w.get("predictions/bias") as Tensor,
    );
    return { logits, tape, pooled, featureShape: [n, fh, fw, c] as const };
  }

  private readAll(): Map<string, Tensor> {
    const w = new Map<string, Tensor>();
    for (const [key, handle] of this.vars) w.set(key, this.ops.read(handle));
    return w;
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
      const { loss, accuracy, grads } = this.lossAndGrads(batch);
      return { loss, accuracy, grads: [...grads.entries()] as [string, Tensor][] };
    });
    return { loss: out.loss, accuracy: out.accuracy, grads: new Map(out.grads) };
  }

  private lossAndGrads(batch: Omit<TrainBatch, "learningRate">): {
    loss: number;
    accuracy: number;
    grads: Gradients;
  } {
    const { ops, tf } = this;
    const w = this.readAll();
    const n = batch.x.shape[0] as number;
    const { logits, tape, pooled, featureShape } = this.forward(batch.x, w, {
      avgFactor: 1 - this.bnMomentum,
      dropoutMask: batch.dropoutMask,
    });
    const [lossRows, dLogitsRaw] = ops.softmaxCrossEntropy(logits, batch.targets);
    const weights = batch.sampleWeights ?? new Array<number>(n).fill(1);
    if (weights.length !== n)
      throw new Error(`fused MobileNetV2: ${weights.length} sample weights for a batch of ${n}`);
    const rows = lossRows.dataSync();
    let loss = 0;
    for (let i = 0; i < n; i++) loss += (weights[i] as number) * (rows[i] as number);
    loss /= n;
    const accuracy = this.matches(logits, batch.targets) / n;

    const grads: Gradients = new Map();
    const dLogits = ops.mul(
      dLogitsRaw,
      tf.tensor2d(
        weights.map((v) => v / n),
        [n, 1],
      ),
    );
    grads.set("predictions/kernel", ops.matMul(pooled, dLogits, true, false));
    grads.set("predictions/bias", ops.biasAddGrad(dLogits));
    let dPooled = ops.matMul(dLogits, w.get("predictions/kernel") as Tensor, false, true);
    if (batch.dropoutMask) dPooled = ops.mul(dPooled, batch.dropoutMask);
    const [fn, fh, fw, fc] = featureShape;
    const scaled = ops.mul(dPooled, tf.scalar(1 / (fh * fw)));
    let dh = ops.broadcastTo(
      ops.reshape(scaled, this.shape([fn, 1, 1, fc])),
      this.shape([fn, fh, fw, fc]),
    );

    // Walk the tape backwards; residual blocks add their incoming gradient to the path's.
    let t = tape.length - 1;
    const back = (needInput: boolean): Tensor | undefined => {
      const rec = tape[t--] as UnitTape;
      const dy = rec.unit.relu ? ops.relu6Grad(dh, rec.out) : dh;
      const [dPre, dGamma, dBeta] = ops.batchNormGrad(
        dy,
        rec.preBn,
        rec.gamma,
        rec.reserve,
        BN_EPSILON,
      );
      grads.set(`${rec.unit.bn}/gamma`, dGamma);
      grads.set(`${rec.unit.bn}/beta`, dBeta);
      const kShape = this.shape(rec.kernel.shape);
      const xShape = this.shape(rec.input.shape);
      const s = rec.unit.stride;
      if (rec.unit.depthwise) {
        grads.set(
          this.kernelKey(rec.unit),
          ops.depthwiseBackpropFilter(rec.input, kShape, dPre, s),
        );
        return needInput ? ops.depthwiseBackpropInput(xShape, rec.kernel, dPre, s) : undefined;
      }
      grads.set(this.kernelKey(rec.unit), ops.conv2dBackpropFilter(rec.input, kShape, dPre, s));
      return needInput ? ops.conv2dBackpropInput(xShape, rec.kernel, dPre, s) : undefined;
    };
    dh = back(true) as Tensor; // Conv_1
    for (let b = this.plan.blocks.length - 1; b >= 0; b--) {
      const block = this.plan.blocks[b]!;
      const dOut = dh;
      dh = back(true) as Tensor; // project
      dh = back(true) as Tensor; // depthwise
      if (block.expandChannels !== undefined) dh = back(true) as Tensor;
      if (block.residual) dh = ops.add(dh, dOut);
    }
    back(false); // Conv1: the input image needs no gradient
    return { loss, accuracy, grads };
  }

  private matches(logits: Tensor, targets: Tensor): number {
    const k = this.numClasses;
    const l = logits.dataSync();
    const y = targets.dataSync();
    let hits = 0;
    for (let i = 0; i < l.length / k; i++) {
      let pi = 0;
      let ti = 0;
      for (let j = 1; j < k; j++) {
        if ((l[i * k + j] as number) > (l[i * k + pi] as number)) pi = j;
        if ((y[i * k + j] as number) > (y[i * k + ti] as number)) ti = j;
      }
      if (pi === ti) hits++;
    }
    return hits;
  }

  /** One Adam step on a batch: forward, backward, one fused update per weight. */
  trainStep(batch: TrainBatch): StepResult {
    return this.tf.tidy(() => {
      const { loss, accuracy, grads } = this.lossAndGrads(batch);
      this.applyGradients(grads, batch.learningRate);
      return { loss, accuracy };
    });
  }

  /** One Adam update (and EMA update) with given gradients, keyed as `gradients` returns them. */
  applyGradients(grads: Gradients, learningRate: number): void {
    const { tf, ops } = this;
    this.version++;
    tf.tidy(() => {
      this.adamStep++;
      const { beta1, beta2, epsilon } = this.adam;
      const scalars = [
        beta1 ** this.adamStep,
        beta2 ** this.adamStep,
        learningRate,
        beta1,
        beta2,
        epsilon,
      ].map((v) => tf.scalar(v));
      for (const [key, handle] of this.vars) {
        const g = grads.get(key);
        if (!g) throw new Error(`fused MobileNetV2: no gradient for ${key}`);
        ops.applyAdam(
          handle,
          this.adamM.get(key) as Tensor,
          this.adamV.get(key) as Tensor,
          scalars,
          g,
        );
      }
      if (this.ema.size > 0) this.updateEma();
    });
  }

  /** The trainable weights' names and shapes, in a fixed order (the layout of a flat gradient buffer). */
  weightLayout(): { key: string; shape: number[]; size: number; offset: number }[] {
    let offset = 0;
    return [...this.vars.keys()].map((key) => {
      const shape = this.varShapes.get(key) as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const entry = { key, shape, size, offset };
      offset += size;
      return entry;
    });
  }

  /** Current values of the trainable weights (or of their moving average), as plain arrays. */
  trainableValues(which: "weights" | "ema" = "weights"): Map<string, Float32Array> {
    const source = which === "ema" ? this.ema : this.vars;
    if (source.size === 0) throw new Error(`fused MobileNetV2: no ${which} to read`);
    const out = new Map<string, Float32Array>();
    for (const [key, handle] of source) {
      const t = this.ops.read(handle);
      out.set(key, t.dataSync() as Float32Array);
      t.dispose();
    }
    return out;
  }

  /** Overwrites the trainable weights (not Adam's moments, not BN statistics). */
  setTrainableValues(values: Map<string, Float32Array>): void {
    this.version++;
    this.tf.tidy(() => {
      for (const [key, handle] of this.vars) {
        const v = values.get(key);
        if (!v) throw new Error(`fused MobileNetV2: no value for ${key}`);
        this.ops.assign(handle, this.tf.tensor(v, this.varShapes.get(key)));
      }
    });
  }

  /**
   * Keeps an exponential moving average of the weights from now on (Polyak averaging), with
   * TensorFlow's warm-up: the decay is min(decay, (1 + t) / (10 + t)) at update t, so the
   * average is not stuck near the initial weights for the first thousand steps.
   */
  enableEma(decay: number): void {
    if (!(decay > 0 && decay < 1)) throw new Error(`EMA decay must be in (0, 1), got ${decay}`);
    this.emaDecay = decay;
    if (this.ema.size > 0) return;
    for (const [key, handle] of this.vars) {
      const value = this.ops.read(handle);
      this.ema.set(key, this.tf.keep(this.ops.variable(value)));
      value.dispose();
    }
  }

  /** ema -= (1 - decay) * (ema - w) for every weight: 4 kernels each. */
  private updateEma(): void {
    const t = this.emaUpdates++;
    const decay = Math.min(this.emaDecay, (1 + t) / (10 + t));
    const alpha = this.tf.scalar(1 - decay);
    for (const [key, handle] of this.vars) {
      const avg = this.ema.get(key) as Tensor;
      this.ops.applyGradientDescent(
        avg,
        alpha,
        this.ops.sub(this.ops.read(avg), this.ops.read(handle)),
      );
    }
  }

  /** Puts the averaged weights in place of the trained ones (BN statistics untouched). */
  loadEma(): void {
    this.version++;
    if (this.ema.size === 0) throw new Error("fused MobileNetV2: loadEma() without enableEma()");
    this.tf.tidy(() => {
      for (const [key, handle] of this.vars)
        this.ops.assign(handle, this.ops.read(this.ema.get(key) as Tensor));
    });
  }

  /**
   * Softmax outputs in inference mode (moving statistics, no dropout): [N, K]. Batch norm
   * is folded into each convolution (w * gamma / sqrt(var + eps), and a bias), as the
   * .tflite writer and Keras' graph optimiser do: a BiasAdd costs a third of an inference
   * FusedBatchNormV3 on the wide expand layers here. The folded weights are computed once
   * per change of the weights.
   */
  predict(x: Tensor): Tensor {
    const { kernels, biases } = this.foldedWeights();
    const { ops } = this;
    return this.tf.tidy(() => {
      let unitIndex = 0;
      const next = (input: Tensor): Tensor => {
        const u = this.units[unitIndex++] as Unit;
        const y = ops.biasAdd(
          this.convForward(u, input, kernels.get(u.conv) as Tensor),
          biases.get(u.conv) as Tensor,
        );
        return u.relu ? ops.relu6(y) : y;
      };
      let h = next(x);
      for (const block of this.plan.blocks) {
        const input = h;
        if (block.expandChannels !== undefined) h = next(h);
        h = next(next(h));
        if (block.residual) h = ops.add(input, h);
      }
      const pooled = ops.spatialMean(next(h), this.shape([1, 2]));
      const w = this.readAll();
      return ops.softmax(
        ops.biasAdd(
          ops.matMul(pooled, w.get("predictions/kernel") as Tensor),
          w.get("predictions/bias") as Tensor,
        ),
      );
    });
  }

  private foldedWeights(): { kernels: Map<string, Tensor>; biases: Map<string, Tensor> } {
    if (this.folded?.version === this.version) return this.folded;
    if (this.folded)
      this.tf.dispose([...this.folded.kernels.values(), ...this.folded.biases.values()]);
    const { tf } = this;
    const kernels = new Map<string, Tensor>();
    const biases = new Map<string, Tensor>();
    tf.tidy(() => {
      const w = this.readAll();
      for (const u of this.units) {
        const m = this.moving.get(u.bn) as { mean: Tensor; variance: Tensor };
        const scale = tf.div(
          w.get(`${u.bn}/gamma`) as Tensor,
          tf.sqrt(tf.add(m.variance, BN_EPSILON)),
        );
        const kernel = w.get(this.kernelKey(u)) as Tensor;
        // Output channels: the last axis of a conv kernel [kh, kw, in, out], axis 2 of a depthwise one [kh, kw, c, 1].
        const perChannel = u.depthwise ? tf.reshape(scale, [1, 1, -1, 1]) : scale;
        kernels.set(u.conv, tf.keep(tf.mul(kernel, perChannel)));
        biases.set(u.conv, tf.keep(tf.sub(w.get(`${u.bn}/beta`) as Tensor, tf.mul(m.mean, scale))));
      }
    });
    this.folded = { version: this.version, kernels, biases };
    return this.folded;
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
        this.forward(x, this.readAll(), { avgFactor: factor });
      });
      b++;
    }
  }

  /** A copy of every weight and statistic, for keeping the best epoch. */
  snapshot(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [key, handle] of this.vars) out.set(key, this.tf.keep(this.ops.read(handle)));
    for (const [bn, m] of this.moving) {
      out.set(`${bn}/moving_mean`, this.tf.keep(m.mean.clone()));
      out.set(`${bn}/moving_variance`, this.tf.keep(m.variance.clone()));
    }
    return out;
  }

  /** Puts a snapshot's values back (the snapshot stays the caller's). */
  restore(snap: Map<string, Tensor>): void {
    this.version++;
    for (const [key, handle] of this.vars) this.ops.assign(handle, snap.get(key) as Tensor);
    for (const bn of this.moving.keys()) {
      const old = this.moving.get(bn)!;
      this.tf.dispose([old.mean, old.variance]);
      this.moving.set(bn, {
        mean: this.tf.keep((snap.get(`${bn}/moving_mean`) as Tensor).clone()),
        variance: this.tf.keep((snap.get(`${bn}/moving_variance`) as Tensor).clone()),
      });
    }
  }

  /** Writes the current weights and moving statistics into the tfjs-layers model. */
  writeTo(model: tfn.LayersModel): void {
    const snap = this.snapshot();
    try {
      for (const u of this.units) {
        model.getLayer(u.conv).setWeights([snap.get(this.kernelKey(u)) as Tensor]);
        model
          .getLayer(u.bn)
          .setWeights(
            ["gamma", "beta", "moving_mean", "moving_variance"].map(
              (p) => snap.get(`${u.bn}/${p}`) as Tensor,
            ),
          );
      }
      model
        .getLayer("predictions")
        .setWeights([
          snap.get("predictions/kernel") as Tensor,
          snap.get("predictions/bias") as Tensor,
        ]);
    } finally {
      this.tf.dispose([...snap.values()]);
    }
  }

  dispose(): void {
    this.tf.dispose([
      ...this.vars.values(),
      ...this.adamM.values(),
      ...this.adamV.values(),
      ...this.ema.values(),
      ...this.shapes.values(),
    ]);
    if (this.folded)
      this.tf.dispose([...this.folded.kernels.values(), ...this.folded.biases.values()]);
    this.folded = undefined;
    this.ema.clear();
    for (const m of this.moving.values()) this.tf.dispose([m.mean, m.variance]);
    this.vars.clear();
    this.moving.clear();
    this.shapes.clear();
  }
}
