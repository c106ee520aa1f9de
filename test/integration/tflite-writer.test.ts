import * as tf from "@tensorflow/tfjs-node";
import { describe, expect, it } from "vitest";
import { describePreprocessing } from "../../worker/images.ts";
import { buildMobileNetV2 } from "../../worker/mobilenet-v2.ts";
import { openTflite } from "../../worker/tflite/litert.ts";
import { perturbBatchNorm } from "../../worker/tflite/perturb.ts";
import {
  fromFloat16Bits,
  quantizeInt8PerChannel,
  toFloat16Bits,
} from "../../worker/tflite/quantize.ts";
import { readTflite } from "../../worker/tflite/reader.ts";
import { tfjsLogits } from "../../worker/tflite/reference.ts";
import { writeTflite } from "../../worker/tflite/writer.ts";

// Every file is checked in LiteRT (Google's TFLite runtime), on logits, not only softmax:
// softmax squashes exactly the small errors a wrong layout or a sloppy BN fold makes.
type Sym = tf.SymbolicTensor;
const LABELS = ["unripe", "ripe", "overripe"];

/** Wraps a body in input -> body -> GAP -> Dense(softmax), with non-trivial BN statistics. */
async function tinyModel(size: number, body: (x: Sym) => Sym): Promise<tf.LayersModel> {
  const input = tf.input({ shape: [size, size, 3], name: "input" });
  const features = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(body(input)) as Sym;
  const out = tf.layers
    .dense({
      units: 3,
      activation: "softmax",
      name: "head",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    })
    .apply(features) as Sym;
  const model = tf.model({ inputs: input, outputs: out });
  await perturbBatchNorm(model, 11);
  return model;
}

let seed = 100;
const conv = (x: Sym, filters: number, k: number, strides: number, useBias = false) =>
  tf.layers
    .conv2d({
      filters,
      kernelSize: k,
      strides,
      padding: "same",
      useBias,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ }),
    })
    .apply(x) as Sym;
const depthwise = (x: Sym, strides: number, depthMultiplier = 1) =>
  tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides,
      depthMultiplier,
      padding: "same",
      useBias: false,
      depthwiseInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
    })
    .apply(x) as Sym;
const bn = (x: Sym) => tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3 }).apply(x) as Sym;
const relu6 = (x: Sym) => tf.layers.reLU({ maxValue: 6 }).apply(x) as Sym;

function randomInputs(n: number, size: number, s: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) =>
    tf.tidy(
      () => tf.randomUniform([size, size, 3], -1, 1, "float32", s + i).dataSync() as Float32Array,
    ),
  );
}

/** Max |logit difference| between LiteRT running the written file and TF.js. */
async function logitGap(
  model: tf.LayersModel,
  size: number,
  variant: "float32" | "float16" | "int8" = "float32",
  n = 3,
): Promise<number> {
  const bytes = writeTflite(model, {
    labels: LABELS,
    preprocessing: describePreprocessing(size),
    variant,
  });
  const inputs = randomInputs(n, size, 7);
  const reference = await tfjsLogits(model, inputs, [size, size, 3]);
  const session = await openTflite(bytes);
  let gap = 0;
  try {
    for (const [i, image] of inputs.entries()) {
      const { logits, probabilities } = await session.run({ image });
      const ref = reference[i]!;
      // The softmax output must be the softmax of the logits output.
      const exp = Array.from(logits!, (z) => Math.exp(z));
      const sum = exp.reduce((a, b) => a + b, 0);
      exp.forEach((e, k) => expect(probabilities![k]).toBeCloseTo(e / sum, 6));
      ref.forEach((r, k) => (gap = Math.max(gap, Math.abs(r - logits![k]!))));
    }
  } finally {
    session.close();
  }
  return gap;
}

