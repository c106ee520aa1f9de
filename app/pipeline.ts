/**
 * The pipeline use case: one run of the graph on a repository. Each run is a LangGraph
 * thread checkpointed in SQLite after every node, so a run killed mid-way resumes from its
 * last finished node in a new process (`resume`). Writes `<runs>/<run-id>/report.md` and
 * `state.json`, and returns a typed outcome (cli/pipeline.ts and the pipeline action print it).
 */
import { mkdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { loadConfig, resolveIn, type MlopsConfig } from "../lib/config.ts";
import { buildGraph } from "../graph/graph.ts";
import { renderRunReport } from "../graph/render.ts";
import { artifactUrlOf, renderRunSummary, type RunSummary } from "../graph/render-summary.ts";
import { git } from "../lib/git.ts";
import { ManifestChangedError } from "../lib/manifest-files.ts";
import { runFolder } from "../lib/run-folder.ts";
import { type AppServices, createServices, type HostHooks } from "./services.ts";
import type { MLOpsStateType } from "../graph/state.ts";

/** How a run ended. */
export type RunOutcome =
  | "no_new_data"
  | "data_gate_failed"
  | "rejected"
  | "proposed"
  | "proposed_for_review"
  | "paused"
  | "incomplete";

/** Outcomes that stop a manifest: a person has to act before it can ship. */
export const HALTED_OUTCOMES: readonly RunOutcome[] = ["data_gate_failed", "rejected"];

/** The outcome of a finished (not paused) run, from its final state. */
export function outcomeOf(state: MLOpsStateType): RunOutcome {
  if (!state.new_data_path) return "no_new_data";
  if (state.quality_score !== null && !state.model_version) return "data_gate_failed";
  if (state.deployment_decision === "REJECT") return "rejected";
  if (state.promotion) return state.promotion.draft ? "proposed_for_review" : "proposed";
  return "incomplete";
}

const OUTCOME_WORDS: Record<Exclude<RunOutcome, "paused">, string> = {
  no_new_data: "no new data",
  data_gate_failed: "halted: data gate failed",
  rejected: "halted: candidate rejected",
  proposed: "proposed for promotion",
  proposed_for_review: "proposed for human review (draft)",
  incomplete: "incomplete",
};

/** The outcome in words, for the report and the console. */
export function describeOutcome(outcome: RunOutcome, runId: string, paused: string[]): string {
  return outcome === "paused"
    ? `paused before ${paused.join(", ")} (resume with --resume ${runId})`
    : OUTCOME_WORDS[outcome];
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
  services?: Partial<AppServices>;
  /** Where secrets and GitHub settings are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  /**
   * After a halted run, push the record that keeps the halted manifest from being retried
   * (`refs/mlops/rejected/*`) to origin, so it outlives an ephemeral runner (Actions).
   */
  pushHaltedRecord?: boolean;
}

/** The result of a finished run. */
export interface RunResult {
  runId: string;
  runDir: string;
  outcome: RunOutcome;
  /** The outcome in words (what report.md's heading says). */
  summary: string;
  /** True for HALTED_OUTCOMES. */
  halted: boolean;
  /** The run's report. */
  reportPath: string;
  /** The job summary: the report's facts, tables and links, with no path of this machine. */
  jobSummary: RunSummary;
  state: MLOpsStateType;
  /** Nodes a paused run resumes at (empty when the run finished). */
  paused: string[];
}

/** A sortable, unique run id. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Pushes `refs/mlops/rejected/*` to origin; a failure is a warning, the run's verdict stands. */
async function pushHaltedRecord(repoDir: string, warn: (m: string) => void): Promise<void> {
  await git(repoDir, ["push", "origin", "refs/mlops/rejected/*:refs/mlops/rejected/*"]).catch(
    (err: Error) => warn(`could not push the halted-manifest record: ${err.message}`),
  );
}

/**
 * Why a run id cannot name a run folder (it becomes `<paths.runs>/<id>` and the checkpoint
 * thread), or undefined: a plain name, so no id reaches outside the runs folder.
 */
export function runIdProblem(id: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id))
    return "is not a plain name of at most 100 letters, digits, '.', '_' and '-' starting with a letter or digit";
  if (id.includes("..")) return 'contains ".."';
  return undefined;
}

