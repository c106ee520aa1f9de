/**
 * The native TensorFlow.js backend and the device it trains on, chosen before any training.
 *
 * Training on tfjs' pure-JS "cpu" backend is ~100x slower (MobileNetV2 0.35/96: ~0.4
 * images/s instead of ~40), which turns a 10-minute job into a day-long one that looks
 * hung. So the worker refuses to run unless libtensorflow is bound.
 *
 * Two builds bind it: `@tensorflow/tfjs-node` (CPU) and `@tensorflow/tfjs-node-gpu` (CUDA).
 * `training.device` (env `MLOPS_TRAIN_DEVICE`) picks one:
 * - `cpu`: tfjs-node;
 * - `gpu`: tfjs-node-gpu, and an error unless libtensorflow finds a GPU: a job that asked
 *   for a GPU never trains on the CPU in silence;
 * - `auto`: tfjs-node-gpu when it is installed and sees a GPU, else tfjs-node.
 * One process can bind only one build (both register the "tensorflow" backend), so the
 * first call decides and a later call asking for another device is an error.
 *
 * The worker's modules import `@tensorflow/tfjs` (the API both builds share); the build is
 * imported only here, lazily, so modules that only *may* train (the graph, a hosted runner
 * doing data checks) load on machines without either binding.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";

/** The tfjs-node module as `ensureNativeBackend` returns it (both builds have this API). */
export type TF = typeof import("@tensorflow/tfjs-node");

export type TrainDevice = "auto" | "cpu" | "gpu";

/** The package that binds libtensorflow for each device. */
export const DEVICE_PACKAGES = {
  cpu: "@tensorflow/tfjs-node",
  gpu: "@tensorflow/tfjs-node-gpu",
} as const;

const FIX =
  "Fix: run `node scripts/install-tfjs-native.mjs` (it builds the binding offline from the " +
  "tensorflow-cpu wheel), or `npm rebuild @tensorflow/tfjs-node` with internet access; " +
  'see README "Air-gapped install".';

const GPU_FIX =
  'see README "GPU runner" for the driver, CUDA and cuDNN it needs and how to build it';

interface Loaded {
  tf: TF;
  pkg: (typeof DEVICE_PACKAGES)[keyof typeof DEVICE_PACKAGES];
  requested: TrainDevice;
  gpu: boolean;
}

let loaded: Loaded | undefined;

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** `MLOPS_TRAIN_DEVICE` when set (checked), else "auto". */
export function deviceFromEnv(env: NodeJS.ProcessEnv = process.env): TrainDevice {
  const v = env.MLOPS_TRAIN_DEVICE?.trim();
  if (!v) return "auto";
  if (v === "auto" || v === "cpu" || v === "gpu") return v;
  throw new Error(`MLOPS_TRAIN_DEVICE must be auto, cpu or gpu, got "${v}"`);
}

function usingGpu(tf: TF): boolean {
  const binding = (tf.backend() as { binding?: { isUsingGpuDevice?: () => boolean } }).binding;
  return binding?.isUsingGpuDevice?.() === true;
}

/**
 * Threads each TensorFlow kernel may use unless `TF_NUM_INTRAOP_THREADS` says otherwise.
 * One, because eager kernels are small (~100 µs at batch 32, 96 px) and handing each to a
 * thread pool costs more than it gains: measured here on 2 cores, the fused training step
 * runs 411 images/s on 1 thread against 318 on 2, inference 1,431 against 1,203.
 */
export const DEFAULT_INTRAOP_THREADS = 1;

async function importBuild(pkg: Loaded["pkg"]): Promise<TF> {
  // libtensorflow logs oneDNN/CPU-feature banners to stderr at load; keep CI logs readable.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  // Read by libtensorflow when it creates its context, so it only counts before the first
  // import of a build; a build someone imported already keeps what it got (and the device
  // line then reports the environment it saw).
  const core = await import("@tensorflow/tfjs");
  if (!core.findBackendFactory("tensorflow"))
    process.env.TF_NUM_INTRAOP_THREADS ??= String(DEFAULT_INTRAOP_THREADS);
  const mod = (await import(pkg)) as TF & { default?: TF };
  return (mod.default && typeof mod.default.getBackend === "function" ? mod.default : mod) as TF;
}

/**
 * Why a build that loaded does not give what was asked for, or undefined when it does.
 * Pure, so every case is testable on a machine without a GPU.
 */
export function deviceProblem(
  requested: TrainDevice,
  pkg: string,
  gpuFound: boolean,
): string | undefined {
  if (requested !== "gpu") return undefined;
  if (pkg !== DEVICE_PACKAGES.gpu)
    return `training.device is "gpu" but this process has the CPU build (${pkg}) loaded`;
  if (!gpuFound) {
    return (
      `training.device is "gpu" but ${pkg} found no GPU: libtensorflow saw no CUDA device (driver missing, ` +
      `CUDA/cuDNN libraries not on LD_LIBRARY_PATH, or CUDA_VISIBLE_DEVICES empty). Refusing to train on the CPU; ${GPU_FIX}, ` +
      `or set MLOPS_TRAIN_DEVICE=cpu to train on the CPU on purpose`
    );
  }
  return undefined;
}