describe("the .tflite writer, layer by layer, against LiteRT", () => {
  // 9 px: odd sizes make stride-2 SAME padding asymmetric, where a wrong padding shows.
  const cases: [string, (x: Sym) => Sym][] = [
    ["conv 3x3 stride 1 + BN + ReLU6", (x) => relu6(bn(conv(x, 8, 3, 1)))],
    ["conv 3x3 stride 2 'same' + BN + ReLU6", (x) => relu6(bn(conv(x, 8, 3, 2)))],
    ["conv with bias and no BN", (x) => conv(x, 6, 3, 2, true)],
    ["depthwise 3x3 stride 1 + BN + ReLU6", (x) => relu6(bn(depthwise(conv(x, 8, 1, 1), 1)))],
    ["depthwise 3x3 stride 2 + BN + ReLU6", (x) => relu6(bn(depthwise(conv(x, 8, 1, 1), 2)))],
    ["depthwise with depth multiplier 2", (x) => depthwise(x, 1, 2)],
    ["1x1 project + BN, no activation", (x) => bn(conv(relu6(bn(conv(x, 8, 3, 1))), 4, 1, 1))],
    [
      "residual Add",
      (x) => {
        const h = relu6(bn(conv(x, 6, 3, 1)));
        return tf.layers.add().apply([h, bn(conv(relu6(bn(conv(h, 12, 1, 1))), 6, 1, 1))]) as Sym;
      },
    ],
  ];
  for (const [name, body] of cases) {
    it(`${name}: logits within 1e-5`, async () => {
      const model = await tinyModel(9, body);
      expect(await logitGap(model, 9)).toBeLessThan(1e-5);
      model.dispose();
    });
  }

  it("MobileNetV2 0.35 at 32 px, 3 classes: float32 logits within 1e-4 of TF.js", async () => {
    const model = buildMobileNetV2({ alpha: 0.35, inputSize: 32, numClasses: 3, seed: 5 });
    await perturbBatchNorm(model, 5);
    const gap = await logitGap(model, 32, "float32", 4);
    console.log(`MobileNetV2 0.35/32 float32 max |logit diff| = ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe("what the app reads from the file", () => {
  it("has a serving_default signature, labels and preprocessing metadata, and 16-byte aligned weights", async () => {
    const model = await tinyModel(9, (x) => relu6(bn(conv(x, 8, 3, 2))));
    const bytes = writeTflite(model, {
      labels: LABELS,
      preprocessing: describePreprocessing(9),
      variant: "float32",
      model: { architecture: "tiny" },
    });
    const file = readTflite(bytes);
    expect(file.signature.key).toBe("serving_default");
    expect(Object.keys(file.signature.inputs)).toEqual(["image"]);
    expect(Object.keys(file.signature.outputs)).toEqual(["probabilities", "logits"]);
    expect(file.description).toMatch(/float32 weights, input \[1, 9, 9, 3\] scaled to \[-1,1\]/);
    // Labels and normalisation in TFLite Support metadata (tflite-metadata.test.ts reads it
    // field by field); the resize policy and the variant in our own entry.
    expect(file.labels).toEqual(LABELS);
    expect(file.support?.inputs[0]?.normalization).toEqual({
      mean: [127.5, 127.5, 127.5],
      std: [127.5, 127.5, 127.5],
    });
    expect(file.metadata).toEqual({
      format_version: 2,
      variant: "float32",
      input: { name: "image", colour_space: "srgb", resize: "exif-rotate, cover, centre-crop" },
      model: { architecture: "tiny" },
    });
    expect(file.buffers[0]!.length).toBe(0);
    for (const b of file.buffers.slice(1)) expect(b.offset % 16).toBe(0);
    const session = await openTflite(bytes);
    expect(session.inputs).toEqual([{ name: "image", shape: [1, 9, 9, 3] }]);
    expect(session.outputs.map((o) => o.name).sort()).toEqual(["logits", "probabilities"]);
    session.close();
    model.dispose();
  });
});

describe("layers the writer cannot express", () => {
  it("names the layer and its type", async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const pooled = tf.layers
      .maxPooling2d({ poolSize: 2, name: "pool" })
      .apply(conv(input, 4, 3, 1)) as Sym;
    const out = tf.layers
      .dense({ units: 3, activation: "softmax" })
      .apply(tf.layers.globalAveragePooling2d({}).apply(pooled) as Sym) as Sym;
    const model = tf.model({ inputs: input, outputs: out });
    expect(() =>
      writeTflite(model, {
        labels: LABELS,
        preprocessing: describePreprocessing(8),
        variant: "float32",
      }),
    ).toThrow(/layer "pool" \(type MaxPooling2D\)/);
    model.dispose();
  });

  it("refuses a BatchNorm it cannot fold, naming it", async () => {
    const model = await tinyModel(
      8,
      (x) => tf.layers.batchNormalization({ name: "bn_on_input" }).apply(x) as Sym,
    );
    expect(() =>
      writeTflite(model, {
        labels: LABELS,
        preprocessing: describePreprocessing(8),
        variant: "float32",
      }),
    ).toThrow(/layer "bn_on_input" \(type BatchNormalization\).*only folds/);
    model.dispose();
  });
});

describe("weight encodings", () => {
  it("float16 rounds to nearest even and keeps range", () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(fromFloat16Bits(toFloat16Bits(6e-6))).toBe(101 * 2 ** -24); // subnormal: 6e-6 / 2^-24 = 100.66
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
  });

  it("int8 is symmetric per channel with |q| <= 127", () => {
    const { values, scales } = quantizeInt8PerChannel(
      Float32Array.from([0.5, -1, 0, 0, 2, 1]),
      [3, 2],
      0,
    );
    expect(Array.from(scales)).toEqual([1 / 127, 1, 2 / 127].map(Math.fround));
    expect(Array.from(values)).toEqual([64, -127, 0, 0, 127, 64]);
  });
});
