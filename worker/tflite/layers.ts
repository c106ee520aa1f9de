/**
 * The tfjs-layers side of the graph walk (graph.ts): the layer types the writer can
 * express, the parts of tfjs-layers' internals it reads, and a layer's weights and
 * settings read as TFLite's (activations, strides, data format). A setting TFLite cannot
 * express is an `UnsupportedLayerError` naming the layer and its type.
 */

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
export interface SymTensor {
  id: number;
  shape: (number | null)[];
}
export interface LayerLike {
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

/** What `weightsOf` reads: each weight's shape and values as float32. */
export type LayerWeights = Record<string, { shape: number[]; data: Float32Array } | undefined>;

/** Thrown when a model holds a layer (or layer setting) TFLite output cannot express. */
export class UnsupportedLayerError extends Error {
  constructor(layer: LayerLike, why: string) {
    super(
      `cannot write layer "${layer.name}" (type ${layer.getClassName()}) to .tflite: ${why}. ` +
        `The writer supports ${SUPPORTED_LAYERS.join(", ")}; replace the layer or add its conversion to worker/tflite/convert.ts.`,
    );
    this.name = "UnsupportedLayerError";
  }
}

/** A layer's weights keyed by their short name (kernel, bias, gamma, moving_mean, ...). */
export function weightsOf(layer: LayerLike): LayerWeights {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const w of layer.weights) {
    const short = (w.originalName ?? w.name).split("/").pop()!.replace(/_\d+$/, "");
    out[short] = { shape: [...w.shape], data: Float32Array.from(w.read().dataSync()) };
  }
  return out;
}

export function activationOf(layer: LayerLike, a: unknown): "NONE" | "RELU" | "RELU6" {
  if (a === undefined || a === null || a === "linear") return "NONE";
  if (a === "relu") return "RELU";
  if (a === "relu6") return "RELU6";
  throw new UnsupportedLayerError(
    layer,
    `activation "${String(a)}" is not supported (linear, relu, relu6, or softmax on the last Dense)`,
  );
}

export function reluOf(layer: LayerLike, cfg: Record<string, unknown>): "NONE" | "RELU" | "RELU6" {
  if (cfg.maxValue === undefined || cfg.maxValue === null) return "RELU";
  if (cfg.maxValue === 6) return "RELU6";
  throw new UnsupportedLayerError(
    layer,
    `ReLU with maxValue ${String(cfg.maxValue)} has no TFLite fused form (only none or 6)`,
  );
}

export function checkChannelsLast(layer: LayerLike, cfg: Record<string, unknown>): void {
  if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast")
    throw new UnsupportedLayerError(
      layer,
      `dataFormat "${String(cfg.dataFormat)}" (TFLite is NHWC: use channelsLast)`,
    );
}

/** A `[h, w]` setting given as one number or a pair (strides, dilation rate). */
export function pair(v: unknown): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  return [Number(a[0] ?? 1), Number(a[1] ?? a[0] ?? 1)];
}
