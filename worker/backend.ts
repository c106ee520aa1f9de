/**
 * The native TensorFlow.js backend, checked before any training.
 *
 * Training on tfjs' pure-JS "cpu" backend is ~100x slower (MobileNetV2 0.35/96: ~0.4
 * images/s instead of ~40), which turns a 10-minute job into a day-long one that looks
 * hung. So the worker refuses to run unless libtensorflow is bound. tfjs-node is imported
 * lazily here so that modules which only *may* train (the graph, a hosted runner doing
 * data checks) can load on machines without the native binding.
 */
type TF = typeof import("@tensorflow/tfjs-node");

const FIX =
  "Fix: run `node scripts/install-tfjs-native.mjs` (it builds the binding offline from the " +
  "tensorflow-cpu wheel), or `npm rebuild @tensorflow/tfjs-node` with internet access; " +
  'see README "Air-gapped install".';

/** Loads tfjs-node and returns it, or throws if training would run on the pure-JS backend. */
export async function ensureNativeBackend(): Promise<TF> {
  // libtensorflow logs oneDNN/CPU-feature banners to stderr at load; keep CI logs readable.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  let tf: TF;
  try {
    tf = await import("@tensorflow/tfjs-node");
  } catch (err) {
    throw new Error(
      `The native TensorFlow.js backend (@tensorflow/tfjs-node) failed to load, so training would ` +
        `have to run on the pure-JS backend (~100x slower). ${FIX}`,
      { cause: err },
    );
  }
  const backend = tf.getBackend();
  if (backend !== "tensorflow") {
    throw new Error(
      `TensorFlow.js is using the "${backend}" backend, not the native "tensorflow" one: training ` +
        `would run ~100x slower (a MobileNetV2 epoch would take hours). ${FIX}`,
    );
  }
  return tf;
}

/** Which backend and library versions run, for metrics.json and the model card. */
export interface BackendDescription {
  backend: string;
  tfjsVersion: string;
  /** libtensorflow's version when the native backend is bound. */
  tensorflowVersion?: string;
}

/** Describes the active TF.js backend (loads tfjs-node; throws like `ensureNativeBackend` if it cannot). */
export async function describeBackend(): Promise<BackendDescription> {
  let tf: TF;
  try {
    tf = await import("@tensorflow/tfjs-node");
  } catch (err) {
    throw new Error(`@tensorflow/tfjs-node failed to load. ${FIX}`, { cause: err });
  }
  const backend = tf.getBackend();
  const binding = (tf.backend() as { binding?: { TF_Version?: unknown } }).binding;
  const tensorflowVersion = typeof binding?.TF_Version === "string" ? binding.TF_Version : undefined;
  return {
    backend,
    tfjsVersion: tf.version["tfjs-core"] ?? tf.version_core,
    ...(tensorflowVersion ? { tensorflowVersion } : {}),
  };
}