/** Runs (or resumes) one pipeline run to its end and writes its report. */
export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const repoDir = resolve(opts.repoDir);
  const config = opts.config ?? loadConfig(join(repoDir, "mlops.config.json"));
  const services = createServices(repoDir, config, opts.services, opts.env, opts.hooks);
  const checkpointPath = resolveIn(repoDir, config.paths.checkpoints);
  mkdirSync(dirname(checkpointPath), { recursive: true });
  const checkpointer = SqliteSaver.fromConnString(checkpointPath);
  const graph = buildGraph({ threshold: config.quality.threshold, checkpointer });
  const runId = opts.resume ?? opts.runId ?? newRunId();
  const badId = runIdProblem(runId);
  if (badId)
    throw new Error(
      `${opts.resume ? "--resume" : "--run-id"} "${runId}" ${badId} (fix: use a run id printed by an earlier run, or letters, digits, ".", "_" and "-")`,
    );
  const invokeConfig = {
    configurable: { thread_id: runId },
    context: { services },
    recursionLimit: 25,
  };
  const runDir = services.runDir(runId);
  const files = runFolder(runDir);
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
    await mkdir(runDir, { recursive: true });
    let state: MLOpsStateType;
    try {
      state = (await graph.invoke(input, {
        ...invokeConfig,
        interruptBefore: opts.stopBefore ? [opts.stopBefore as never] : undefined,
      })) as MLOpsStateType;
    } catch (err) {
      const snapshot = await graph.getState(invokeConfig);
      const failedAt = snapshot.next.join(", ") || "unknown node";
      // A manifest changed under a run cannot be resumed: its bytes were not what was checked.
      const next =
        err instanceof ManifestChangedError
          ? `Start a new run: npm run pipeline -- --repo ${repoDir}`
          : `After fixing the cause, resume with: npm run pipeline -- --repo ${repoDir} --resume ${runId}`;
      const message = `Run ${runId} failed in ${failedAt}: ${(err as Error).message}\nNothing was promoted. ${next}`;
      await writeFile(files.state, JSON.stringify(snapshot.values, null, 2) + "\n");
      // The report travels in the run's artifact: the repository is "." there, not this machine's path.
      await writeFile(
        files.report,
        `# Run ${runId}: failed in ${failedAt}\n\n\`\`\`\n${message.replaceAll(repoDir, ".")}\n\`\`\`\n`,
      );
      throw new Error(message, { cause: err });
    }
    const paused = (await graph.getState(invokeConfig)).next;
    const outcome: RunOutcome = paused.length ? "paused" : outcomeOf(state);
    const summary = describeOutcome(outcome, runId, [...paused]);
    const reportPath = files.report;
    await writeFile(files.state, JSON.stringify(state, null, 2) + "\n");
    const places = { runDir: resolve(runDir), repoDir };
    await writeFile(reportPath, renderRunReport(state, config, summary, places));
    const env = opts.env ?? process.env;
    const jobSummary = renderRunSummary(state, config, summary, {
      ...places,
      artifactUrl: artifactUrlOf(env),
      // The pipeline workflow's names: a paused run's folder travels with its thread.
      artifactName: `${paused.length ? "mlops-thread" : "mlops-run"}-${runId}`,
    });
    const halted = HALTED_OUTCOMES.includes(outcome);
    if (halted && opts.pushHaltedRecord)
      await pushHaltedRecord(repoDir, opts.hooks?.warn ?? services.log);
    return {
      runId,
      runDir,
      outcome,
      summary,
      halted,
      reportPath,
      jobSummary,
      state,
      paused: [...paused],
    };
  } finally {
    checkpointer.db.close();
  }
}
