/**
 * MobileNetV2 (Sandler et al. 2018) in tfjs-layers, laid out as Keras'
 * `tf.keras.applications.MobileNetV2` so layer names match (`block_3_expand`,
 * `block_3_depthwise_BN`, ...).
 *
 * Trained from scratch: no pretrained ImageNet weights can be downloaded on these machines.
 * Deliberate differences from Keras:
 * - `padding: 'same'` on strided convs instead of ZeroPadding2D + 'valid', so the graph is
 *   plain Conv2D/DepthwiseConv2D with TFLite's SAME padding for the .tflite writer;
 * - BatchNorm momentum 0.99 (Keras: 0.999, whose moving averages lag far behind on the
 *   short runs a from-scratch mango model gets);
 * - Dropout before the classifier (small dataset);
 * - residual blocks' project_BN starts with gamma = 0 (see below).
 * The model only contains Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Add,
 * GlobalAveragePooling2D, Dropout and Dense layers; the .tflite writer relies on that.
 */
import * as tf from "@tensorflow/tfjs";

/** Options of `buildMobileNetV2`. */
export interface MobileNetV2Options {
  /** Width multiplier: 0.35, 0.5, 0.75, 1.0, ... */
  alpha: number;
  inputSize: number;
  numClasses: number;
  /** Seeds every initialiser (and dropout), so a seed gives the same starting weights. */
  seed: number;
  /** Dropout rate before the classifier (default 0.2). */
  dropout?: number;
  /** BatchNorm moving-average momentum (default 0.99). */
  bnMomentum?: number;
}

/** The inverted residual stages: expansion t, output channels c, repeats n, first stride s. */
export const INVERTED_RESIDUAL_STAGES: ReadonlyArray<{
  t: number;
  c: number;
  n: number;
  s: number;
}> = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

/** Rounds a channel count to a multiple of `divisor` without losing more than 10% (as Keras). */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** One inverted residual block as built: the layer names and channel counts. */
export interface BlockPlan {
  /** Layer-name prefix: `expanded_conv_` for the first block, then `block_<id>_`. */
  prefix: string;
  inChannels: number;
  /** Channels after the 1x1 expansion; undefined for the first block, which has none. */
  expandChannels?: number;
  stride: number;
  outChannels: number;
  /** Stride 1 and as many channels out as in: the block adds its input back. */
  residual: boolean;
}

/** The whole network's layout for a width multiplier: stem, blocks, head. */
export interface MobileNetV2Plan {
  stemChannels: number;
  blocks: BlockPlan[];
  lastChannels: number;
}

/** The layer layout of MobileNetV2 at width `alpha` (shared by the tfjs-layers model and the fused step). */
export function planMobileNetV2(alpha: number): MobileNetV2Plan {
  const stemChannels = makeDivisible(32 * alpha);
  const blocks: BlockPlan[] = [];
  let inChannels = stemChannels;
  for (const { t, c, n, s } of INVERTED_RESIDUAL_STAGES) {
    for (let i = 0; i < n; i++) {
      const id = blocks.length;
      const stride = i === 0 ? s : 1;
      const outChannels = makeDivisible(Math.floor(c * alpha));
      blocks.push({
        prefix: id === 0 ? "expanded_conv_" : `block_${id}_`,
        inChannels,
        ...(id === 0 ? {} : { expandChannels: t * inChannels }),
        stride,
        outChannels,
        residual: stride === 1 && inChannels === outChannels,
      });
      inChannels = outChannels;
    }
  }
  // Keras keeps 1280 features for alpha <= 1: the head stays wide even for thin models.
  return { stemChannels, blocks, lastChannels: alpha > 1 ? makeDivisible(1280 * alpha) : 1280 };
}

type Sym = tf.SymbolicTensor;

/** Builds an untrained MobileNetV2 classifier (softmax over `numClasses`). */
export function buildMobileNetV2(opts: MobileNetV2Options): tf.LayersModel {
  const { alpha, inputSize, numClasses } = opts;
  if (!(alpha > 0)) throw new Error(`alpha must be > 0, got ${alpha}`);
  if (!Number.isInteger(inputSize) || inputSize < 32)
    throw new Error(`inputSize must be an integer >= 32, got ${inputSize}`);
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`);
  const momentum = opts.bnMomentum ?? 0.99;
  // One distinct seed per initialiser: a shared seed would give same-shaped layers identical weights.
  let seedCounter = 0;
  const init = () => tf.initializers.glorotUniform({ seed: opts.seed * 10_007 + seedCounter++ });

  const conv = (x: Sym, filters: number, kernelSize: number, strides: number, name: string) =>
    tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding: "same",
        useBias: false,
        kernelInitializer: init(),
        name,
      })
      .apply(x) as Sym;
  const bn = (x: Sym, name: string, gammaInitializer: "ones" | "zeros" = "ones") =>
    tf.layers
      .batchNormalization({ axis: -1, momentum, epsilon: 1e-3, gammaInitializer, name })
      .apply(x) as Sym;
  const relu6 = (x: Sym, name: string) => tf.layers.reLU({ maxValue: 6, name }).apply(x) as Sym;

  const invertedResidual = (x: Sym, block: BlockPlan): Sym => {
    const { prefix, expandChannels, stride, outChannels, residual } = block;
    let h = x;
    if (expandChannels !== undefined) {
      h = conv(h, expandChannels, 1, 1, `${prefix}expand`);
      h = relu6(bn(h, `${prefix}expand_BN`), `${prefix}expand_relu`);
    }
    h = tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        depthMultiplier: 1,
        padding: "same",
        useBias: false,
        depthwiseInitializer: init(),
        name: `${prefix}depthwise`,
      })
      .apply(h) as Sym;
    h = relu6(bn(h, `${prefix}depthwise_BN`), `${prefix}depthwise_relu`);
    // Linear bottleneck. On residual blocks its BN starts at gamma = 0 so each block starts
    // as the identity ("zero-init residual", Goyal et al. 2017): a from-scratch run on a
    // few hundred images is then far less erratic in its first epochs.
    h = bn(
      conv(h, outChannels, 1, 1, `${prefix}project`),
      `${prefix}project_BN`,
      residual ? "zeros" : "ones",
    );
    if (residual) {
      h = tf.layers.add({ name: `${prefix}add` }).apply([x, h]) as Sym;
    }
    return h;
  };

  const plan = planMobileNetV2(alpha);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "input", dtype: "float32" });
  let x = conv(input, plan.stemChannels, 3, 2, "Conv1");
  x = relu6(bn(x, "bn_Conv1"), "Conv1_relu");
  for (const block of plan.blocks) x = invertedResidual(x, block);
  x = relu6(bn(conv(x, plan.lastChannels, 1, 1, "Conv_1"), "Conv_1_bn"), "out_relu");
  x = tf.layers.globalAveragePooling2d({ name: "global_average_pooling2d" }).apply(x) as Sym;
  x = tf.layers
    .dropout({ rate: opts.dropout ?? 0.2, seed: opts.seed, name: "dropout" })
    .apply(x) as Sym;
  const output = tf.layers
    .dense({
      units: numClasses,
      activation: "softmax",
      kernelInitializer: init(),
      name: "predictions",
    })
    .apply(x) as Sym;
  return tf.model({ inputs: input, outputs: output, name: `mobilenetv2_${alpha}_${inputSize}` });
}
