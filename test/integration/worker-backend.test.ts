import { describe, expect, it } from "vitest";
import { describeBackend, ensureNativeBackend } from "../../worker/backend.ts";

// Training on the pure-JS backend is ~100x slower: CI must fail, not crawl, when the
// native binding is missing. Outside CI a machine without it (MANGO_TFJS_SKIP_NATIVE=1)
// may skip, loudly.
const inCI = process.env.CI === "true";
const probe = await ensureNativeBackend().then(
  (tf) => ({ tf, error: undefined }),
  (error: Error) => ({ tf: undefined, error }),
);

describe("native TensorFlow.js backend", () => {
  it("is the native 'tensorflow' backend", (ctx) => {
    if (probe.error && !inCI) {
      console.warn(`SKIPPED: native TF.js backend unavailable outside CI: ${probe.error.message}`);
      ctx.skip();
    }
    if (probe.error) throw probe.error;
    expect(probe.tf?.getBackend()).toBe("tensorflow");
  });

  it("describes backend and versions for the metrics file", async (ctx) => {
    if (!probe.tf) return ctx.skip();
    const d = await describeBackend();
    expect(d.backend).toBe("tensorflow");
    expect(d.tfjsVersion).toBe("4.22.0");
    expect(d.tensorflowVersion).toMatch(/^\d+\.\d+/);
  });

  it("refuses to train on the pure-JS backend and says how to fix it", async (ctx) => {
    const tf = probe.tf;
    if (!tf) return ctx.skip();
    await tf.setBackend("cpu");
    try {
      await expect(ensureNativeBackend()).rejects.toThrow(
        /"cpu" backend.*~100x slower.*install-tfjs-native\.mjs.*Air-gapped install/s,
      );
    } finally {
      await tf.setBackend("tensorflow");
    }
  });
});