/**
 * Loads the native build for `device` and returns it, or throws if training would run on
 * the pure-JS backend, on the CPU when a GPU was asked for, or on another device than the
 * one this process already bound.
 */
export async function ensureNativeBackend(device: TrainDevice = deviceFromEnv()): Promise<TF> {
  if (loaded) {
    const clash = device !== "auto" && (device === "gpu") !== loaded.gpu;
    if (clash) {
      throw new Error(
        `training.device is "${device}" but this process already runs TensorFlow on the ${loaded.gpu ? "GPU" : "CPU"} (${loaded.pkg}, asked for "${loaded.requested}"): one process binds one build; ` +
          (device === "gpu"
            ? (deviceProblem("gpu", loaded.pkg, loaded.gpu) ?? "")
            : "run it in a fresh process"),
      );
    }
    return checkedBackend(loaded.tf);
  }
  const wantGpuBuild = device === "gpu" || (device === "auto" && installed(DEVICE_PACKAGES.gpu));
  const pkg = wantGpuBuild ? DEVICE_PACKAGES.gpu : DEVICE_PACKAGES.cpu;
  if (device === "gpu" && !installed(pkg)) {
    throw new Error(
      `training.device is "gpu" but ${pkg} is not installed, so there is no GPU build of TensorFlow to train with. ` +
        `Fix: on the GPU runner, \`npm install --no-save ${pkg}@4.22.0\` and build its binding; ${GPU_FIX}. ` +
        `To train on the CPU instead, set training.device (or MLOPS_TRAIN_DEVICE) to "cpu".`,
    );
  }
  let tf: TF;
  try {
    tf = await importBuild(pkg);
  } catch (err) {
    throw new Error(
      `The native TensorFlow.js backend (${pkg}) failed to load, so training would have to run on the pure-JS backend (~100x slower). ` +
        (pkg === DEVICE_PACKAGES.gpu ? `${GPU_FIX}.` : FIX),
      { cause: err },
    );
  }
  const gpu = usingGpu(tf);
  const problem = deviceProblem(device, pkg, gpu);
  if (problem) throw new Error(problem);
  loaded = { tf, pkg, requested: device, gpu };
  return checkedBackend(tf);
}

function checkedBackend(tf: TF): TF {
  const backend = tf.getBackend();
  if (backend !== "tensorflow") {
    throw new Error(
      `TensorFlow.js is using the "${backend}" backend, not the native "tensorflow" one: training ` +
        `would run ~100x slower (a MobileNetV2 epoch would take hours). ${FIX}`,
    );
  }
  return tf;
}

/** Which backend, device and library versions run, for metrics.json and the model card. */
export interface BackendDescription {
  backend: string;
  tfjsVersion: string;
  /** libtensorflow's version when the native backend is bound. */
  tensorflowVersion?: string;
  /** The npm package that binds libtensorflow. */
  package?: string;
  /** Where the kernels run, e.g. "GPU:0 NVIDIA H200" or "CPU, oneDNN, 2 threads". */
  device: string;
}

/** The GPU's name as the driver reports it, when nvidia-smi is there to ask. */
function gpuName(): string | undefined {
  try {
    const visible = process.env.CUDA_VISIBLE_DEVICES?.split(",")[0]?.trim() || "0";
    const out = execFileSync(
      "nvidia-smi",
      ["--query-gpu=name", "--format=csv,noheader", "-i", visible],
      { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "ignore"] },
    );
    return out.trim().split("\n")[0] || undefined;
  } catch {
    return undefined;
  }
}

/** The device line for a bound build: GPU name, or CPU with oneDNN's state and thread count. */
export function describeDevice(gpu: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (gpu) return `GPU:0 ${gpuName() ?? "(name unknown: nvidia-smi not found)"}`;
  const onednn = env.TF_ENABLE_ONEDNN_OPTS === "0" ? "oneDNN off" : "oneDNN";
  // Unset means TensorFlow's own default, one thread per core.
  const threads =
    Number(env.TF_NUM_INTRAOP_THREADS) > 0
      ? Number(env.TF_NUM_INTRAOP_THREADS)
      : availableParallelism();
  return `CPU, ${onednn}, ${threads} thread${threads === 1 ? "" : "s"}`;
}

/** Describes the active TF.js backend (binds one like `ensureNativeBackend` when none is bound yet). */
export async function describeBackend(device?: TrainDevice): Promise<BackendDescription> {
  const tf = await ensureNativeBackend(device);
  const binding = (tf.backend() as { binding?: { TF_Version?: unknown } }).binding;
  const tensorflowVersion =
    typeof binding?.TF_Version === "string" ? binding.TF_Version : undefined;
  return {
    backend: tf.getBackend(),
    tfjsVersion: tf.version["tfjs-core"] ?? tf.version_core,
    ...(tensorflowVersion ? { tensorflowVersion } : {}),
    ...(loaded ? { package: loaded.pkg } : {}),
    device: describeDevice(usingGpu(tf)),
  };
}
