/**
 * Throughput of MobileNetV2 training and inference on random tensors (no decoding), so the
 * number reflects the network and the backend only: the fused step as the worker runs it
 * (the batch split over replicas, one per core: parallel.ts), the fused step on one
 * replica, the tfjs-layers step it replaced, and, when `PEER_PYTHON` points at a Python with
 * TensorFlow, Keras on the same machine in the same run (../shared/reference/peer/
 * keras_throughput.py, or `PEER_SCRIPTS`), with the ratio.
 *
 * Same protocol as the peer script: 3 warm-up steps, then 5 repeats of `steps` steps, the
 * median reported. Run directly: `npx tsx bench/train-infer.ts [alpha] [size] [batch] [steps]`.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describeBackend, ensureNativeBackend } from "../worker/backend.ts";
import { FusedMobileNetV2 } from "../worker/fused-mobilenet.ts";
import { buildMobileNetV2 } from "../worker/mobilenet-v2.ts";
import { autoReplicas, ReplicaPool, type ReplicaBatch } from "../worker/parallel.ts";

const exec = promisify(execFile);
const projectDir = resolve(fileURLToPath(import.meta.url), "../..");

/** What to benchmark. */
export interface TrainInferBenchOptions {
  alpha: number;
  size: number;
  batch: number;
  /** Timed steps per repeat (after the warm-up). */
  steps: number;
  classes?: number;
}

/** One measured throughput, with Keras' beside it when the peer ran. */
export interface BenchResult {
  bench: "train" | "infer";
  alpha: number;
  size: number;
  batch: number;
  /** The worker's configuration: the batch split over this many replicas (1 on a GPU). */
  replicas?: number;
  images_per_s: number;
  /** The fused step on one replica, when the default runs more. */
  one_replica_images_per_s?: number;
  /** The tfjs-layers step (training only): what the worker ran before the fused step. */
  layers_images_per_s?: number;
  keras_images_per_s?: number;
  /** images_per_s / keras_images_per_s. */
  ratio_to_keras?: number;
  kernels_per_step?: number;
  device: string;
  /** Why the Keras figure is missing, when it is. */
  peer?: string;
}

const WARMUP = 3;
const REPEATS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function throughput(
  batch: number,
  steps: number,
  step: () => void | Promise<void>,
): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await step();
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    rates.push((steps * batch) / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

/** Keras' figures from the peer script, or why there are none. */
async function peer(
  opts: Required<TrainInferBenchOptions>,
): Promise<{ train?: number; infer?: number; why?: string }> {
  const python = process.env.PEER_PYTHON;
  if (!python) return { why: "PEER_PYTHON not set (see ../shared/reference/peer/README.md)" };
  const script = resolve(
    process.env.PEER_SCRIPTS ?? resolve(projectDir, "../shared/reference/peer"),
    "keras_throughput.py",
  );
  if (!existsSync(script)) return { why: `no peer script at ${script}` };
  const args = [
    script,
    "--alpha",
    String(opts.alpha),
    "--size",
    String(opts.size),
    "--classes",
    String(opts.classes),
    "--batch",
    String(opts.batch),
    "--steps",
    String(opts.steps),
    "--repeats",
    String(REPEATS),
    "--warmup",
    String(WARMUP),
    "--latency-runs",
    "5",
  ];
  const { stdout } = await exec(python, args, {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  const line = stdout.trim().split("\n").at(-1) ?? "{}";
  const out = JSON.parse(line) as Record<string, number>;
  return { train: out.train_img_s, infer: out[`infer_b${opts.batch}_img_s`] };
}

/** Measures training (Adam step) and inference images/s; returns [train, infer]. */
export async function benchTrainInfer(
  options: TrainInferBenchOptions,
): Promise<[BenchResult, BenchResult]> {
  const opts = { classes: 5, ...options };
  const tf = await ensureNativeBackend();
  const { device } = await describeBackend();
  const { alpha, size, batch, steps, classes } = opts;
  const model = buildMobileNetV2({ alpha, inputSize: size, numClasses: classes, seed: 1 });
  const net = FusedMobileNetV2.fromLayersModel(tf, model, { alpha });
  const x = tf.randomUniform([batch, size, size, 3], -1, 1, "float32", 1);
  const y = tf
    .oneHot(
      Array.from({ length: batch }, (_, i) => i % classes),
      classes,
    )
    .toFloat();
  try {
    const k0 = net.kernelCount;
    const train = await throughput(
      batch,
      steps,
      () => void net.trainStep({ x, targets: y, learningRate: 1e-3 }),
    );
    const kernels = (net.kernelCount - k0) / ((WARMUP + REPEATS * steps) * 1);
    const infer = await throughput(batch, steps, () => {
      const out = net.predict(x);
      out.dataSync();
      out.dispose();
    });
    // The worker's default: the batch split over replicas in worker threads (parallel.ts).
    const replicas = autoReplicas(net.usingGpu, batch);
    let parallel: number | undefined;
    if (replicas > 1) {
      const pool = await ReplicaPool.start(replicas, {
        alpha,
        inputSize: size,
        numClasses: classes,
        seed: 1,
        dropout: 0.2,
        device: "auto",
        weightCount: net.weightLayout().reduce((a, l) => a + l.size, 0),
      });
      try {
        const pixels = new Uint8Array(size * size * 3 * batch).map(
          (_, i) => (i * 2654435761) % 251,
        );
        const targets = y.dataSync() as Float32Array;
        const per = batch / replicas;
        const parts: ReplicaBatch[] = Array.from({ length: replicas }, (_, r) => ({
          pixels: pixels.subarray(r * per * size * size * 3, (r + 1) * per * size * size * 3),
          targets: targets.subarray(r * per * classes, (r + 1) * per * classes),
          weights: new Array<number>(per).fill(1 / replicas),
        }));
        parallel = await throughput(batch, steps, async () => void (await pool.step(parts, 1e-3)));
      } finally {
        await pool.close();
      }
    }
    const optimizer = tf.train.adam(1e-3);
    model.compile({ optimizer, loss: "categoricalCrossentropy" });
    const layers = await throughput(batch, Math.max(1, Math.floor(steps / 2)), async () => {
      await model.trainOnBatch(x, y);
    });
    optimizer.dispose();
    const keras = await peer(opts).catch((err: Error) => ({
      train: undefined,
      infer: undefined,
      why: `the peer failed: ${err.message.split("\n")[0]}`,
    }));
    const base = { alpha, size, batch, device };
    const round = (v: number) => Math.round(v * 10) / 10;
    const ratio = (ours: number, theirs?: number) =>
      theirs
        ? { keras_images_per_s: theirs, ratio_to_keras: Math.round((ours / theirs) * 100) / 100 }
        : {};
    return [
      {
        bench: "train",
        ...base,
        replicas,
        images_per_s: round(parallel ?? train),
        ...(parallel !== undefined ? { one_replica_images_per_s: round(train) } : {}),
        layers_images_per_s: round(layers),
        kernels_per_step: Math.round(kernels),
        ...ratio(parallel ?? train, keras.train),
        ...(keras.why ? { peer: keras.why } : {}),
      },
      {
        bench: "infer",
        ...base,
        images_per_s: round(infer),
        ...ratio(infer, keras.infer),
        ...(keras.why ? { peer: keras.why } : {}),
      },
    ];
  } finally {
    net.dispose();
    tf.dispose([x, y]);
    model.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [alpha = 0.35, size = 96, batch = 32, steps = 5] = process.argv.slice(2).map(Number);
  for (const r of await benchTrainInfer({ alpha, size, batch, steps }))
    console.log(JSON.stringify(r));
}
