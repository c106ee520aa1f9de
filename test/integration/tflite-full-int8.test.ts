import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { argmax } from "../../lib/metrics.ts";
import { describePreprocessing } from "../../worker/images.ts";
import { calibrateGraph, type Calibration } from "../../worker/tflite/calibrate.ts";
import { exportVariants } from "../../worker/tflite/export.ts";
import { modelToGraph } from "../../worker/tflite/graph.ts";
import type { IrGraph } from "../../worker/tflite/ir.ts";
import { openTflite } from "../../worker/tflite/litert.ts";
import { readTflite } from "../../worker/tflite/reader.ts";
import { tfjsLogits } from "../../worker/tflite/reference.ts";
import { fullIntegerProblems, readTfliteGraph } from "../../worker/tflite/tensor-reader.ts";
import { verifyTflite } from "../../worker/tflite/verify.ts";
import { writeTfliteGraph } from "../../worker/tflite/writer.ts";

const LABELS = ["unripe", "ripe", "overripe"];
const SIZE = 32;
const pre = describePreprocessing(SIZE);
type Sym = tf.SymbolicTensor;

// "Photos" of three classes: a colour per class with per-image jitter and pixel noise,
// scaled to [-1, 1] as training scales them. Calibration and training use one set, the
// proof another, as the pipeline does.
function photos(n: number, seed: number): { inputs: Float32Array[]; classes: number[] } {
  const tint = [
    [0.5, -0.4, -0.4],
    [-0.3, 0.5, -0.3],
    [0.4, 0.3, -0.5],
  ];
  const classes = Array.from({ length: n }, (_, i) => i % 3);
  const inputs = classes.map((c, i) =>
    tf.tidy(
      () =>
        tf
          .randomUniform([SIZE, SIZE, 3], -0.45, 0.45, "float32", seed + i)
          .add(tf.tensor(tint[c]!).add(tf.randomUniform([3], -0.3, 0.3, "float32", seed + n + i)))
          .clipByValue(-1, 1)
          .dataSync() as Float32Array,
    ),
  );
  return { inputs, classes };
}

/** conv/BN/ReLU6 -> depthwise/BN/ReLU6 -> 1x1 conv/BN + residual ADD -> GAP -> softmax Dense. */
function smallNet(): tf.LayersModel {
  let seed = 11;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const bn = (x: Sym) => tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as Sym;
  const relu6 = (x: Sym) => tf.layers.reLU({ maxValue: 6 }).apply(bn(x)) as Sym;
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  const a = relu6(
    tf.layers
      .conv2d({
        filters: 16,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        useBias: false,
        kernelInitializer: init(),
      })
      .apply(input) as Sym,
  );
  const d = relu6(
    tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        padding: "same",
        useBias: false,
        depthwiseInitializer: init(),
      })
      .apply(a) as Sym,
  );
  const p = bn(
    tf.layers
      .conv2d({ filters: 16, kernelSize: 1, useBias: false, kernelInitializer: init() })
      .apply(d) as Sym,
  );
  const sum = tf.layers.add().apply([a, p]) as Sym;
  const gap = tf.layers.globalAveragePooling2d({}).apply(sum) as Sym;
  const out = tf.layers
    .dense({ units: 3, activation: "softmax", kernelInitializer: init() })
    .apply(gap) as Sym;
  return tf.model({ inputs: input, outputs: out });
}

let model: tf.LayersModel;
let graph: IrGraph;
let train: ReturnType<typeof photos>;
let proof: ReturnType<typeof photos>;
let calibration: Calibration;
let bytes: Uint8Array;
let dir: string;

