/**
 * Runs the pipeline on a repository: `npm run pipeline -- [--repo DIR] [--manifest PATH]
 * [--resume RUN_ID] [--run-id ID]`. Each run is a LangGraph thread checkpointed in SQLite
 * after every node, so a run killed mid-way resumes from its last finished node in a new
 * process (`--resume`). Writes `<runs>/<run-id>/report.md` and `state.json`.
 */
import { mkdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { loadConfig, loadDotEnv, resolveIn, type MlopsConfig } from "../lib/config.ts";
import { buildGraph } from "./graph.ts";
import { renderRunReport } from "./render.ts";
import { createServices, type PipelineServices } from "./services.ts";
import type { MLOpsStateType } from "./state.ts";

/** How a run ended, in words for the report and the console. */
export function describeOutcome(state: MLOpsStateType): string {
  if (!state.new_data_path) return "no new data";
  if (state.quality_score !== null && !state.model_version) return "halted: data gate failed";
  if (state.deployment_decision === "REJECT") return "halted: candidate rejected";
  if (state.promotion)
    return state.promotion.draft ? "proposed for human review (draft)" : "proposed for promotion";
  return "incomplete";
}

/** Options of `runPipeline`. */
export interface RunOptions {
  repoDir: string;
  config?: MlopsConfig;
  /** Train on this manifest even if it was trained on before. */
  manifest?: string;
  /** Resume this run (thread) from its last checkpoint instead of starting one. */
  resume?: string;
  /**
   * Stop before this node, leaving the run resumable: how the data job on a hosted runner
   * hands the thread to the training job on the GPU runner (the checkpoint file travels).
   */
  stopBefore?: string;
  runId?: string;
  services?: Partial<PipelineServices>;
}

/** The result of a finished run. */
export interface RunResult {
  runId: string;
  runDir: string;
  outcome: string;
  state: MLOpsStateType;
  /** Nodes a paused run resumes at (empty when the run finished). */
  paused: string[];
}

/** A sortable, unique run id. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs (or resumes) one pipeline run to its end and writes its report. */
export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const repoDir = resolve(opts.repoDir);
  const config = opts.config ?? loadConfig(join(repoDir, "mlops.config.json"));
  const services = createServices(repoDir, config, opts.services);
  const checkpointPath = resolveIn(repoDir, config.paths.checkpoints);
  mkdirSync(dirname(checkpointPath), { recursive: true });
  const checkpointer = SqliteSaver.fromConnString(checkpointPath);
  const graph = buildGraph({ threshold: config.quality.threshold, checkpointer });
  const runId = opts.resume ?? opts.runId ?? newRunId();
  const invokeConfig = {
    configurable: { thread_id: runId },
    context: { services },
    recursionLimit: 25,
  };
  const runDir = services.runDir(runId);
  await mkdir(runDir, { recursive: true });
  try {
    let input: Partial<MLOpsStateType> | null = {
      run_id: runId,
      requested_manifest: opts.manifest ?? null,
    };
    if (opts.resume) {
      const snapshot = await graph.getState(invokeConfig);
      if (!snapshot.values || !(snapshot.values as MLOpsStateType).run_id) {
        throw new Error(
          `no run "${opts.resume}" in ${checkpointPath} (fix: use a run id printed by an earlier run, or start a new run without --resume)`,
        );
      }
      services.log(
        `resuming run ${runId} at ${snapshot.next.length ? snapshot.next.join(", ") : "its end (already finished)"}`,
      );
      input = null;
    }
    let state: MLOpsStateType;
    try {
      state = (await graph.invoke(input, {
        ...invokeConfig,
        interruptBefore: opts.stopBefore ? [opts.stopBefore as never] : undefined,
      })) as MLOpsStateType;
    } catch (err) {
      const snapshot = await graph.getState(invokeConfig);
      const failedAt = snapshot.next.join(", ") || "unknown node";
      const message = `Run ${runId} failed in ${failedAt}: ${(err as Error).message}\nNothing was promoted. After fixing the cause, resume with: npm run pipeline -- --repo ${repoDir} --resume ${runId}`;
      await writeFile(join(runDir, "state.json"), JSON.stringify(snapshot.values, null, 2) + "\n");
      await writeFile(
        join(runDir, "report.md"),
        `# Run ${runId}: failed in ${failedAt}\n\n\`\`\`\n${message}\n\`\`\`\n`,
      );
      throw new Error(message, { cause: err });
    }
    const paused = (await graph.getState(invokeConfig)).next;
    const outcome = paused.length
      ? `paused before ${paused.join(", ")} (resume with --resume ${runId})`
      : describeOutcome(state);
    await writeFile(join(runDir, "state.json"), JSON.stringify(state, null, 2) + "\n");
    await writeFile(join(runDir, "report.md"), renderRunReport(state, config, outcome));
    return { runId, runDir, outcome, state, paused: [...paused] };
  } finally {
    checkpointer.db.close();
  }
}

/** Parses the CLI's flags; unknown flags are errors that list the known ones. */
export function parseRunArgs(argv: string[]): {
  repo: string;
  manifest?: string;
  resume?: string;
  runId?: string;
  stopBefore?: string;
} {
  const known = ["--repo", "--manifest", "--resume", "--run-id", "--stop-before"];
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h")
      throw new Error(
        `usage: npm run pipeline -- [--repo DIR] [--manifest data-manifests/X.json] [--resume RUN_ID] [--run-id ID] [--stop-before NODE]`,
      );
    if (!known.includes(flag))
      throw new Error(`unknown option "${flag}" (known: ${known.join(", ")})`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    out[flag.slice(2)] = value;
  }
  const nodes = [
    "validate_data",
    "run_training_job",
    "analyze_performance",
    "deploy_to_production",
    "alert_human",
  ];
  if (out["stop-before"] && !nodes.includes(out["stop-before"])) {
    throw new Error(
      `--stop-before "${out["stop-before"]}" is not a node that can be paused before (one of: ${nodes.join(", ")})`,
    );
  }
  return {
    repo: out.repo ?? process.cwd(),
    manifest: out.manifest,
    resume: out.resume,
    runId: out["run-id"],
    stopBefore: out["stop-before"],
  };
}

async function main(): Promise<void> {
  const args = parseRunArgs(process.argv.slice(2));
  loadDotEnv(args.repo);
  const result = await runPipeline({
    repoDir: args.repo,
    manifest: args.manifest,
    resume: args.resume,
    runId: args.runId,
    stopBefore: args.stopBefore,
  });
  console.log(
    `\nrun ${result.runId}: ${result.outcome}\nreport: ${join(result.runDir, "report.md")}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: Error) => {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  });
}
