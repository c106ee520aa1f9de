/**
 * The fused MobileNetV2's state as native resources: the trainable weights (resource
 * variables, in a fixed order), Adam's moments, an optional moving average of the weights
 * and each batch norm's moving statistics. Loaded from the tfjs-layers model and written
 * back into it (`writeTo`); updated by one `ResourceApplyAdam` per weight; snapshotted
 * and restored for keeping the best epoch.
 */
import type * as tfn from "@tensorflow/tfjs";
import { type AdamOptions, type Gradients, kernelKey, type Unit } from "./fused-net.ts";
import type { Tensor, TF } from "./native-kernels.ts";
import type { NativeOps } from "./native-ops.ts";

/** A batch norm's moving mean and variance: plain tensors, replaced each training step. */
export interface MovingStatistics {
  mean: Tensor;
  variance: Tensor;
}

/** Weights, optimiser state and BN statistics of one fused network. */
export class FusedWeights {
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
  /** Moving mean/variance per BN layer. */
  private readonly moving = new Map<string, MovingStatistics>();
  private readonly adam: Required<AdamOptions>;
  private adamStep = 0;
  private changes = 0;

  constructor(
    private readonly tf: TF,
    private readonly ops: NativeOps,
    private readonly units: readonly Unit[],
    model: tfn.LayersModel,
    adam: AdamOptions,
  ) {
    this.adam = {
      beta1: adam.beta1 ?? 0.9,
      beta2: adam.beta2 ?? 0.999,
      epsilon: adam.epsilon ?? 1e-7,
    };
    this.load(model);
  }

  /** Bumped by every change of weights or BN statistics; the folded inference weights follow it. */
  get version(): number {
    return this.changes;
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
      this.addVar(kernelKey(u), kernel as Tensor);
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

  /** The current value of every trainable weight, keyed as the gradients are. */
  readAll(): Map<string, Tensor> {
    const w = new Map<string, Tensor>();
    for (const [key, handle] of this.vars) w.set(key, this.ops.read(handle));
    return w;
  }

  /** A BN layer's moving statistics. */
  movingOf(bn: string): MovingStatistics {
    return this.moving.get(bn) as MovingStatistics;
  }

  /** Replaces a BN layer's moving statistics (disposing the old, keeping the new). */
  setMoving(bn: string, next: MovingStatistics): void {
    const old = this.movingOf(bn);
    this.tf.dispose([old.mean, old.variance]);
    this.moving.set(bn, { mean: this.tf.keep(next.mean), variance: this.tf.keep(next.variance) });
    this.changes++;
  }

  /** One Adam update (and EMA update) with given gradients, keyed as `readAll` keys weights. */
  applyGradients(grads: Gradients, learningRate: number): void {
    const { tf, ops } = this;
    this.changes++;
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
    this.changes++;
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
    this.changes++;
    if (this.ema.size === 0) throw new Error("fused MobileNetV2: loadEma() without enableEma()");
    this.tf.tidy(() => {
      for (const [key, handle] of this.vars)
        this.ops.assign(handle, this.ops.read(this.ema.get(key) as Tensor));
    });
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
    this.changes++;
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
        model.getLayer(u.conv).setWeights([snap.get(kernelKey(u)) as Tensor]);
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
    ]);
    this.ema.clear();
    for (const m of this.moving.values()) this.tf.dispose([m.mean, m.variance]);
    this.vars.clear();
    this.moving.clear();
  }
}
