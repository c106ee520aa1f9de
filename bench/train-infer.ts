/**
 * Throughput of MobileNetV2 training and inference on the active TF.js backend, on random
 * tensors (no decoding), so the number reflects the network and the backend only.
 * The first step of each is a warm-up (graph tracing, oneDNN kernel selection) and is
 * not timed. Run directly: `npx tsx bench/train-infer.ts [alpha] [size] [batch] [steps]`.
 */
import { pathToFileURL } from "node:url";
import { ensureNativeBackend } from "../worker/backend.ts";
import type { Tensor } from "@tensorflow/tfjs-node";
import { buildMobileNetV2 } from "../worker/mobilenet-v2.ts";

/** What to benchmark. */
export interface TrainInferBenchOptions {
  alpha: number;
  size: number;
  batch: number;
  /** Timed steps of each kind (after one warm-up step). */
  steps: number;
}

/** One measured throughput. */
export interface BenchResult {
  bench: "train" | "infer";
  alpha: number;
  size: number;
  batch: number;
  images_per_s: number;
}

/** Measures training (Adam step) and inference images/s; returns [train, infer]. */
export async function benchTrainInfer(opts: TrainInferBenchOptions): Promise<[BenchResult, BenchResult]> {
  const tf = await ensureNativeBackend();
  const { alpha, size, batch, steps } = opts;
  const numClasses = 6;
  const model = buildMobileNetV2({ alpha, inputSize: size, numClasses, seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: "categoricalCrossentropy" });
  const x = tf.randomUniform([batch, size, size, 3], -1, 1, "float32", 1);
  const y = tf.oneHot(Array.from({ length: batch }, (_, i) => i % numClasses), numClasses);
  const timed = async (step: () => Promise<void>): Promise<number> => {
    await step(); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    return (steps * batch) / ((performance.now() - t0) / 1000);
  };
  try {
    const train = await timed(async () => {
      await model.trainOnBatch(x, y);
    });
    const infer = await timed(async () => {
      const out = model.predict(x) as Tensor;
      await out.data(); // wait for the result: TF runs asynchronously
      out.dispose();
    });
    return [
      { bench: "train", alpha, size, batch, images_per_s: train },
      { bench: "infer", alpha, size, batch, images_per_s: infer },
    ];
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [alpha = 0.35, size = 96, batch = 32, steps = 10] = process.argv.slice(2).map(Number);
  for (const r of await benchTrainInfer({ alpha, size, batch, steps })) console.log(JSON.stringify(r));
}
