/**
 * The fused MobileNetV2's training-mode passes (fused-mobilenet.ts). The forward pass
 * normalises with batch statistics, advances the BN moving averages through the batch-norm
 * kernel itself and keeps what each layer's gradient needs; the backward pass is written
 * out with the kernels TensorFlow's own gradients use (`FusedBatchNormGradV3`,
 * `Conv2DBackpropInput/Filter`, `DepthwiseConv2dNativeBackpropInput/Filter`, `Relu6Grad`).
 *
 * The loss is the weighted softmax cross-entropy `sum_i w_i * CE(target_i, logits_i) / N`
 * over soft targets, so label smoothing and mixup are just other targets and class
 * weighting is `w_i`.
 */
import type { MobileNetV2Plan } from "./mobilenet-v2.ts";
import {
  BN_EPSILON,
  type Gradients,
  kernelKey,
  type ShapeTensors,
  type TrainBatch,
  type Unit,
} from "./fused-net.ts";
import type { FusedWeights } from "./fused-weights.ts";
import type { Tensor, TF } from "./native-kernels.ts";
import type { NativeOps } from "./native-ops.ts";

/** What the passes run on: the backend, its kernels, the units and the weights. */
export interface FusedNet {
  tf: TF;
  ops: NativeOps;
  plan: MobileNetV2Plan;
  units: readonly Unit[];
  weights: FusedWeights;
  shapes: ShapeTensors;
  numClasses: number;
  /** BN moving statistics follow this momentum exactly as the layers model's do. */
  bnMomentum: number;
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

/** A unit's convolution, plain or depthwise. */
export function convForward(net: FusedNet, u: Unit, x: Tensor, kernel: Tensor): Tensor {
  return u.depthwise
    ? net.ops.depthwiseConv2d(x, kernel, u.stride)
    : net.ops.conv2d(x, kernel, u.stride);
}

/**
 * The training-mode forward pass: batch statistics, moving averages advanced with factor
 * `avgFactor`, and a tape for the backward pass. Returns logits.
 */
export function trainingForward(
  net: FusedNet,
  x: Tensor,
  w: Map<string, Tensor>,
  mode: { avgFactor: number; dropoutMask?: Tensor },
) {
  const { ops, weights } = net;
  const tape: UnitTape[] = [];
  const runUnit = (u: Unit, input: Tensor): Tensor => {
    const kernel = w.get(kernelKey(u)) as Tensor;
    const gamma = w.get(`${u.bn}/gamma`) as Tensor;
    const beta = w.get(`${u.bn}/beta`) as Tensor;
    const moving = weights.movingOf(u.bn);
    const preBn = convForward(net, u, input, kernel);
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
    weights.setMoving(u.bn, { mean: bn.mean, variance: bn.variance });
    const out = u.relu ? ops.relu6(bn.y) : bn.y;
    tape.push({ unit: u, input, preBn, reserve: bn.reserve, out, kernel, gamma });
    return out;
  };
  let unitIndex = 0;
  const next = (input: Tensor) => runUnit(net.units[unitIndex++] as Unit, input);
  let h = next(x);
  for (const block of net.plan.blocks) {
    const input = h;
    if (block.expandChannels !== undefined) h = next(h);
    h = next(h);
    h = next(h);
    if (block.residual) h = ops.add(input, h);
  }
  const features = next(h);
  const [n, fh, fw, c] = features.shape as [number, number, number, number];
  let pooled = ops.spatialMean(features, net.shapes.get([1, 2]));
  if (mode.dropoutMask) pooled = ops.mul(pooled, mode.dropoutMask);
  const logits = ops.biasAdd(
    ops.matMul(pooled, w.get("predictions/kernel") as Tensor),
    w.get("predictions/bias") as Tensor,
  );
  return { logits, tape, pooled, featureShape: [n, fh, fw, c] as const };
}

/**
 * Loss, accuracy and every weight's gradient of one batch; nothing but the BN moving
 * statistics changes. Run it inside a tidy: every tensor it makes is the caller's.
 */
export function lossAndGrads(
  net: FusedNet,
  batch: Omit<TrainBatch, "learningRate">,
): { loss: number; accuracy: number; grads: Gradients } {
  const { ops, tf, shapes } = net;
  const w = net.weights.readAll();
  const n = batch.x.shape[0] as number;
  const { logits, tape, pooled, featureShape } = trainingForward(net, batch.x, w, {
    avgFactor: 1 - net.bnMomentum,
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
  const accuracy = matches(net.numClasses, logits, batch.targets) / n;

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
    ops.reshape(scaled, shapes.get([fn, 1, 1, fc])),
    shapes.get([fn, fh, fw, fc]),
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
    const kShape = shapes.get(rec.kernel.shape);
    const xShape = shapes.get(rec.input.shape);
    const s = rec.unit.stride;
    if (rec.unit.depthwise) {
      grads.set(kernelKey(rec.unit), ops.depthwiseBackpropFilter(rec.input, kShape, dPre, s));
      return needInput ? ops.depthwiseBackpropInput(xShape, rec.kernel, dPre, s) : undefined;
    }
    grads.set(kernelKey(rec.unit), ops.conv2dBackpropFilter(rec.input, kShape, dPre, s));
    return needInput ? ops.conv2dBackpropInput(xShape, rec.kernel, dPre, s) : undefined;
  };
  dh = back(true) as Tensor; // Conv_1
  for (let b = net.plan.blocks.length - 1; b >= 0; b--) {
    const block = net.plan.blocks[b]!;
    const dOut = dh;
    dh = back(true) as Tensor; // project
    dh = back(true) as Tensor; // depthwise
    if (block.expandChannels !== undefined) dh = back(true) as Tensor;
    if (block.residual) dh = ops.add(dh, dOut);
  }
  back(false); // Conv1: the input image needs no gradient
  return { loss, accuracy, grads };
}

/** How many rows of `logits` have their argmax where their target has its own. */
function matches(k: number, logits: Tensor, targets: Tensor): number {
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
