import { describe, expect, it } from "vitest";
import { ensureNativeBackend } from "../../worker/backend.ts";
import { FusedMobileNetV2 } from "../../worker/fused-mobilenet.ts";
import { toInputTensor } from "../../worker/images.ts";
import { buildMobileNetV2 } from "../../worker/mobilenet-v2.ts";
import { ReplicaPool } from "../../worker/parallel.ts";
import { beyondRounding } from "../helpers/fused-twin.ts";

const tf = await ensureNativeBackend();
const NET = { alpha: 0.35, inputSize: 64, numClasses: 3, seed: 5 };

// A batch made of the same 8 images twice: each replica's half then has exactly the
// batch's BatchNorm statistics, so two replicas must train exactly as one replica on the
// whole batch (up to float32 rounding), which pins the gradient sum and its scaling.
function doubledBatch() {
  const n = 8;
  const bytes = NET.inputSize * NET.inputSize * 3;
  const pixels = new Uint8Array(n * bytes).map((_, i) => (i * 2654435761) % 251);
  const labels = Array.from({ length: n }, (_, i) => i % NET.numClasses);
  const targets = new Float32Array(n * NET.numClasses);
  labels.forEach((c, i) => (targets[i * NET.numClasses + c] = 1));
  return { n, pixels, targets };
}

describe("data-parallel replicas", () => {
  it("two replicas on the two copies of a batch sum to the whole batch's gradient, and stay identical", async () => {
    const { n, pixels, targets } = doubledBatch();
    const model = buildMobileNetV2({ ...NET, dropout: 0 });
    const single = FusedMobileNetV2.fromLayersModel(tf, model, { alpha: NET.alpha });
    const pool = await ReplicaPool.start(2, {
      ...NET,
      dropout: 0,
      device: "auto",
      weightCount: single.weightLayout().reduce((a, l) => a + l.size, 0),
    });
    try {
      const whole = tf.tidy(() => {
        const bytes = NET.inputSize * NET.inputSize * 3;
        const x = toInputTensor(
          Array.from({ length: n }, (_, i) => pixels.subarray(i * bytes, (i + 1) * bytes)),
          NET.inputSize,
        );
        return {
          x: tf.keep(tf.concat([x, x], 0)),
          y: tf.keep(tf.tensor2d([...targets, ...targets], [2 * n, NET.numClasses])),
        };
      });
      const share = { pixels, targets, weights: new Array<number>(n).fill(0.5) };
      const expected = single.gradients({ x: whole.x, targets: whole.y });
      // Float32 rounding alone, measured: the same batch in reverse order through the one network.
      const [rx, ry] = [tf.reverse(whole.x, 0), tf.reverse(whole.y, 0)];
      const reversed = single.gradients({ x: rx, targets: ry });
      tf.dispose([rx, ry]);
      const two = await pool.step([share, share], 1e-3);
      expect(Math.abs(two.loss - expected.loss)).toBeLessThan(1e-4);
      const summed = await pool.pull("gradients");
      const distance = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Math.sqrt(Array.from(a).reduce((acc, v, i) => acc + (v - (b[i] as number)) ** 2, 0));
      const gaps = [...expected.grads].map(([key, g]) => {
        const a = g.dataSync();
        return {
          name: key,
          norm: distance(a, new Float32Array(a.length)),
          gap: distance(a, summed.get(key)!),
          rounding: distance(a, reversed.grads.get(key)!.dataSync()),
        };
      });
      // Each replica runs batches of 8 where the one network runs 16, and oneDNN picks its
      // kernels by shape: another summation order than the reversed batch's, so 4x.
      const { offenders, worst } = beyondRounding(gaps, 1e-4, 4);
      console.log(
        `two replicas vs one network: loss ${two.loss} / ${expected.loss}; largest gradient gap ${worst.ratio.toFixed(2)}x float32 rounding (${worst.name})`,
      );
      expect(offenders).toEqual([]);
      // After the update every replica holds the very same weights.
      const [a, b] = [await pool.pull("weights", 0), await pool.pull("weights", 1)];
      for (const [key, v] of a) expect(b.get(key)).toEqual(v);
      tf.dispose([...expected.grads.values(), ...reversed.grads.values()]);
      tf.dispose([whole.x, whole.y]);
    } finally {
      await pool.close();
      single.dispose();
      model.dispose();
    }
  });

  it("a replica that fails stops the pool with its error instead of hanging the others", async () => {
    const pool = await ReplicaPool.start(2, {
      ...NET,
      dropout: 0,
      device: "auto",
      weightCount: 0,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(pool?.message).toMatch(
      /training replica crashed: replica 0: \d+ weights, the pool expected 0/,
    );
  });
});
