/**
 * The writer's intermediate graph: TFLite ops over float32 tensors, already in TFLite's
 * layouts with BatchNorm folded and activations fused. `graph.ts` builds it from a TF.js
 * model; `variants.ts` rewrites its weights per variant; `writer.ts` serialises it.
 */
import type { ActivationName, OpName } from "./schema.ts";

/** A tensor of the graph: an activation (no data) or a constant. */
export interface IrTensor {
  name: string;
  /** Fixed shape; the batch dimension is 1. */
  shape: number[];
  dtype: "float32" | "int32";
  /** Constant data; absent for activations. */
  data?: Float32Array | Int32Array;
  /**
   * Set on weight tensors (conv filters, fully connected weights): the axis of output
   * channels, along which BatchNorm folds and int8 scales run.
   */
  channelAxis?: number;
}

/** Builtin options of an op, by op kind. */
export type IrOptions =
  | {
      kind: "conv";
      padding: "SAME" | "VALID";
      strideH: number;
      strideW: number;
      dilationH: number;
      dilationW: number;
    }
  | {
      kind: "depthwise";
      padding: "SAME" | "VALID";
      strideH: number;
      strideW: number;
      dilationH: number;
      dilationW: number;
      depthMultiplier: number;
    }
  | {
      kind: "fullyConnected";
      /** Hybrid int8 kernels quantise the input per row with a zero point (int8 variant). */
      asymmetricQuantizeInputs?: boolean;
    }
  | { kind: "add" }
  | { kind: "mean"; keepDims: boolean }
  | { kind: "softmax"; beta: number }
  | { kind: "none" };

/** One TFLite operator. */
export interface IrOp {
  op: OpName;
  /** Tensor indices; for conv, depthwise and fully connected: [x, weights, bias]. */
  inputs: number[];
  outputs: number[];
  options: IrOptions;
  /** Fused activation, for the ops that have one. */
  activation: ActivationName;
  /** TF.js layers this op stands for, for error messages and tensor names. */
  layers: string[];
}

/** A single-subgraph model with one image input. */
export interface IrGraph {
  tensors: IrTensor[];
  ops: IrOp[];
  /** The image input tensor. */
  input: number;
  /** Class probabilities (SOFTMAX output). */
  probabilities: number;
  /** Pre-softmax scores, exposed as a second output so a file's logits can be checked. */
  logits: number;
}

/** Ops whose TFLite kernels take a fused activation. */
export const FUSABLE_OPS: ReadonlySet<OpName> = new Set<OpName>([
  "CONV_2D",
  "DEPTHWISE_CONV_2D",
  "FULLY_CONNECTED",
  "ADD",
]);
