/**
 * Walks a functional TF.js LayersModel into the writer's graph (ir.ts): weights moved into
 * TFLite's layouts, BatchNorm folded into the conv before it, ReLU/ReLU6 fused into the
 * op before it, Dropout dropped (inference), GlobalAveragePooling2D as MEAN over H and W,
 * and a softmax Dense split into FULLY_CONNECTED (logits) + SOFTMAX. Any other layer is an
 * error naming the layer and its type: a silently wrong .tflite is worse than none.
 */
import type { LayersModel } from "@tensorflow/tfjs-node";
import { foldBatchNorm } from "./fold.ts";
import { FUSABLE_OPS, type IrGraph, type IrOp, type IrOptions, type IrTensor } from "./ir.ts";
import type { ActivationName } from "./schema.ts";

/** Layer types the writer can express. */
export const SUPPORTED_LAYERS = [
  "InputLayer",
  "Conv2D",
  "DepthwiseConv2D",
  "BatchNormalization",
  "ReLU",
  "Activation",
  "Add",
  "GlobalAveragePooling2D",
  "Dropout",
  "Dense",
] as const;

/** The parts of tfjs-layers' internals the walk reads (not in its public types). */
interface SymTensor {
  id: number;
  shape: (number | null)[];
}
interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  inboundNodes: { inputTensors: SymTensor[]; outputTensors: SymTensor[] }[];
  weights: {
    name: string;
    originalName?: string;
    shape: number[];
    read(): { dataSync(): ArrayLike<number> };
  }[];
}

/** Signature names of the image input and the two outputs. */
export const TENSOR_NAMES = {
  input: "image",
  probabilities: "probabilities",
  logits: "logits",
} as const;

/** Thrown when a model holds a layer (or layer setting) TFLite output cannot express. */
export class UnsupportedLayerError extends Error {
  constructor(layer: LayerLike, why: string) {
    super(
      `cannot write layer "${layer.name}" (type ${layer.getClassName()}) to .tflite: ${why}. ` +
        `The writer supports ${SUPPORTED_LAYERS.join(", ")}; replace the layer or extend worker/tflite/graph.ts.`,
    );
    this.name = "UnsupportedLayerError";
  }
}

