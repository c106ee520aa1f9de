/**
 * Walks a functional TF.js LayersModel into the writer's graph (ir.ts): weights moved into
 * TFLite's layouts, BatchNorm folded into the conv before it, ReLU/ReLU6 fused into the
 * op before it, Dropout dropped (inference), GlobalAveragePooling2D as MEAN over H and W,
 * and a softmax Dense split into FULLY_CONNECTED (logits) + SOFTMAX. Any other layer is an
 * error naming the layer and its type: a silently wrong .tflite is worse than none.
 *
 * The layer conversions are convert.ts, the graph they build graph-builder.ts, and what
 * is read of tfjs-layers layers.ts.
 */
import type { LayersModel } from "@tensorflow/tfjs-node";
import {
  convertActivation,
  convertAdd,
  convertBatchNorm,
  convertConv,
  convertDense,
  convertGlobalAveragePooling,
} from "./convert.ts";
import { GraphBuilder, LayerStep } from "./graph-builder.ts";
import type { IrGraph } from "./ir.ts";
import { type LayerLike, UnsupportedLayerError } from "./layers.ts";

/** Signature names of the image input and the two outputs. */
export const TENSOR_NAMES = {
  input: "image",
  probabilities: "probabilities",
  logits: "logits",
} as const;

/** Converts a single-input, single-output TF.js model into the writer's graph. */
export function modelToGraph(model: LayersModel): IrGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `the .tflite writer needs one input and one output; model "${model.name}" has ${model.inputs.length} and ${model.outputs.length}`,
    );
  }
  const g = new GraphBuilder(model);
  for (const layer of model.layers as unknown as LayerLike[]) {
    const s = new LayerStep(g, layer);
    switch (s.type) {
      case "InputLayer":
        convertInput(s);
        break;
      case "Conv2D":
      case "DepthwiseConv2D":
        convertConv(s, s.type === "DepthwiseConv2D");
        break;
      case "Dense":
        convertDense(s);
        break;
      case "BatchNormalization":
        convertBatchNorm(s);
        break;
      case "ReLU":
      case "Activation":
        convertActivation(s);
        break;
      case "Add":
        convertAdd(s);
        break;
      case "GlobalAveragePooling2D":
        convertGlobalAveragePooling(s);
        break;
      case "Dropout":
        g.valueOf.set(s.out.id, s.inputIdx()); // identity at inference
        break;
      default:
        throw new UnsupportedLayerError(
          layer,
          "this layer type has no TFLite mapping in the writer",
        );
    }
  }
  return finish(model, g);
}

/** The model's input: a fixed [1, H, W, C] image named as the signature says. */
function convertInput(s: LayerStep): void {
  const shape = s.out.shape.slice(1);
  if (shape.length !== 3 || shape.some((d) => d === null))
    throw new UnsupportedLayerError(
      s.layer,
      `the input must be a fixed [H, W, C] image, got [${shape.join(", ")}]`,
    );
  s.g.valueOf.set(
    s.out.id,
    s.g.addTensor({
      name: TENSOR_NAMES.input,
      shape: [1, ...(shape as number[])],
      dtype: "float32",
    }),
  );
}

/** Names the graph's outputs: the final SOFTMAX and the logits feeding it. */
function finish(model: LayersModel, g: GraphBuilder): IrGraph {
  const { tensors, ops } = g;
  const output = g.valueOf.get(g.outputId);
  const last = output === undefined ? undefined : g.producer.get(output);
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
