/**
 * `npm run pipeline -- [--repo DIR] [--manifest PATH] [--resume RUN_ID] [--run-id ID]
 * [--stop-before NODE]`: one pipeline run on a repository (app/pipeline.ts).
 */
import { PAUSABLE_NODES } from "../graph/graph.ts";
import { loadDotEnv } from "../lib/config.ts";
import { parseFlags, runIfMain, UsageError } from "./main.ts";

const USAGE =
  "usage: npm run pipeline -- [--repo DIR] [--manifest data-manifests/X.json] [--resume RUN_ID] [--run-id ID] [--stop-before NODE]";

/** Parses the CLI's flags; an unknown flag or a bad value is a UsageError with the usage. */
export function parseRunArgs(argv: string[]): {
  repo: string;
  manifest?: string;
  resume?: string;
  runId?: string;
  stopBefore?: string;
} {
  const v = parseFlags(
    argv,
    {
      repo: { type: "string" },
      manifest: { type: "string" },
      resume: { type: "string" },
      "run-id": { type: "string" },
      "stop-before": { type: "string" },
    },
    USAGE,
  );
  const nodes: readonly string[] = PAUSABLE_NODES;
  if (v["stop-before"] && !nodes.includes(v["stop-before"])) {
    throw new UsageError(
      `--stop-before "${v["stop-before"]}" is not a node that can be paused before (one of: ${nodes.join(", ")})\n${USAGE}`,
    );
  }
  return {
    repo: v.repo ?? process.cwd(),
    manifest: v.manifest,
    resume: v.resume,
    runId: v["run-id"],
    stopBefore: v["stop-before"],
  };
}

async function main(): Promise<void> {
  const args = parseRunArgs(process.argv.slice(2));
  loadDotEnv(args.repo);
  // Loaded after the flags: --help answers before LangGraph and SQLite load.
  const { runPipeline } = await import("../app/pipeline.ts");
  const result = await runPipeline({
    repoDir: args.repo,
    manifest: args.manifest,
    resume: args.resume,
    runId: args.runId,
    stopBefore: args.stopBefore,
  });
  console.log(`\nrun ${result.runId}: ${result.summary}\nreport: ${result.reportPath}`);
}

runIfMain(import.meta.url, main);
