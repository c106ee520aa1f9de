/**
 * Each supported layer as TFLite ops, for the walk of graph.ts: weights moved into
 * TFLite's layouts, BatchNorm folded into the conv before it, ReLU/ReLU6 fused into the op
 * before it, Dropout dropped (inference), GlobalAveragePooling2D as MEAN over H and W, and
 * a softmax Dense split into FULLY_CONNECTED (logits) + SOFTMAX.
 */
import { foldBatchNorm } from "./fold.ts";
import type { LayerStep } from "./graph-builder.ts";
import { FUSABLE_OPS, type IrOptions, type IrTensor } from "./ir.ts";
import { activationOf, checkChannelsLast, pair, reluOf, UnsupportedLayerError } from "./layers.ts";

/** Conv2D or DepthwiseConv2D as CONV_2D or DEPTHWISE_CONV_2D. */
export function convertConv(s: LayerStep, depthwise: boolean): void {
  const { layer, cfg, weights } = s;
  checkChannelsLast(layer, cfg);
  const kernel = weights[depthwise ? "depthwise_kernel" : "kernel"];
  if (!kernel) throw new UnsupportedLayerError(layer, "it has no kernel weight");
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  // TF.js [kh, kw, in, out] -> CONV_2D [out, kh, kw, in]; depthwise [kh, kw, in, mult]
  // is already [1, kh, kw, in*mult] in memory (channel o = i*mult + m).
  const filter: IrTensor = depthwise
    ? {
        name: `${layer.name}/filter`,
        shape: [1, kh, kw, cin * cout],
        dtype: "float32",
        data: kernel.data,
        channelAxis: 3,
      }
    : {
        name: `${layer.name}/filter`,
        shape: [cout, kh, kw, cin],
        dtype: "float32",
        data: transpose(kernel.data, [kh, kw, cin, cout], [3, 0, 1, 2]),
        channelAxis: 0,
      };
  const channels = depthwise ? cin * cout : cout;
  const bias = weights.bias?.data ?? new Float32Array(channels);
  const [sh, sw] = pair(cfg.strides);
  const [dh, dw] = pair(cfg.dilationRate ?? 1);
  const padding = cfg.padding === "same" ? "SAME" : cfg.padding === "valid" ? "VALID" : undefined;
  if (!padding)
    throw new UnsupportedLayerError(
      layer,
      `padding "${String(cfg.padding)}" has no TFLite equivalent (use "same" or "valid")`,
    );
  const options: IrOptions = depthwise
    ? {
        kind: "depthwise",
        padding,
        strideH: sh,
        strideW: sw,
        dilationH: dh,
        dilationW: dw,
        depthMultiplier: cout,
      }
    : { kind: "conv", padding, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw };
  s.emitWeighted(
    depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D",
    filter,
    bias,
    options,
    activationOf(layer, cfg.activation),
  );
}

/** Dense as FULLY_CONNECTED, and a SOFTMAX after it when it is a softmax Dense. */
export function convertDense(s: LayerStep): void {
  const { layer, cfg, weights, ins } = s;
  const kernel = weights.kernel;
  if (!kernel || ins[0]!.shape.length !== 2)
    throw new UnsupportedLayerError(
      layer,
      "only a Dense on a flat [batch, features] input is supported",
    );
  const [cin, cout] = kernel.shape as [number, number];
  const w: IrTensor = {
    name: `${layer.name}/weights`,
    shape: [cout, cin],
    dtype: "float32",
    data: transpose(kernel.data, [cin, cout], [1, 0]),
    channelAxis: 0,
  };
  const softmax = cfg.activation === "softmax";
  s.emitWeighted(
    "FULLY_CONNECTED",
    w,
    weights.bias?.data ?? new Float32Array(cout),
    { kind: "fullyConnected" },
    softmax ? "NONE" : activationOf(layer, cfg.activation),
  );
  if (softmax) s.emitSoftmax();
}

