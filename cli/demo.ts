/**
 * `npm run demo`: the pipeline's main job on the embedded default (no cloud, no keys): the
 * four scenarios of app/demo.ts (bootstrap, a clear win, a lost critical class, a bad
 * batch) in a scratch repository under `.mlops/demo/`, then a table of what each decided
 * and why. Exits 1 when a scenario does not end as the README promises.
 *
 * Environment: DEMO_DIR (workspace), DEMO_PER_CLASS, DEMO_EVAL_PER_CLASS, DEMO_EPOCHS,
 * DEMO_SEED (another draw of the same photos' stories).
 */
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brokenPromises, DEMO_SIZES, type DemoRow, demoTraining } from "../app/demo.ts";
import { parseFlags, runIfMain } from "./main.ts";

const projectDir = resolve(fileURLToPath(import.meta.url), "../..");

/** A whole number from the environment, or the default; throws naming the variable. */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(
      `${name}: expected a whole number of at least ${min}, received "${raw}" (fix: set it to e.g. ${fallback}, or unset it)`,
    );
  return n;
}

const pct = (x: number | undefined) => (x === undefined ? "–" : `${(x * 100).toFixed(1)}%`);

/** The numbers behind a row's decision: the candidate's, with production's beside them. */
export function evidence(row: DemoRow, critical: string): string {
  const s = row.result.state;
  const c = s.candidate_metrics;
  if (!c) return s.quality_score === null ? "–" : "nothing trained";
  const p = s.production_metrics;
  const was = (x: number | undefined) => (p ? ` (${s.production_version} ${pct(x)})` : "");
  const check = (name: string) => s.policy_verdicts.find((v) => v.check === name);
  const loss = check("statistics.no_clear_loss");
  const win = check("statistics.clear_win");
  const reading = !win
    ? []
    : loss && !loss.passed
      ? ["a clear loss"]
      : [win.passed ? "a clear win" : "no clear win"];
  return [
    `${s.model_version} accuracy ${pct(c.accuracy)}${was(p?.accuracy)}`,
    `${critical} F1 ${pct(c.per_class[critical]?.f1)}${was(p?.per_class[critical]?.f1)}`,
    ...reading,
  ].join(", ");
}

const USAGE = `usage: npm run demo   (no flags; the environment sizes it)
  DEMO_DIR             workspace (default .mlops/demo; wiped and rebuilt on each run)
  DEMO_PER_CLASS       training photos per class and batch (default ${DEMO_SIZES.perClass})
  DEMO_EVAL_PER_CLASS  evaluation photos per class (default ${DEMO_SIZES.evalPerClass})
  DEMO_EPOCHS          training epochs (default 8)
  DEMO_SEED            another draw of the same scenarios (default 0)`;

async function main(): Promise<void> {
  // Before anything is wiped or trained: --help, and no flag the demo does not take.
  parseFlags(process.argv.slice(2), {}, USAGE);
  const { runDemo } = await import("../app/demo.ts");
  const env = process.env;
  const started = Date.now();
  const { rows, config } = await runDemo({
    workspace: resolve(env.DEMO_DIR ?? join(projectDir, ".mlops", "demo")),
    sizes: {
      perClass: envInt(env, "DEMO_PER_CLASS", DEMO_SIZES.perClass),
      evalPerClass: envInt(env, "DEMO_EVAL_PER_CLASS", DEMO_SIZES.evalPerClass),
    },
    seed: envInt(env, "DEMO_SEED", 0, 0),
    configure: demoTraining(envInt(env, "DEMO_EPOCHS", 8)),
  });
  const critical = config.policy.critical_class;
  console.log("\n| scenario | manifest | quality | decision | evidence | outcome | s | report |");
  console.log("| --- | --- | ---: | --- | --- | --- | ---: | --- |");
  for (const row of rows) {
    const s = row.result.state;
    console.log(
      `| ${row.scenario} | ${s.new_data_path ?? "–"} | ${s.quality_score?.toFixed(1) ?? "–"} | ${row.decision ?? "–"} | ${evidence(row, critical)} | ${row.result.summary}${s.promotion ? ` (${s.promotion.branch})` : ""} | ${row.seconds.toFixed(0)} | ${relative(process.cwd(), row.reportPath)} |`,
    );
  }
  console.log(`\ndemo wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const broken = brokenPromises(rows);
  if (broken.length) {
    console.error(`unexpected outcomes: ${broken.join("; ")}`);
    process.exitCode = 1;
  }
}

runIfMain(import.meta.url, main, "demo failed");