/** Converts a single-input, single-output TF.js model into the writer's graph. */
export function modelToGraph(model: LayersModel): IrGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `the .tflite writer needs one input and one output; model "${model.name}" has ${model.inputs.length} and ${model.outputs.length}`,
    );
  }
  const layers = model.layers as unknown as LayerLike[];
  const tensors: IrTensor[] = [];
  const ops: IrOp[] = [];
  const valueOf = new Map<number, number>(); // TF.js symbolic tensor id -> IR tensor index
  const producer = new Map<number, IrOp>(); // IR tensor index -> op writing it
  const consumers = new Map<number, number>(); // symbolic tensor id -> how many layers read it
  for (const l of layers)
    for (const n of l.inboundNodes)
      for (const t of n.inputTensors) consumers.set(t.id, (consumers.get(t.id) ?? 0) + 1);
  const outputId = (model.outputs[0] as unknown as SymTensor).id;

  const addTensor = (t: IrTensor): number => tensors.push(t) - 1;
  const activationTensor = (name: string, sym: SymTensor): number =>
    addTensor({ name, shape: sym.shape.map((d) => d ?? 1), dtype: "float32" });
  const emit = (op: IrOp): void => {
    ops.push(op);
    for (const o of op.outputs) producer.set(o, op);
  };
  /** The op that alone produces `sym`, if a BN or activation may be folded into it. */
  const foldTarget = (sym: SymTensor): IrOp | undefined => {
    if ((consumers.get(sym.id) ?? 0) !== 1 || sym.id === outputId) return undefined;
    const idx = valueOf.get(sym.id);
    return idx === undefined ? undefined : producer.get(idx);
  };

  for (const layer of layers) {
    const type = layer.getClassName();
    const cfg = layer.getConfig();
    if (layer.inboundNodes.length !== 1)
      throw new UnsupportedLayerError(layer, "it is shared (applied more than once)");
    const node = layer.inboundNodes[0]!;
    const ins = node.inputTensors;
    const out = node.outputTensors[0]!;
    const inputIdx = (i = 0): number => {
      const v = valueOf.get(ins[i]!.id);
      if (v === undefined)
        throw new UnsupportedLayerError(
          layer,
          "its input comes from a layer the writer did not convert",
        );
      return v;
    };
    const weights = weightsOf(layer);

    switch (type) {
      case "InputLayer": {
        const shape = out.shape.slice(1);
        if (shape.length !== 3 || shape.some((d) => d === null))
          throw new UnsupportedLayerError(
            layer,
            `the input must be a fixed [H, W, C] image, got [${shape.join(", ")}]`,
          );
        valueOf.set(
          out.id,
          addTensor({
            name: TENSOR_NAMES.input,
            shape: [1, ...(shape as number[])],
            dtype: "float32",
          }),
        );
        break;
      }
      case "Conv2D":
      case "DepthwiseConv2D": {
        const depthwise = type === "DepthwiseConv2D";
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
        const padding =
          cfg.padding === "same" ? "SAME" : cfg.padding === "valid" ? "VALID" : undefined;
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
        emitWeighted(
          depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D",
          filter,
          bias,
          options,
          activationOf(layer, cfg.activation),
        );
        break;
      }
      case "Dense": {
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
        emitWeighted(
          "FULLY_CONNECTED",
          w,
          weights.bias?.data ?? new Float32Array(cout),
          { kind: "fullyConnected" },
          softmax ? "NONE" : activationOf(layer, cfg.activation),
        );
        if (softmax) emitSoftmax();
        break;
      }
      case "BatchNormalization": {
        const axis = cfg.axis;
        if (axis !== -1 && axis !== out.shape.length - 1)
          throw new UnsupportedLayerError(
            layer,
            `only channel-last BatchNorm (axis -1) folds, got axis ${String(axis)}`,
          );
        const target = foldTarget(ins[0]!);
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
          tensors,
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
        alias(out, inputIdx(), layer.name);
        break;
      }
      case "ReLU":
      case "Activation": {
        const act =
          type === "ReLU"
            ? reluOf(layer, cfg)
            : cfg.activation === "softmax"
              ? "SOFTMAX"
              : activationOf(layer, cfg.activation);
        if (act === "SOFTMAX") {
          valueOf.set(out.id, inputIdx());
          emitSoftmax();
          break;
        }
        const target = foldTarget(ins[0]!);
        if (act === "NONE") alias(out, inputIdx(), layer.name);
        else if (target && FUSABLE_OPS.has(target.op) && target.activation === "NONE") {
          target.activation = act;
          alias(out, inputIdx(), layer.name);
        } else {
          const o = activationTensor(layer.name, out);
          emit({
            op: act,
            inputs: [inputIdx()],
            outputs: [o],
            options: { kind: "none" },
            activation: "NONE",
            layers: [layer.name],
          });
          valueOf.set(out.id, o);
        }
        break;
      }
      case "Add": {
        // TFLite ADD takes two operands: chain a + b + c as (a + b) + c.
        let acc = inputIdx(0);
        for (let i = 1; i < ins.length; i++) {
          const o = activationTensor(i === ins.length - 1 ? layer.name : `${layer.name}/${i}`, out);
          emit({
            op: "ADD",
            inputs: [acc, inputIdx(i)],
            outputs: [o],
            options: { kind: "add" },
            activation: "NONE",
            layers: [layer.name],
          });
          acc = o;
        }
        valueOf.set(out.id, acc);
        break;
      }
      case "GlobalAveragePooling2D": {
        checkChannelsLast(layer, cfg);
        if (cfg.keepDims === true)
          throw new UnsupportedLayerError(layer, "keepDims: true is not supported");
        const axes = addTensor({
          name: `${layer.name}/axes`,
          shape: [2],
          dtype: "int32",
          data: Int32Array.from([1, 2]),
        });
        const o = activationTensor(layer.name, out);
        emit({
          op: "MEAN",
          inputs: [inputIdx(), axes],
          outputs: [o],
          options: { kind: "mean", keepDims: false },
          activation: "NONE",
          layers: [layer.name],
        });
        valueOf.set(out.id, o);
        break;
      }
      case "Dropout":
        valueOf.set(out.id, inputIdx()); // identity at inference
        break;
      default:
        throw new UnsupportedLayerError(
          layer,
          "this layer type has no TFLite mapping in the writer",
        );
    }

    function emitWeighted(
      op: "CONV_2D" | "DEPTHWISE_CONV_2D" | "FULLY_CONNECTED",
      w: IrTensor,
      bias: Float32Array,
      options: IrOptions,
      activation: ActivationName,
    ): void {
      const wi = addTensor(w);
      const bi = addTensor({
        name: `${layer.name}/bias`,
        shape: [bias.length],
        dtype: "float32",
        data: Float32Array.from(bias),
      });
      const o = activationTensor(layer.name, out);
      emit({
        op,
        inputs: [inputIdx(), wi, bi],
        outputs: [o],
        options,
        activation,
        layers: [layer.name],
      });
      valueOf.set(out.id, o);
    }
    function emitSoftmax(): void {
      const logits = valueOf.get(out.id)!;
      const o = activationTensor(`${layer.name}/softmax`, out);
      emit({
        op: "SOFTMAX",
        inputs: [logits],
        outputs: [o],
        options: { kind: "softmax", beta: 1 },
        activation: "NONE",
        layers: [layer.name],
      });
      valueOf.set(out.id, o);
    }
  }

  /** Maps a folded layer's output onto the tensor it was folded into, renaming it. */
  function alias(out: SymTensor, idx: number, name: string): void {
    valueOf.set(out.id, idx);
    const t = tensors[idx]!;
    t.name = name;
    producer.get(idx)?.layers.push(name);
  }

  return finish(model, tensors, ops, valueOf.get(outputId), producer);
}

