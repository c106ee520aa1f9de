/**
 * Calibration of the full-integer variant: the float range of every activation of the
 * writer's graph over a representative sample of training images. The graph (ir.ts) has
 * one node per TFLite op, already folded and fused, so it is run op by op in TF.js in
 * float32 and each op's output is measured where the int8 file will hold it: after its
 * fused ReLU/ReLU6, after each ADD, the MEAN, the logits and the softmax. The sample is
 * drawn per class with a seeded shuffle, so the same training set gives the same file.
 */
import type { Tensor } from "@tensorflow/tfjs-node";
import type { LabeledImage } from "../../lib/dataset.ts";
import { mulberry32 } from "../../lib/random.ts";
import { ensureNativeBackend, type TF } from "../backend.ts";
import type { IrGraph, IrOp } from "./ir.ts";
import { batchesOf } from "./reference.ts";
import { shuffled } from "../split.ts";

/** How many training images the full-integer variant is calibrated on, at most. */
export const CALIBRATION_IMAGES = 200;

/** Observed float range of each activation tensor, by tensor index. */
export interface Calibration {
  /** Images the ranges were measured on. */
  images: number;
  ranges: Map<number, { min: number; max: number }>;
}

/**
 * Up to `n` images, as even across classes as the classes allow (round robin over each
 * class's seeded shuffle), in a stable order.
 */
export function calibrationSample(
  images: readonly LabeledImage[],
  n = CALIBRATION_IMAGES,
  seed = 0,
): LabeledImage[] {
  const rng = mulberry32(seed);
  const byLabel = new Map<string, LabeledImage[]>();
  for (const img of images) byLabel.set(img.label, [...(byLabel.get(img.label) ?? []), img]);
  const queues = [...byLabel.keys()]
    .sort()
    .map((l) => shuffled(byLabel.get(l)!.length, rng).map((i) => byLabel.get(l)![i]!));
  const out: LabeledImage[] = [];
  for (let round = 0; out.length < n && queues.some((q) => q.length > round); round++)
    for (const q of queues) if (round < q.length && out.length < n) out.push(q[round]!);
  return out;
}

/**
 * Runs the graph in float32 on `inputs` (each [H, W, C], scaled as for training) and
 * records the min and max of every op's output over all of them.
 */
export async function calibrateGraph(
  graph: IrGraph,
  inputs: readonly Float32Array[],
  batchSize = 32,
): Promise<Calibration> {
  if (inputs.length === 0)
    throw new Error(
      "cannot calibrate the full-integer .tflite on no images: pass a sample of training images",
    );
  const tf = await ensureNativeBackend();
  const shape = graph.tensors[graph.input]!.shape.slice(1);
  const ranges = new Map<number, { min: number; max: number }>();
  const observe = (idx: number, min: number, max: number) => {
    const r = ranges.get(idx) ?? { min: Infinity, max: -Infinity };
    ranges.set(idx, { min: Math.min(r.min, min), max: Math.max(r.max, max) });
  };
  for (const { chunk, flat } of batchesOf(inputs, shape, batchSize, "calibration image")) {
    const extremes = runGraph(tf, graph, tf.tensor(flat, [chunk.length, ...shape]));
    for (const [idx, mm] of extremes) observe(idx, mm[0]!, mm[1]!);
  }
  observe(graph.input, ...extent(inputs));
  return { images: inputs.length, ranges };
}

