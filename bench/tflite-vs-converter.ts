/**
 * Our .tflite files against TensorFlow's own converter, in one run on one machine: the
 * same architecture (MobileNetV2 0.35 at 96 px, 5 classes) written by this project and by
 * `TFLiteConverter` (the peer script ../shared/reference/peer/keras_tflite.py, or
 * `PEER_SCRIPTS`), all timed side by side in TensorFlow's `tf.lite.Interpreter` (XNNPACK,
 * one thread, batch 1; bench/tflite_interpreter.py), with the latency and size ratios per
 * variant. Needs `PEER_PYTHON`, a Python with tensorflow (see the peer's README); without it
 * the result says so. The peer script writes float32, float16 and dynamic-range int8, so
 * int8_full is timed without a converter file beside it.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { benchTflite } from "./tflite.ts";

const exec = promisify(execFile);
const projectDir = resolve(fileURLToPath(import.meta.url), "../..");
/** Our variant -> the peer script's file suffix for the same encoding. */
const CONVERTER: Record<string, string | undefined> = {
  float32: "float32",
  float16: "float16",
  int8: "dynamic_int8",
};

/** One variant, ours beside the converter's. */
export interface TfliteVsConverterResult {
  bench: "tflite_vs_converter";
  variant: string;
  ours_ms: number;
  ours_bytes: number;
  converter_ms?: number;
  converter_bytes?: number;
  /** ours / converter. */
  latency_ratio?: number;
  size_ratio?: number;
  runtime: string;
  /** Our file's median latency in LiteRT (WASM), from bench/tflite.ts. */
  litert_ms: number;
  note?: string;
}

interface Timed {
  file: string;
  bytes: number;
  median_ms: number;
  tf: string;
}

const jsonLines = <T>(text: string): T[] =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as T);

/** Runs the comparison; `{why}` when the peer's Python is not at hand. */
export async function benchTfliteVsConverter(): Promise<
  TfliteVsConverterResult[] | { why: string }
> {
  const python = process.env.PEER_PYTHON;
  if (!python) return { why: "PEER_PYTHON not set (see ../shared/reference/peer/README.md)" };
  const script = resolve(
    process.env.PEER_SCRIPTS ?? resolve(projectDir, "../shared/reference/peer"),
    "keras_tflite.py",
  );
  if (!existsSync(script)) return { why: `no peer script at ${script}` };
  const dir = await mkdtemp(join(tmpdir(), "tflite-vs-converter-"));
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" };
  try {
    const ours = await benchTflite(30, { outDir: dir });
    // The converter's files of the same architecture (its own timing is not used: one protocol for all).
    await exec(python, [script, "--out", dir, "--threads", "1", "--runs", "10"], {
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 20 * 60_000,
    });
    const name = (suffix: string) => `mobilenetv2_0.35_96_${suffix}.tflite`;
    const files = [
      ...ours.map((o) => `ours_${o.variant}.tflite`),
      ...Object.values(CONVERTER).map((s) => name(s!)),
    ].map((f) => join(dir, f));
    const { stdout } = await exec(
      python,
      [join(projectDir, "bench", "tflite_interpreter.py"), ...files],
      { env, maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 },
    );
    const timed = new Map(jsonLines<Timed>(stdout).map((t) => [t.file, t]));
    return ours.map((o) => {
      const mine = timed.get(`ours_${o.variant}.tflite`)!;
      const suffix = CONVERTER[o.variant];
      const theirs = suffix ? timed.get(name(suffix)) : undefined;
      const runtime = `tf.lite.Interpreter ${mine.tf}, XNNPACK, 1 thread, batch 1`;
      if (!theirs)
        return {
          bench: "tflite_vs_converter",
          variant: o.variant,
          ours_ms: mine.median_ms,
          ours_bytes: mine.bytes,
          runtime,
          litert_ms: o.latency_ms,
          note: "the peer script writes no file of this encoding",
        };
      return {
        bench: "tflite_vs_converter",
        variant: o.variant,
        ours_ms: mine.median_ms,
        ours_bytes: mine.bytes,
        converter_ms: theirs.median_ms,
        converter_bytes: theirs.bytes,
        latency_ratio: Math.round((mine.median_ms / theirs.median_ms) * 100) / 100,
        size_ratio: Math.round((mine.bytes / theirs.bytes) * 1000) / 1000,
        runtime,
        litert_ms: o.latency_ms,
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
