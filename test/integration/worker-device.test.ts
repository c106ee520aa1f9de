import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  DEVICE_PACKAGES,
  describeDevice,
  deviceFromEnv,
  deviceProblem,
  ensureNativeBackend,
} from "../../worker/backend.ts";

// This file runs in its own process and asks for a GPU before anything binds TensorFlow.
const gpuBuildInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve(`${DEVICE_PACKAGES.gpu}/package.json`);
    return true;
  } catch {
    return false;
  }
})();

describe("training.device", () => {
  it("gpu without the GPU build installed stops with what to install, before binding the CPU build", async (ctx) => {
    if (gpuBuildInstalled) return ctx.skip(); // a GPU runner: the next test's checks apply there
    const err = await ensureNativeBackend("gpu").then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /training\.device is "gpu" but @tensorflow\/tfjs-node-gpu is not installed/,
    );
    expect(err?.message).toMatch(/npm install --no-save @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect(err?.message).toMatch(/README "GPU runner"/);
    expect(err?.message).toMatch(/MLOPS_TRAIN_DEVICE\) to "cpu"/);
  });

  it("cpu binds the CPU build; asking for a GPU afterwards in the same process is an error, not a CPU run", async () => {
    const tf = await ensureNativeBackend("cpu");
    expect(tf.getBackend()).toBe("tensorflow");
    await expect(ensureNativeBackend("auto")).resolves.toBe(tf);
    await expect(ensureNativeBackend("gpu")).rejects.toThrow(
      /training\.device is "gpu" but this process already runs TensorFlow on the CPU/,
    );
  });

  it("a GPU build that finds no GPU is refused when a GPU was asked for, and fine for auto", () => {
    expect(deviceProblem("gpu", DEVICE_PACKAGES.gpu, false)).toMatch(
      /found no GPU.*Refusing to train on the CPU.*MLOPS_TRAIN_DEVICE=cpu/s,
    );
    expect(deviceProblem("gpu", DEVICE_PACKAGES.cpu, false)).toMatch(/has the CPU build/);
    expect(deviceProblem("gpu", DEVICE_PACKAGES.gpu, true)).toBeUndefined();
    expect(deviceProblem("auto", DEVICE_PACKAGES.gpu, false)).toBeUndefined();
    expect(deviceProblem("cpu", DEVICE_PACKAGES.cpu, false)).toBeUndefined();
  });

  it("MLOPS_TRAIN_DEVICE is read and checked", () => {
    expect(deviceFromEnv({})).toBe("auto");
    expect(deviceFromEnv({ MLOPS_TRAIN_DEVICE: " gpu " })).toBe("gpu");
    expect(() => deviceFromEnv({ MLOPS_TRAIN_DEVICE: "cuda" })).toThrow(
      'MLOPS_TRAIN_DEVICE must be auto, cpu or gpu, got "cuda"',
    );
  });

  it("names the CPU with oneDNN's state and its threads", () => {
    expect(describeDevice(false, { TF_NUM_INTRAOP_THREADS: "2" })).toBe("CPU, oneDNN, 2 threads");
    expect(describeDevice(false, { TF_ENABLE_ONEDNN_OPTS: "0", TF_NUM_INTRAOP_THREADS: "1" })).toBe(
      "CPU, oneDNN off, 1 thread",
    );
    expect(describeDevice(true)).toMatch(/^GPU:0 /);
  });
});
