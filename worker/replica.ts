/**
 * One data-parallel training replica, run in a worker thread by parallel.ts.
 *
 * Every replica builds the same network from the same seed, takes its share of each batch,
 * computes its gradients, writes them into its slot of a SharedArrayBuffer, waits at a
 * barrier for the others, sums all slots in replica order and applies the same Adam
 * update: the replicas' weights stay bit-identical without ever being sent. Slots are
 * double-buffered by step parity, so a replica may write step t+1 while a slower one
 * still reads step t; it cannot get to t+2 before that one has written t+1.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ensureNativeBackend } from "./backend.ts";
import { batchTensors } from "./batch.ts";
import { FusedMobileNetV2 } from "./fused-mobilenet.ts";
import type { Gradients } from "./fused-net.ts";
import { buildMobileNetV2 } from "./mobilenet-v2.ts";
import type { ReplicaInit, ReplicaRequest, ReplicaReply } from "./parallel.ts";

const init = workerData as ReplicaInit;
const port = parentPort;
if (!port) throw new Error("worker/replica.ts runs as a worker thread of worker/parallel.ts");

const tf = await ensureNativeBackend(init.device);
const model = buildMobileNetV2({
  alpha: init.alpha,
  inputSize: init.inputSize,
  numClasses: init.numClasses,
  seed: init.seed,
  dropout: init.dropout,
});
const net = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: init.alpha });
model.dispose();
if (init.emaDecay) net.enableEma(init.emaDecay);
const layout = net.weightLayout();
const size = layout.reduce((a, l) => a + l.size, 0);
if (size !== init.weightCount)
  throw new Error(`replica ${init.index}: ${size} weights, the pool expected ${init.weightCount}`);
const slots = new Float32Array(init.gradients);
const barrier = new Int32Array(init.barrier);
let step = 0;
/** The summed gradient of the last step (what every replica applied), for `pull("gradients")`. */
let lastGradient: Float32Array | undefined;

function slot(parity: number, replica: number): Float32Array {
  return slots.subarray(
    (parity * init.replicas + replica) * size,
    (parity * init.replicas + replica + 1) * size,
  );
}

function waitForAll(target: number): void {
  Atomics.add(barrier, 0, 1);
  Atomics.notify(barrier, 0);
  for (let seen = Atomics.load(barrier, 0); seen < target; seen = Atomics.load(barrier, 0))
    Atomics.wait(barrier, 0, seen);
}

function trainOn(req: Extract<ReplicaRequest, { type: "step" }>): ReplicaReply {
  const n = req.weights.length;
  const mine = slot(step % 2, init.index);
  // A batch smaller than the pool (an epoch's last) leaves some replicas without images:
  // they still meet the others at the barrier, with a zero gradient.
  const { loss, accuracy } =
    n === 0
      ? (mine.fill(0), { loss: 0, accuracy: 0 })
      : tf.tidy(() => {
          const g = net.gradients(
            batchTensors(req, init.inputSize, init.numClasses, net.featureCount),
          );
          for (const l of layout)
            mine.set(g.grads.get(l.key)!.dataSync() as Float32Array, l.offset);
          tf.dispose([...g.grads.values()]);
          return { loss: g.loss, accuracy: g.accuracy };
        });
  waitForAll(init.replicas * (step + 1));
  const total = new Float32Array(size);
  for (let r = 0; r < init.replicas; r++) {
    const theirs = slot(step % 2, r);
    for (let i = 0; i < size; i++) total[i] = (total[i] as number) + (theirs[i] as number);
  }
  lastGradient = total;
  tf.tidy(() => {
    const grads: Gradients = new Map(
      layout.map((l) => [l.key, tf.tensor(total.subarray(l.offset, l.offset + l.size), l.shape)]),
    );
    net.applyGradients(grads, req.learningRate);
  });
  step++;
  return { type: "stepped", loss, correct: Math.round(accuracy * n) };
}

port.on("message", (req: ReplicaRequest) => {
  try {
    if (req.type === "step") port.postMessage(trainOn(req));
    else {
      const values =
        req.which === "gradients"
          ? new Map(
              layout.map((l) => [
                l.key,
                (lastGradient ?? new Float32Array(size)).slice(l.offset, l.offset + l.size),
              ]),
            )
          : net.trainableValues(req.which);
      port.postMessage({
        type: "values",
        values: Object.fromEntries(values),
      } satisfies ReplicaReply);
    }
  } catch (err) {
    port.postMessage({
      type: "error",
      message: (err as Error).stack ?? String(err),
    } satisfies ReplicaReply);
  }
});
port.postMessage({ type: "ready" } satisfies ReplicaReply);
