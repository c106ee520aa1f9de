/**
 * `npm run bench`: the project's benchmarks, one JSON object per line. Numbers to report,
 * not timed tests. `--only train,infer,tflite,quality,analysis,demo` picks some; the demo is
 * the slowest. The peer comparisons (train, infer, tflite) need PEER_PYTHON.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { benchAnalysis } from "./analysis.ts";
import { ConfigSchema } from "../lib/config.ts";
import { benchQuality } from "./quality.ts";
import { parseFlags, runIfMain, UsageError } from "../cli/main.ts";

const exec = promisify(execFile);
const projectDir = resolve(fileURLToPath(import.meta.url), "../..");

const ALL = ["train", "infer", "tflite", "quality", "analysis", "demo"] as const;
type Bench = (typeof ALL)[number];

const USAGE = `usage: npm run bench [-- --only ${ALL.join(",")}]   (default: all; one JSON object per line)`;

function selected(argv: string[]): Set<Bench> {
  const { only } = parseFlags(argv, { only: { type: "string" } }, USAGE);
  if (only === undefined) return new Set(ALL);
  const names = only.split(",").filter(Boolean);
  const bad = names.filter((n) => !(ALL as readonly string[]).includes(n));
  if (bad.length || !names.length)
    throw new UsageError(
      `--only takes a comma-separated list of ${ALL.join(", ")}; received "${only}"\n${USAGE}`,
    );
  return new Set(names as Bench[]);
}

async function main(): Promise<void> {
  const want = selected(process.argv.slice(2));
  const emit = (o: object) => console.log(JSON.stringify(o));
  if (want.has("train") || want.has("infer")) {
    // Loaded only when asked for: TensorFlow would otherwise sit in every bench's memory figure.
    const { benchTrainInfer } = await import("./train-infer.ts");
    for (const r of await benchTrainInfer({ alpha: 0.35, size: 96, batch: 32, steps: 5 }))
      if (want.has(r.bench)) emit(r);
  }
  if (want.has("tflite")) {
    // Ours against TensorFlow's converter in its interpreter; LiteRT figures come with it.
    const { benchTfliteVsConverter } = await import("./tflite-vs-converter.ts");
    const { benchTflite } = await import("./tflite.ts");
    const vs = await benchTfliteVsConverter();
    if ("why" in vs) {
      emit({ bench: "tflite_vs_converter", skipped: vs.why });
      for (const r of await benchTflite()) emit(r);
    } else for (const r of vs) emit(r);
  }
  if (want.has("quality")) {
    // BENCH_QUALITY_SIZES=10000 skips the 100,000-image run (about 8 minutes on 2 cores).
    const sizes = (process.env.BENCH_QUALITY_SIZES ?? "10000,100000")
      .split(",")
      .map(Number)
      .filter((n) => n > 0);
    await benchQuality({
      sizes,
      concurrency: ConfigSchema.parse({}).quality.concurrency,
      variantsDir: join(projectDir, ".mlops", "bench"),
      onResult: emit,
    });
  }
  if (want.has("analysis")) emit(await benchAnalysis());
  if (want.has("demo")) {
    // The demo as a user runs it, in its own process and workspace.
    const started = performance.now();
    await exec(process.execPath, ["--import", "tsx", join(projectDir, "cli/demo.ts")], {
      cwd: projectDir,
      env: {
        ...process.env,
        DEMO_DIR: join(projectDir, ".mlops", "bench-demo"),
        TF_CPP_MIN_LOG_LEVEL: "2",
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    emit({ bench: "demo", seconds: Math.round((performance.now() - started) / 100) / 10 });
  }
}

runIfMain(import.meta.url, main, "bench failed");