beforeAll(async () => {
  train = photos(90, 100);
  proof = photos(60, 9000);
  model = smallNet();
  model.compile({ optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy" });
  const x = tf.stack(train.inputs.map((v) => tf.tensor3d(v, [SIZE, SIZE, 3])));
  const y = tf.tensor1d(train.classes, "float32");
  await model.fit(x, y, { epochs: 12, batchSize: 15, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  graph = modelToGraph(model);
  const held = tf.memory().numTensors;
  calibration = await calibrateGraph(graph, train.inputs, 32);
  expect(tf.memory().numTensors).toBe(held); // every batch's activations freed
  bytes = writeTfliteGraph(graph, {
    labels: LABELS,
    preprocessing: pre,
    variant: "int8_full",
    calibration,
  });
  dir = await mkdtemp(join(tmpdir(), "tflite-int8-full-"));
}, 120_000);
afterAll(async () => {
  model?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("calibration", () => {
  it("runs the folded graph as TF.js does: the logits' range is TF.js' own over the same images", async () => {
    const logits = await tfjsLogits(model, train.inputs, [SIZE, SIZE, 3]);
    const all = logits.flatMap((l) => Array.from(l));
    const r = calibration.ranges.get(graph.logits)!;
    expect(r.min).toBeCloseTo(Math.min(...all), 4);
    expect(r.max).toBeCloseTo(Math.max(...all), 4);
    expect(calibration.images).toBe(90);
    expect(calibration.ranges.size).toBe(graph.ops.length + 1); // every op output + the image
    // Fused ReLU6 outputs never leave [0, 6]; the image stays in [-1, 1].
    for (const op of graph.ops.filter((o) => o.activation === "RELU6")) {
      const a = calibration.ranges.get(op.outputs[0]!)!;
      expect(a.min).toBeGreaterThanOrEqual(0);
      expect(a.max).toBeLessThanOrEqual(6);
    }
    const image = calibration.ranges.get(graph.input)!;
    expect(image.min).toBeGreaterThanOrEqual(-1);
    expect(image.max).toBeLessThanOrEqual(1);
  });
});

describe("the int8_full file, read back", () => {
  it("has float32 I/O, int8 activations and weights, int32 biases at in_scale * w_scale", () => {
    const g = readTfliteGraph(bytes);
    const t = (i: number) => g.tensors[i]!;
    expect(g.inputs.map((i) => [t(i).name, t(i).type])).toEqual([["image", "FLOAT32"]]);
    expect(g.outputs.map((i) => [t(i).name, t(i).type])).toEqual([
      ["probabilities", "FLOAT32"],
      ["logits", "FLOAT32"],
    ]);
    expect(g.operators[0]).toMatchObject({ op: "QUANTIZE", version: 1, inputs: g.inputs });
    expect(g.operators.slice(-2).map((o) => [o.op, o.version, o.outputs[0]])).toEqual([
      ["DEQUANTIZE", 2, g.outputs[1]],
      ["DEQUANTIZE", 2, g.outputs[0]],
    ]);
    const float = g.tensors.filter((x) => x.type === "FLOAT32").map((x) => x.name);
    expect(float.sort()).toEqual(["image", "logits", "probabilities"]);
    const versions = Object.fromEntries(g.operators.map((o) => [o.op, o.version]));
    expect(versions).toMatchObject({ CONV_2D: 3, DEPTHWISE_CONV_2D: 3, ADD: 2, MEAN: 2 });
    expect(versions).toMatchObject({ FULLY_CONNECTED: 4, SOFTMAX: 2 });
    for (const o of g.operators.slice(1, -2)) {
      const out = t(o.outputs[0]!);
      expect(out.type, `${o.op} output`).toBe("INT8");
      expect(out.quantization!.scales).toHaveLength(1);
      if (o.op === "SOFTMAX")
        expect(out.quantization).toMatchObject({ scales: [1 / 256], zeroPoints: [-128] });
      if (!["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"].includes(o.op)) continue;
      const [x, w, b] = o.inputs.map(t) as [typeof out, typeof out, typeof out];
      const axis = o.op === "DEPTHWISE_CONV_2D" ? 3 : 0;
      expect(w.type).toBe("INT8");
      expect(w.bytes).toBe(w.shape.reduce((a, d) => a * d, 1));
      expect(w.quantization!.axis).toBe(axis);
      expect(w.quantization!.scales).toHaveLength(w.shape[axis]!);
      expect(new Set(w.quantization!.zeroPoints)).toEqual(new Set([0]));
      expect(b.type).toBe("INT32");
      expect(b.bytes).toBe(4 * b.shape[0]!);
      const inScale = x.quantization!.scales[0]!;
      expect(b.quantization!.scales).toEqual(
        w.quantization!.scales.map((s) => Math.fround(Math.fround(inScale) * s)),
      );
      expect(new Set(b.quantization!.zeroPoints)).toEqual(new Set([0]));
    }
    // The proof's structural check: this file is integer throughout, a float one is not.
    expect(fullIntegerProblems(bytes)).toEqual([]);
    const hybrid = writeTfliteGraph(graph, { labels: LABELS, preprocessing: pre, variant: "int8" });
    expect(fullIntegerProblems(hybrid)).toEqual([
      expect.stringMatching(/^\d+ float tensors inside the graph \(/),
      "CONV_2D reads or writes a float32 input or output directly",
      "FULLY_CONNECTED reads or writes a float32 input or output directly",
      "SOFTMAX reads or writes a float32 input or output directly",
    ]);
    const summary = readTflite(bytes);
    expect(summary.metadata).toMatchObject({
      variant: "int8_full",
      calibration: { images: 90, source: "training" },
    });
    expect(summary.description).toMatch(
      /int8 weights and activations, calibrated on 90 training images/,
    );
  });
});

describe("int8_full in LiteRT against TF.js", () => {
  it("agrees with TF.js on the proof images within the stated tolerance, and passes its gate", async () => {
    const reference = await tfjsLogits(model, proof.inputs, [SIZE, SIZE, 3]);
    const session = await openTflite(bytes);
    const lite: Float32Array[] = [];
    try {
      for (const image of proof.inputs) lite.push((await session.run({ image })).logits!);
    } finally {
      session.close();
    }
    const flat = reference.flatMap((r) => Array.from(r));
    const span = Math.max(...flat) - Math.min(...flat);
    let maxDiff = 0;
    reference.forEach((r, i) =>
      r.forEach((z, k) => (maxDiff = Math.max(maxDiff, Math.abs(z - lite[i]![k]!)))),
    );
    const agree = lite.filter((l, i) => argmax(l) === argmax(reference[i]!)).length / lite.length;
    console.log(JSON.stringify({ agree, maxDiff, span }));
    // Tolerance: every top class agrees, and no logit is further than 5% of the logits' span.
    expect(agree).toBe(1);
    expect(maxDiff).toBeGreaterThan(0); // really integer arithmetic, not a float file
    expect(maxDiff).toBeLessThan(0.05 * span);

    const v = await verifyTflite({
      tfliteBytes: bytes,
      tfjsModel: model,
      evalSet: { inputs: proof.inputs, trueIdx: proof.classes },
      labels: LABELS,
    });
    expect(v.variant).toBe("int8_full");
    expect(v.argmax_agreement).toBe(agree);
    expect(v.max_logit_diff).toBeCloseTo(maxDiff, 6);
    expect(v.gate).toEqual({ passed: true, reasons: [] });
  });
});

describe("exportVariants with int8_full", () => {
  it("ships int8_full when the policy names it, and refuses it without calibration images", async () => {
    const evalSet = { inputs: proof.inputs, trueIdx: proof.classes };
    const base = { model, version: 3, labels: LABELS, preprocessing: pre, evalSet };
    const shipped = await exportVariants({
      ...base,
      outDir: join(dir, "a"),
      ship: "int8_full",
      calibration: train.inputs,
    });
    expect(shipped.shipped).toEqual({
      variant: "int8_full",
      file: join(dir, "a", "mango_model_v3.tflite"),
    });
    expect((await readdir(join(dir, "a"))).sort()).toEqual([
      "mango_model_v3.float16.tflite",
      "mango_model_v3.float32.tflite",
      "mango_model_v3.int8.tflite",
      "mango_model_v3.tflite",
    ]);
    const file = new Uint8Array(await readFile(shipped.shipped!.file));
    expect(readTflite(file).metadata?.variant).toBe("int8_full");

    const none = await exportVariants({ ...base, outDir: join(dir, "b") });
    const full = none.variants.find((v) => v.variant === "int8_full")!;
    expect(full).toMatchObject({ candidate: false });
    expect(full.file).toBeUndefined();
    expect(full.reasons).toEqual([
      "int8_full: no calibration images were given, so its activation ranges are unknown: pass `calibration` (a sample of training images) to exportVariants",
    ]);
    expect(await readdir(join(dir, "b"))).not.toContain("mango_model_v3.int8_full.tflite");
  });
});
