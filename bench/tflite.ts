/**
 * The .tflite writer's numbers for MobileNetV2 0.35 at 96 px with 5 classes: export time,
 * file size and LiteRT latency per image (batch 1) for each variant, and the float32 file's
 * max |logit difference| from TF.js. Random weights with BatchNorm statistics calibrated on
 * random colour images (so BN folding is exercised); no training, so accuracy is not
 * measured here. Run directly: `npx tsx bench/tflite.ts [runs]`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureNativeBackend } from "../worker/backend.ts";
import { describePreprocessing } from "../worker/images.ts";
import { buildMobileNetV2 } from "../worker/mobilenet-v2.ts";
import { calibrateGraph } from "../worker/tflite/calibrate.ts";
import { modelToGraph } from "../worker/tflite/graph.ts";
import { openTflite } from "../worker/tflite/litert.ts";
import { perturbBatchNorm } from "../worker/tflite/perturb.ts";
import { tfjsLogits } from "../worker/tflite/reference.ts";
import { TFLITE_VARIANTS, type TfliteVariant } from "../worker/tflite/variants.ts";
import { writeTfliteGraph } from "../worker/tflite/writer.ts";

/** One variant's measurements. */
export interface TfliteBenchResult {
  bench: "tflite";
  variant: TfliteVariant;
  alpha: number;
  size: number;
  classes: number;
  /** Graph conversion (shared) + this variant's serialisation, ms. */
  export_ms: number;
  bytes: number;
  /** Median LiteRT latency per image, batch 1, after five warm-up runs. */
  latency_ms: number;
  max_logit_diff: number;
  /** Largest |logit| TF.js gives on the timed images: the scale `max_logit_diff` is read against. */
  logit_scale: number;
}

/**
 * Benchmarks every variant; `runs` images are timed per variant. With `outDir`, each file is
 * also written there as `ours_<variant>.tflite` (for timing in other runtimes).
 */
export async function benchTflite(
  runs = 30,
  opts: { outDir?: string } = {},
): Promise<TfliteBenchResult[]> {
  const tf = await ensureNativeBackend();
  const [alpha, size, classes] = [0.35, 96, 5];
  const model = buildMobileNetV2({ alpha, inputSize: size, numClasses: classes, seed: 3 });
  const inputs = Array.from({ length: 8 }, (_, i) =>
    tf.tidy(
      () =>
        tf
          .randomUniform([size, size, 3], -0.3, 0.3, "float32", i)
          .add(tf.randomUniform([1, 1, 3], -0.7, 0.7, "float32", 100 + i))
          .dataSync() as Float32Array,
    ),
  );
  const calibration = tf.tensor4d(Float32Array.from(inputs.flatMap((a) => [...a])), [
    inputs.length,
    size,
    size,
    3,
  ]);
  try {
    await perturbBatchNorm(model, 3, calibration);
    const reference = await tfjsLogits(model, inputs, [size, size, 3]);
    const logitScale = Math.max(...reference.flatMap((r) => Array.from(r, Math.abs)));
    const t0 = performance.now();
    const graph = modelToGraph(model);
    const graphMs = performance.now() - t0;
    const ranges = await calibrateGraph(graph, inputs); // int8_full's activation ranges
    const labels = Array.from({ length: classes }, (_, i) => `class_${i}`);
    const out: TfliteBenchResult[] = [];
    for (const variant of TFLITE_VARIANTS) {
      const t1 = performance.now();
      const bytes = writeTfliteGraph(graph, {
        labels,
        preprocessing: describePreprocessing(size),
        variant,
        calibration: ranges,
      });
      const export_ms = graphMs + performance.now() - t1;
      if (opts.outDir) await writeFile(join(opts.outDir, `ours_${variant}.tflite`), bytes);
      const session = await openTflite(bytes);
      let maxDiff = 0;
      const times: number[] = [];
      try {
        for (let w = 0; w < 5; w++) await session.run({ image: inputs[0]! }); // warm-up
        for (let r = 0; r < runs; r++) {
          const i = r % inputs.length;
          const t2 = performance.now();
          const { logits } = await session.run({ image: inputs[i]! });
          times.push(performance.now() - t2);
          reference[i]!.forEach((z, k) => (maxDiff = Math.max(maxDiff, Math.abs(z - logits![k]!))));
        }
      } finally {
        session.close();
      }
      times.sort((a, b) => a - b);
      out.push({
        bench: "tflite",
        variant,
        alpha,
        size,
        classes,
        export_ms: round(export_ms),
        bytes: bytes.length,
        latency_ms: round(times[times.length >> 1]!),
        max_logit_diff: maxDiff,
        logit_scale: round(logitScale),
      });
    }
    return out;
  } finally {
    calibration.dispose();
    model.dispose();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchTflite(Number(process.argv[2] ?? 30))) console.log(JSON.stringify(r));
}
