/**
 * Data-parallel training over worker threads, one TensorFlow context each.
 *
 * Why: libtensorflow runs one eager kernel at a time, and on these kernels (~100 µs at
 * batch 32, 96 px) a thread pool inside each kernel costs more than it gains, so one
 * context uses about one core. Keras gets its second core by running independent ops of
 * its graph at once; here each core gets its own replica and a share of every batch
 * (replica.ts). Gradients meet in a SharedArrayBuffer and every replica applies the same
 * sum, so the result is one model, trained as with a batch of `batchSize` whose BatchNorm
 * statistics are taken per replica ("ghost batch norm" of batchSize / replicas images).
 *
 * libtensorflow's binding keeps attribute names in one process-wide set that it extends
 * without a lock, so the pool starts replicas only after the caller's own fused network
 * has run a full step (`warmUp` in train.ts): from then on every name is there and the
 * threads only read it.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ImageJitter } from "./augment.ts";
import type { TrainDevice } from "./backend.ts";

/** What a replica is built from (worker data). */
export interface ReplicaInit {
  index: number;
  replicas: number;
  alpha: number;
  inputSize: number;
  numClasses: number;
  seed: number;
  dropout: number;
  emaDecay?: number;
  device: TrainDevice;
  weightCount: number;
  gradients: SharedArrayBuffer;
  barrier: SharedArrayBuffer;
}

/** One replica's share of a batch. */
export interface ReplicaBatch {
  /** n decoded images, inputSize² x 3 bytes each, back to back. */
  pixels: Uint8Array;
  jitter?: ImageJitter[];
  /** Row-major [n, K]. */
  targets: Float32Array;
  /** Loss weight per image, already scaled by n / batch so the replicas' gradients sum to the batch mean. */
  weights: number[];
  mix?: { partner: Int32Array; lambda: Float32Array };
  dropoutMask?: Float32Array;
}

export type ReplicaRequest =
  | ({ type: "step"; learningRate: number } & ReplicaBatch)
  | { type: "pull"; which: "weights" | "ema" | "gradients" };

export type ReplicaReply =
  | { type: "ready" }
  | { type: "stepped"; loss: number; correct: number }
  | { type: "values"; values: Record<string, Float32Array> }
  | { type: "error"; message: string };

/** Fewest images a replica's share may have under "auto": BatchNorm statistics of fewer are noise. */
export const MIN_REPLICA_BATCH = 16;

/**
 * How many replicas "auto" means: one per core, at most 2 (what the recipe was tuned with),
 * and no more than leave every replica 16 images of a batch; 1 on a GPU.
 */
export function autoReplicas(gpu: boolean, batchSize: number): number {
  if (gpu) return 1;
  return Math.max(
    1,
    Math.min(2, availableParallelism(), Math.floor(batchSize / MIN_REPLICA_BATCH)),
  );
}

/** Worker threads running replica.ts, stepped together. */
export class ReplicaPool {
  private constructor(private readonly workers: Worker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts `replicas` replicas of the network `init` describes, one after the other. */
  static async start(
    replicas: number,
    init: Omit<ReplicaInit, "index" | "replicas" | "gradients" | "barrier">,
  ): Promise<ReplicaPool> {
    const gradients = new SharedArrayBuffer(2 * replicas * init.weightCount * 4);
    const barrier = new SharedArrayBuffer(4);
    // replica.ts is TypeScript: the thread registers tsx's loader first (a loader given to
    // the parent through execArgv does not reach worker threads on Node 20).
    const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(new URL("./replica.ts", import.meta.url).href)}); })`;
    const workers: Worker[] = [];
    try {
      for (let index = 0; index < replicas; index++) {
        const w = new Worker(boot, {
          eval: true,
          workerData: { ...init, index, replicas, gradients, barrier } satisfies ReplicaInit,
        });
        workers.push(w);
        await reply(w, "ready");
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new ReplicaPool(workers);
  }

  /** One optimiser step over the replicas' shares; loss is the batch's, correct the count of hits. */
  async step(
    parts: ReplicaBatch[],
    learningRate: number,
  ): Promise<{ loss: number; correct: number }> {
    if (parts.length !== this.workers.length)
      throw new Error(`replica pool: ${parts.length} shares for ${this.workers.length} replicas`);
    // A replica that fails leaves the others waiting at the barrier: stop them all.
    const replies = await Promise.all(
      this.workers.map((w, i) => {
        const done = reply(w, "stepped");
        w.postMessage({ type: "step", learningRate, ...parts[i]! } satisfies ReplicaRequest);
        return done;
      }),
    ).catch(async (err: Error) => {
      await this.close();
      throw err;
    });
    return {
      loss: replies.reduce((a, r) => a + r.loss, 0),
      correct: replies.reduce((a, r) => a + r.correct, 0),
    };
  }

  /**
   * The trained weights, their moving average, or the summed gradient of the last step:
   * every replica holds them alike (replica 0's unless told).
   */
  async pull(
    which: "weights" | "ema" | "gradients",
    replica = 0,
  ): Promise<Map<string, Float32Array>> {
    const w = this.workers[replica];
    if (!w) throw new Error(`replica pool: no replica ${replica} of ${this.workers.length}`);
    const done = reply(w, "values");
    w.postMessage({ type: "pull", which } satisfies ReplicaRequest);
    return new Map(Object.entries((await done).values));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function reply<T extends ReplicaReply["type"]>(
  w: Worker,
  type: T,
): Promise<Extract<ReplicaReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
    };
    const onMessage = (m: ReplicaReply) => {
      cleanup();
      if (m.type === "error") reject(new Error(`training replica failed: ${m.message}`));
      else if (m.type !== type)
        reject(new Error(`training replica answered "${m.type}", expected "${type}"`));
      else resolve(m as Extract<ReplicaReply, { type: T }>);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new Error(`training replica crashed: ${err.message}`, { cause: err }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`training replica exited with code ${code}`));
    };
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
  });
}
