/**
 * The writer's graph (ir.ts) as the walk of graph.ts builds it: tensors and ops in order,
 * which IR tensor holds each TF.js symbolic tensor, which op wrote each IR tensor, and
 * whether a BN or an activation may be folded into the op before it. `LayerStep` is one
 * layer's conversion: its node's tensors and weights, and the emitters bound to it.
 */
import type { LayersModel } from "@tensorflow/tfjs-node";
import type { IrOp, IrOptions, IrTensor } from "./ir.ts";
import {
  type LayerLike,
  type LayerWeights,
  type SymTensor,
  UnsupportedLayerError,
  weightsOf,
} from "./layers.ts";
import type { ActivationName } from "./schema.ts";

/** The graph under construction. */
export class GraphBuilder {
  readonly tensors: IrTensor[] = [];
  readonly ops: IrOp[] = [];
  /** TF.js symbolic tensor id -> IR tensor index. */
  readonly valueOf = new Map<number, number>();
  /** IR tensor index -> op writing it. */
  readonly producer = new Map<number, IrOp>();
  /** Symbolic tensor id -> how many layers read it. */
  private readonly consumers = new Map<number, number>();
  /** The model's output, which nothing may be folded into. */
  readonly outputId: number;

  constructor(model: LayersModel) {
    for (const l of model.layers as unknown as LayerLike[])
      for (const n of l.inboundNodes)
        for (const t of n.inputTensors)
          this.consumers.set(t.id, (this.consumers.get(t.id) ?? 0) + 1);
    this.outputId = (model.outputs[0] as unknown as SymTensor).id;
  }

  addTensor(t: IrTensor): number {
    return this.tensors.push(t) - 1;
  }

  /** A float32 activation tensor shaped as `sym` (batch 1). */
  activationTensor(name: string, sym: SymTensor): number {
    return this.addTensor({ name, shape: sym.shape.map((d) => d ?? 1), dtype: "float32" });
  }

  emit(op: IrOp): void {
    this.ops.push(op);
    for (const o of op.outputs) this.producer.set(o, op);
  }

  /** The op that alone produces `sym`, if a BN or activation may be folded into it. */
  foldTarget(sym: SymTensor): IrOp | undefined {
    if ((this.consumers.get(sym.id) ?? 0) !== 1 || sym.id === this.outputId) return undefined;
    const idx = this.valueOf.get(sym.id);
    return idx === undefined ? undefined : this.producer.get(idx);
  }

  /** Maps a folded layer's output onto the tensor it was folded into, renaming it. */
  alias(out: SymTensor, idx: number, name: string): void {
    this.valueOf.set(out.id, idx);
    const t = this.tensors[idx]!;
    t.name = name;
    this.producer.get(idx)?.layers.push(name);
  }
}

/** One layer being converted. */
export class LayerStep {
  readonly type: string;
  readonly cfg: Record<string, unknown>;
  readonly ins: SymTensor[];
  readonly out: SymTensor;
  readonly weights: LayerWeights;

  constructor(
    readonly g: GraphBuilder,
    readonly layer: LayerLike,
  ) {
    this.type = layer.getClassName();
    this.cfg = layer.getConfig();
    if (layer.inboundNodes.length !== 1)
      throw new UnsupportedLayerError(layer, "it is shared (applied more than once)");
    const node = layer.inboundNodes[0]!;
    this.ins = node.inputTensors;
    this.out = node.outputTensors[0]!;
    this.weights = weightsOf(layer);
  }

  /** The IR tensor of input `i`, which an earlier layer must have converted. */
  inputIdx(i = 0): number {
    const v = this.g.valueOf.get(this.ins[i]!.id);
    if (v === undefined)
      throw new UnsupportedLayerError(
        this.layer,
        "its input comes from a layer the writer did not convert",
      );
    return v;
  }

  /** CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED with constant weights and bias. */
  emitWeighted(
    op: "CONV_2D" | "DEPTHWISE_CONV_2D" | "FULLY_CONNECTED",
    w: IrTensor,
    bias: Float32Array,
    options: IrOptions,
    activation: ActivationName,
  ): void {
    const { g, layer, out } = this;
    const wi = g.addTensor(w);
    const bi = g.addTensor({
      name: `${layer.name}/bias`,
      shape: [bias.length],
      dtype: "float32",
      data: Float32Array.from(bias),
    });
    const o = g.activationTensor(layer.name, out);
    g.emit({
      op,
      inputs: [this.inputIdx(), wi, bi],
      outputs: [o],
      options,
      activation,
      layers: [layer.name],
    });
    g.valueOf.set(out.id, o);
  }

  /** A SOFTMAX over what the layer's output holds so far (the logits). */
  emitSoftmax(): void {
    const { g, layer, out } = this;
    const logits = g.valueOf.get(out.id)!;
    const o = g.activationTensor(`${layer.name}/softmax`, out);
    g.emit({
      op: "SOFTMAX",
      inputs: [logits],
      outputs: [o],
      options: { kind: "softmax", beta: 1 },
      activation: "NONE",
      layers: [layer.name],
    });
    g.valueOf.set(out.id, o);
  }
}
