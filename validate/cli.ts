/**
 * `npm run validate -- --manifest M --out DIR`: validate_data alone, outside the graph.
 * Writes DIR/quality.json (quality_score, the per-check breakdown, per image its findings),
 * DIR/report.md and DIR/contact-sheet.jpg. For big manifests a matrix of jobs checks one
 * shard each (`--shard K/N` writes DIR/shard-K-of-N.json) and one job merges them
 * (`--merge FILE|DIR,...`), which scores the whole batch as a single job would.
 *
 * The batch is judged against what the pipeline judges it against (lib/quality/context.ts):
 * the configured evaluation set and production's training data in the repository of the
 * config (`--repo` for another); `--eval` and `--trained` replace those.
 *
 * Exit code: 0 when the batch passes the gate, 2 when it does not, 1 on an error.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { configDir, loadConfig, loadDotEnv, type MlopsConfig, resolveIn } from "../lib/config.ts";
import {
  formatManifestProblems,
  ManifestError,
  type Manifest,
  readManifest,
} from "../lib/manifest.ts";
import {
  checkShard,
  dataGateContext,
  parseShardSpec,
  runDataGate,
  type ShardResult,
} from "../lib/quality/index.ts";
import { Registry } from "../lib/registry.ts";
import { fetchVerified, HashCache, openStore } from "../lib/storage/index.ts";
import { vlmNotConfiguredReason } from "../lib/vlm/settings.ts";

/** The CLI's options. */
export interface ValidateArgs {
  manifest: string;
  out: string;
  config?: string;
  /** The repository whose registry and evaluation set the batch is compared with (default: the config's folder). */
  repo?: string;
  /** Evaluation manifest instead of the configured one ("none" for none): copies of its images are leakage. */
  eval?: string;
  /** Manifests already trained on, instead of production's: copies, label balance and shift are judged against them. */
  trained?: string[];
  shard?: { index: number; count: number };
  merge: string[];
}

const USAGE =
  "usage: npm run validate -- --manifest M --out DIR [--config mlops.config.json] [--repo DIR] [--eval E|none] [--trained M1,M2] [--shard K/N | --merge FILE|DIR,...]";

/** Parses the flags; unknown flags and missing values are errors naming the flag. */
export function parseValidateArgs(argv: string[]): ValidateArgs {
  const known = [
    "--manifest",
    "--out",
    "--config",
    "--repo",
    "--eval",
    "--trained",
    "--shard",
    "--merge",
  ];
  const v: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") throw new Error(USAGE);
    if (!known.includes(flag))
      throw new Error(`unknown option "${flag}" (known: ${known.join(", ")})\n${USAGE}`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--"))
      throw new Error(`${flag} needs a value\n${USAGE}`);
    v[flag.slice(2)] = value;
  }
  if (!v.manifest || !v.out) throw new Error(`--manifest and --out are required\n${USAGE}`);
  if (v.shard && v.merge)
    throw new Error(
      `--shard and --merge are separate steps: check each shard, then merge them\n${USAGE}`,
    );
  const list = (s?: string) =>
    s
      ? s
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
    ...(v.shard ? { shard: parseShardSpec(v.shard) } : {}),
    merge: list(v.merge),
  };
}

async function readShards(paths: string[]): Promise<ShardResult[]> {
  const files: string[] = [];
  for (const p of paths) {
    if (p.endsWith(".json")) files.push(p);
    else
      files.push(
        ...(await readdir(p))
          .filter((f) => /^shard-\d+-of-\d+\.json$/.test(f))
          .map((f) => join(p, f)),
      );
  }
  if (!files.length)
    throw new Error(
      `--merge ${paths.join(",")}: no shard-K-of-N.json files found (fix: point it at the shard jobs' output files or folders)`,
    );
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(f, "utf8")) as ShardResult));
}

/** Runs the CLI; returns the exit code. `log` receives progress and the verdict. */
export async function runValidate(
  args: ValidateArgs,
  log: (m: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const configPath = resolve(args.config ?? "mlops.config.json");
  loadDotEnv(configDir(configPath));
  const config: MlopsConfig = loadConfig(configPath, env);
  const baseDir = configDir(configPath);
  let manifest: Manifest;
  try {
    manifest = await readManifest(resolve(args.manifest));
  } catch (err) {
    if (err instanceof ManifestError) {
      log(`the manifest cannot be used:\n${formatManifestProblems(err.problems)}`);
      return 1;
    }
    throw err;
  }
  const s3 = {
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.force_path_style,
  };
  const open = (uri: string) => openStore(uri, s3);
  const cache = new HashCache(resolveIn(baseDir, config.paths.cache));
  const store = open(manifest.base_uri);
  const load = async (img: Manifest["images"][number]) =>
    (await fetchVerified(store, img.key, img.sha256, cache)).bytes;
  const out = resolve(args.out);
  await mkdir(out, { recursive: true });

  if (args.shard) {
    const { index, count } = args.shard;
    const result = await checkShard({
      manifest,
      load,
      config: config.quality.checks,
      concurrency: config.quality.concurrency,
      shard: args.shard,
    });
    const file = join(out, `shard-${index + 1}-of-${count}.json`);
    await writeFile(file, JSON.stringify(result) + "\n");
    log(
      `checked images ${result.shard.start}-${result.shard.end - 1} of ${manifest.images.length} (shard ${index + 1}/${count}): ${file}`,
    );
    return 0;
  }

  const repoDir = resolve(args.repo ?? baseDir);
  const earlier = await dataGateContext({
    repoDir,
    config,
    manifestPath: resolve(args.manifest),
    registry: new Registry(repoDir, config.paths.registry, config.model_name),
    ...(args.eval ? { evalManifest: args.eval === "none" ? null : resolve(args.eval) } : {}),
    ...(args.trained ? { trainedManifests: args.trained.map((t) => resolve(t)) } : {}),
    openStore: open,
    cache,
    memoDir: cache.dir,
  });
  const reason = vlmNotConfiguredReason(config.quality.vlm);
  const reviewer = reason
    ? { reason }
    : (await import("../lib/vlm/client.ts")).vlmReviewerFromSettings(config.quality.vlm, env, {
        log,
      });
  const result = await runDataGate({
    manifest,
    manifestName: args.manifest,
    load,
    quality: config.quality,
    ...(args.merge.length ? { shards: await readShards(args.merge) } : {}),
    earlier: earlier.earlier,
    notes: earlier.notes,
    modelClasses: earlier.modelClasses,
    ...(earlier.previousLabels ? { previousLabels: earlier.previousLabels } : {}),
    reviewer,
    outDir: out,
    markdownName: "report.md",
    log,
  });
  const r = result.report;
  log(
    `quality_score ${r.quality_score.toFixed(1)}/10 (threshold ${config.quality.threshold}): ${result.passed ? "PASS" : "FAIL"}; ${r.counts.failed} of ${r.counts.images} images refused`,
  );
  log(
    `wrote ${result.paths.json}, ${result.paths.markdown}${result.paths.contactSheet ? `, ${result.paths.contactSheet}` : ""}`,
  );
  if (result.failure_analysis) log(result.failure_analysis);
  return result.passed ? 0 : 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  Promise.resolve()
    .then(() => runValidate(parseValidateArgs(process.argv.slice(2))))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exitCode = 1;
      },
    );
}