function extent(inputs: readonly Float32Array[]): [number, number] {
  let [min, max] = [Infinity, -Infinity];
  for (const x of inputs)
    for (const v of x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  return [min, max];
}

/** One batch through the graph: [min, max] of every op output (the input is disposed). */
function runGraph(tf: TF, graph: IrGraph, input: Tensor): Map<number, Float32Array> {
  const lastUse = new Map<number, number>();
  graph.ops.forEach((op, i) => op.inputs.forEach((t) => lastUse.set(t, i)));
  const values = new Map<number, Tensor>([[graph.input, input]]);
  const consts = new Map<number, Tensor>();
  const out = new Map<number, Float32Array>();
  try {
    graph.ops.forEach((op, i) => {
      const y = tf.tidy(() => evalOp(tf, graph, op, (t) => valueOf(t, values, consts, tf, graph)));
      values.set(op.outputs[0]!, y);
      const mm = tf.tidy(() => tf.stack([y.min(), y.max()]));
      out.set(op.outputs[0]!, mm.dataSync() as Float32Array);
      mm.dispose();
      for (const t of op.inputs)
        if (lastUse.get(t) === i && values.has(t)) {
          values.get(t)!.dispose();
          values.delete(t);
        }
    });
  } finally {
    tf.dispose([...values.values(), ...consts.values()]);
  }
  return out;
}

function valueOf(
  idx: number,
  values: Map<number, Tensor>,
  consts: Map<number, Tensor>,
  tf: TF,
  graph: IrGraph,
): Tensor {
  const v = values.get(idx) ?? consts.get(idx);
  if (v) return v;
  const t = graph.tensors[idx]!;
  if (!t.data) throw new Error(`tensor ${idx} "${t.name}" is read before any op wrote it`);
  const c = tf.keep(tf.tensor(t.data, t.shape, t.dtype));
  consts.set(idx, c);
  return c;
}

/** One IR op in TF.js, in float32, from TFLite's layouts. */
function evalOp(tf: TF, graph: IrGraph, op: IrOp, get: (i: number) => Tensor): Tensor {
  const x = get(op.inputs[0]!);
  const o = op.options;
  let y: Tensor;
  switch (op.op) {
    case "CONV_2D":
    case "DEPTHWISE_CONV_2D": {
      if (o.kind !== "conv" && o.kind !== "depthwise") throw badOptions(op);
      const w = get(op.inputs[1]!);
      const pad = o.padding === "SAME" ? "same" : "valid";
      const strides: [number, number] = [o.strideH, o.strideW];
      const dilations: [number, number] = [o.dilationH, o.dilationW];
      y =
        o.kind === "conv"
          ? tf.conv2d(
              x as never,
              w.transpose([1, 2, 3, 0]) as never,
              strides,
              pad,
              "NHWC",
              dilations,
            )
          : tf.depthwiseConv2d(
              x as never,
              w.reshape([w.shape[1]!, w.shape[2]!, x.shape[3]!, o.depthMultiplier]) as never,
              strides,
              pad,
              "NHWC",
              dilations,
            );
      y = y.add(get(op.inputs[2]!));
      break;
    }
    case "FULLY_CONNECTED":
      y = tf.matMul(x as never, get(op.inputs[1]!) as never, false, true).add(get(op.inputs[2]!));
      break;
    case "ADD":
      y = x.add(get(op.inputs[1]!));
      break;
    case "MEAN":
      if (o.kind !== "mean") throw badOptions(op);
      y = x.mean(Array.from(graph.tensors[op.inputs[1]!]!.data!), o.keepDims);
      break;
    case "SOFTMAX":
      if (o.kind !== "softmax") throw badOptions(op);
      y = tf.softmax(x.mul(o.beta));
      break;
    case "RELU":
      y = tf.relu(x);
      break;
    case "RELU6":
      y = tf.relu6(x);
      break;
    default:
      throw new Error(
        `cannot calibrate op ${op.op} (${op.layers.join("/")}): worker/tflite/calibrate.ts has no float evaluation for it`,
      );
  }
  if (op.activation === "RELU") return tf.relu(y);
  if (op.activation === "RELU6") return tf.relu6(y);
  if (op.activation !== "NONE")
    throw new Error(`cannot calibrate fused activation ${op.activation} of ${op.layers.join("/")}`);
  return y;
}

const badOptions = (op: IrOp) =>
  new Error(`op ${op.op} of ${op.layers.join("/")} has ${op.options.kind} options`);