/** BatchNormalization folded into the conv or Dense whose output only it reads. */
export function convertBatchNorm(s: LayerStep): void {
  const { g, layer, cfg, weights, ins, out } = s;
  const axis = cfg.axis;
  if (axis !== -1 && axis !== out.shape.length - 1)
    throw new UnsupportedLayerError(
      layer,
      `only channel-last BatchNorm (axis -1) folds, got axis ${String(axis)}`,
    );
  const target = g.foldTarget(ins[0]!);
  if (
    !target ||
    !["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"].includes(target.op) ||
    target.activation !== "NONE"
  ) {
    throw new UnsupportedLayerError(
      layer,
      "BatchNorm only folds when it directly follows a Conv2D, DepthwiseConv2D or Dense without activation whose output nothing else reads",
    );
  }
  foldBatchNorm(
    g.tensors,
    target,
    {
      gamma: weights.gamma?.data,
      beta: weights.beta?.data,
      mean: weights.moving_mean?.data,
      variance: weights.moving_variance?.data,
      epsilon: Number(cfg.epsilon ?? 1e-3),
    },
    layer.name,
  );
  g.alias(out, s.inputIdx(), layer.name);
}

/** ReLU or Activation: fused into the op before it where it can be, else an op of its own. */
export function convertActivation(s: LayerStep): void {
  const { g, layer, cfg, ins, out } = s;
  const act =
    s.type === "ReLU"
      ? reluOf(layer, cfg)
      : cfg.activation === "softmax"
        ? "SOFTMAX"
        : activationOf(layer, cfg.activation);
  if (act === "SOFTMAX") {
    g.valueOf.set(out.id, s.inputIdx());
    s.emitSoftmax();
    return;
  }
  const target = g.foldTarget(ins[0]!);
  if (act === "NONE") g.alias(out, s.inputIdx(), layer.name);
  else if (target && FUSABLE_OPS.has(target.op) && target.activation === "NONE") {
    target.activation = act;
    g.alias(out, s.inputIdx(), layer.name);
  } else {
    const o = g.activationTensor(layer.name, out);
    g.emit({
      op: act,
      inputs: [s.inputIdx()],
      outputs: [o],
      options: { kind: "none" },
      activation: "NONE",
      layers: [layer.name],
    });
    g.valueOf.set(out.id, o);
  }
}

/** Add of any number of inputs as a chain of two-operand ADDs. */
export function convertAdd(s: LayerStep): void {
  const { g, layer, ins, out } = s;
  // TFLite ADD takes two operands: chain a + b + c as (a + b) + c.
  let acc = s.inputIdx(0);
  for (let i = 1; i < ins.length; i++) {
    const o = g.activationTensor(i === ins.length - 1 ? layer.name : `${layer.name}/${i}`, out);
    g.emit({
      op: "ADD",
      inputs: [acc, s.inputIdx(i)],
      outputs: [o],
      options: { kind: "add" },
      activation: "NONE",
      layers: [layer.name],
    });
    acc = o;
  }
  g.valueOf.set(out.id, acc);
}

/** GlobalAveragePooling2D as MEAN over H and W. */
export function convertGlobalAveragePooling(s: LayerStep): void {
  const { g, layer, cfg, out } = s;
  checkChannelsLast(layer, cfg);
  if (cfg.keepDims === true)
    throw new UnsupportedLayerError(layer, "keepDims: true is not supported");
  const axes = g.addTensor({
    name: `${layer.name}/axes`,
    shape: [2],
    dtype: "int32",
    data: Int32Array.from([1, 2]),
  });
  const o = g.activationTensor(layer.name, out);
  g.emit({
    op: "MEAN",
    inputs: [s.inputIdx(), axes],
    outputs: [o],
    options: { kind: "mean", keepDims: false },
    activation: "NONE",
    layers: [layer.name],
  });
  g.valueOf.set(out.id, o);
}

/** Row-major transpose: output axis i is input axis `perm[i]`. */
export function transpose(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const stridesByOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i]! * stridesByOut[i]!;
    out[o] = data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = idx[i]! + 1;
      if (idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}
