/**
 * Google's LiteRT runtime (@litertjs/core, the TFLite runtime compiled to WASM) in Node: the
 * runtime that proves a written file, since it shares no code with the writer.
 *
 * The package targets browsers and workers. Its loader calls `importScripts(file)` and then
 * reads `self.ModuleFactory`, so Node needs a shim: `self` is the global object and
 * `importScripts` evaluates the Emscripten file with `require`, `__filename` and `__dirname`
 * in scope (its Node branch reads the .wasm with fs) and publishes its factory. LiteRT can be
 * loaded once per process, so the load is one shared promise.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runInThisContext } from "node:vm";
import type { CompiledModel } from "@litertjs/core";

type LiteRtModule = typeof import("@litertjs/core");

const require = createRequire(import.meta.url);
/** The runtime's recent log lines, to explain a refusal (it logs why, then throws a generic error). */
const runtimeLog: string[] = [];
let loading: Promise<LiteRtModule> | undefined;

/** Loads LiteRT's WASM runtime once per process; later calls share the first load. */
export function loadLiteRtOnce(): Promise<LiteRtModule> {
  loading ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    g.self ??= globalThis;
    g.importScripts ??= (file: string) => {
      const code = readFileSync(file, "utf8");
      const factory = runInThisContext(
        `(function (require, __filename, __dirname) {${code}\nreturn ModuleFactory;\n})`,
        { filename: file },
      ) as (r: NodeRequire, f: string, d: string) => unknown;
      g.ModuleFactory = factory(require, file, dirname(file));
    };
    // Emscripten's print hooks: keep errors and warnings for messages, drop the INFO chatter.
    const keep = (line: string) => {
      if (/^INFO:|NPU accelerator could not be loaded/.test(line)) return;
      runtimeLog.push(line);
      if (runtimeLog.length > 20) runtimeLog.shift();
    };
    g.Module = { print: keep, printErr: keep };
    const litert = await import("@litertjs/core");
    const wasmDir = join(dirname(require.resolve("@litertjs/core")), "..", "wasm") + "/";
    // Node has no WebGPU; the package warns once that it cannot make a device. Expected here.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith("Failed to create default WebGPU device")) warn(...args);
    };
    try {
      await litert.loadLiteRt(wasmDir);
    } finally {
      console.warn = warn;
    }
    return litert;
  })();
  return loading;
}

/** A compiled .tflite, ready to run one image at a time. */
export interface TfliteSession {
  /** Signature input names and shapes. */
  inputs: { name: string; shape: number[] }[];
  /** Signature output names and shapes. */
  outputs: { name: string; shape: number[] }[];
  /** Runs the `serving_default` signature on one input; returns every output by name. */
  run(inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>>;
  /** Frees the compiled model in the WASM heap. */
  close(): void;
}

/** Compiles .tflite bytes in LiteRT (CPU/XNNPACK); a file LiteRT refuses is a clear error. */
export async function openTflite(bytes: Uint8Array): Promise<TfliteSession> {
  const litert = await loadLiteRtOnce();
  runtimeLog.length = 0;
  let model: CompiledModel;
  try {
    model = await litert.loadAndCompile(bytes, { accelerator: "wasm" });
  } catch (err) {
    const why = runtimeLog.length ? ` Runtime log: ${runtimeLog.join(" | ")}` : "";
    throw new Error(
      `LiteRT refused the .tflite (${bytes.length} bytes): ${(err as Error).message}.${why}`,
      { cause: err },
    );
  }
  const details = (d: readonly { name: string; shape: Int32Array }[]) =>
    d.map((t) => ({ name: t.name, shape: [...t.shape] }));
  const inputs = details(model.getInputDetails());
  const outputs = details(model.getOutputDetails());
  return {
    inputs,
    outputs,
    async run(values) {
      const feed: Record<string, InstanceType<LiteRtModule["Tensor"]>> = {};
      try {
        for (const { name, shape } of inputs) {
          const v = values[name];
          const n = shape.reduce((a, d) => a * d, 1);
          if (!v || v.length !== n)
            throw new Error(
              `input "${name}" needs ${n} float32 values (shape [${shape.join(", ")}]), got ${v?.length ?? "none"}`,
            );
          feed[name] = new litert.Tensor(v, shape);
        }
        const result = await model.run(feed);
        const out: Record<string, Float32Array> = {};
        for (const [name, t] of Object.entries(result)) {
          out[name] = Float32Array.from(t.toTypedArray() as Float32Array);
          t.delete();
        }
        return out;
      } finally {
        for (const t of Object.values(feed)) t.delete();
      }
    },
    close: () => model.delete(),
  };
}
