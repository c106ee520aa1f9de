/**
 * `npm run pipeline -- [--repo DIR] [--manifest PATH] [--resume RUN_ID] [--run-id ID]
 * [--stop-before NODE]`: one pipeline run on a repository (app/pipeline.ts).
 */
import { runPipeline } from "../app/pipeline.ts";
import { PAUSABLE_NODES } from "../graph/graph.ts";
import { loadDotEnv } from "../lib/config.ts";
import { runIfMain } from "./main.ts";

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
  const nodes: readonly string[] = PAUSABLE_NODES;
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
  console.log(`\nrun ${result.runId}: ${result.summary}\nreport: ${result.reportPath}`);
}

runIfMain(import.meta.url, main);
