/**
 * `npm run validate -- --manifest M --out DIR`: validate_data alone, outside the graph
 * (app/validate.ts). Writes DIR/quality.json (quality_score, the per-check breakdown, per
 * image its findings), DIR/report.md and DIR/contact-sheet.jpg. For big manifests a matrix
 * of jobs checks one shard each (`--shard K/N` writes DIR/shard-K-of-N.json) and one job
 * merges them (`--merge FILE|DIR,...`), which scores the whole batch as a single job would.
 *
 * Exit code: 0 when the batch passes the gate, 2 when it does not, 1 on an error or a
 * manifest that cannot be used. A store that cannot be reached, times out or refuses the
 * credentials is such an error, never a verdict: nothing is judged, the message names the
 * store, and the same command succeeds once the store is back.
 */
import { exitCodeOf, validateManifest, type ValidateRequest } from "../app/validate.ts";
import { parseShardSpec } from "../lib/quality/index.ts";
import { parseFlags, runIfMain, UsageError } from "./main.ts";

const USAGE =
  "usage: npm run validate -- --manifest M --out DIR [--config mlops.config.json] [--repo DIR] [--eval E|none] [--trained M1,M2] [--shard K/N | --merge FILE|DIR,...]";

/** Parses the flags; an unknown flag or a missing value is a UsageError naming it. */
export function parseValidateArgs(argv: string[]): ValidateRequest {
  const s = { type: "string" } as const;
  const v = parseFlags(
    argv,
    { manifest: s, out: s, config: s, repo: s, eval: s, trained: s, shard: s, merge: s },
    USAGE,
  );
  if (!v.manifest || !v.out) throw new UsageError(`--manifest and --out are required\n${USAGE}`);
  if (v.shard && v.merge)
    throw new UsageError(
      `--shard and --merge are separate steps: check each shard, then merge them\n${USAGE}`,
    );
  const list = (text?: string) =>
    text
      ? text
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)
      : [];
  return {
    manifest: v.manifest,
    out: v.out,
    config: v.config,
    repo: v.repo,
    eval: v.eval,
    ...(v.trained ? { trained: list(v.trained) } : {}),
    ...(v.shard ? { shard: shardOf(v.shard) } : {}),
    merge: list(v.merge),
  };
}

function shardOf(spec: string): { index: number; count: number } {
  try {
    return parseShardSpec(spec);
  } catch (err) {
    throw new UsageError(`--shard: ${(err as Error).message}\n${USAGE}`);
  }
}

/** Runs the CLI on parsed flags; returns the exit code. `log` receives progress and the verdict. */
export async function runValidate(
  args: ValidateRequest,
  log: (m: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const outcome = await validateManifest(args, { log, env });
  switch (outcome.kind) {
    case "shard_checked":
      log(
        `checked images ${outcome.start}-${outcome.end - 1} of ${outcome.total} (shard ${outcome.index + 1}/${outcome.count}): ${outcome.file}`,
      );
      break;
    case "unusable":
      log(`the manifest cannot be used:\n${outcome.reason}`);
      break;
    case "checked": {
      const { report, paths, passed, failure_analysis } = outcome.result;
      log(
        `quality_score ${report.quality_score.toFixed(1)}/10 (threshold ${outcome.threshold}): ${passed ? "PASS" : "FAIL"}; ${report.counts.failed} of ${report.counts.images} images refused`,
      );
      log(
        `wrote ${paths.json}, ${paths.markdown}${paths.contactSheet ? `, ${paths.contactSheet}` : ""}`,
      );
      if (failure_analysis) log(failure_analysis);
    }
  }
  return exitCodeOf(outcome);
}

runIfMain(import.meta.url, () => runValidate(parseValidateArgs(process.argv.slice(2))));