/** Names the graph's outputs: the final SOFTMAX and the logits feeding it. */
function finish(
  model: LayersModel,
  tensors: IrTensor[],
  ops: IrOp[],
  output: number | undefined,
  producer: Map<number, IrOp>,
): IrGraph {
  const last = output === undefined ? undefined : producer.get(output);
  if (output === undefined || last?.op !== "SOFTMAX") {
    throw new Error(
      `model "${model.name}" must end in a softmax (Dense with activation "softmax") so the .tflite has probabilities and logits outputs`,
    );
  }
  const logits = last.inputs[0]!;
  tensors[output]!.name = TENSOR_NAMES.probabilities;
  tensors[logits]!.name = TENSOR_NAMES.logits;
  return { tensors, ops, input: 0, probabilities: output, logits };
}

/** A layer's weights keyed by their short name (kernel, bias, gamma, moving_mean, ...). */
function weightsOf(
  layer: LayerLike,
): Record<string, { shape: number[]; data: Float32Array } | undefined> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const w of layer.weights) {
    const short = (w.originalName ?? w.name).split("/").pop()!.replace(/_\d+$/, "");
    out[short] = { shape: [...w.shape], data: Float32Array.from(w.read().dataSync()) };
  }
  return out;
}

function activationOf(layer: LayerLike, a: unknown): "NONE" | "RELU" | "RELU6" {
  if (a === undefined || a === null || a === "linear") return "NONE";
  if (a === "relu") return "RELU";
  if (a === "relu6") return "RELU6";
  throw new UnsupportedLayerError(
    layer,
    `activation "${String(a)}" is not supported (linear, relu, relu6, or softmax on the last Dense)`,
  );
}

function reluOf(layer: LayerLike, cfg: Record<string, unknown>): "NONE" | "RELU" | "RELU6" {
  if (cfg.maxValue === undefined || cfg.maxValue === null) return "RELU";
  if (cfg.maxValue === 6) return "RELU6";
  throw new UnsupportedLayerError(
    layer,
    `ReLU with maxValue ${String(cfg.maxValue)} has no TFLite fused form (only none or 6)`,
  );
}

function checkChannelsLast(layer: LayerLike, cfg: Record<string, unknown>): void {
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast")
    throw new UnsupportedLayerError(
      layer,
      `dataFormat "${String(cfg.dataFormat)}" (TFLite is NHWC: use channelsLast)`,
    );
}

function pair(v: unknown): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  return [Number(a[0] ?? 1), Number(a[1] ?? a[0] ?? 1)];
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
