/**
 * The data gate as a use case of its own, outside the graph: one manifest file judged as
 * the pipeline judges it (lib/quality/manifest-gate.ts), against the configured evaluation
 * set and production's training data of the config's repository unless the request names
 * others; or one shard of its images checked, for a matrix of jobs that a later request
 * merges. `npm run validate` (cli/validate.ts) and the manifest review run it.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { configDir, loadConfig, loadDotEnv } from "../lib/config.ts";
import {
  checkShard,
  type DataGateResult,
  gateManifest,
  openManifest,
  type ShardResult,
} from "../lib/quality/index.ts";
import { fetchVerified } from "../lib/storage/index.ts";
import { createServices } from "./services.ts";

/** `npm run validate` names its markdown report report.md (the run folder: quality.md). */
const VALIDATE_REPORT = "report.md";

/** What to validate, and against what. */
export interface ValidateRequest {
  manifest: string;
  /** How reports and messages name the manifest (default: `manifest` as given). */
  name?: string;
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

/** How a validation ended. */
export type ValidateOutcome =
  | {
      kind: "shard_checked";
      file: string;
      index: number;
      count: number;
      start: number;
      end: number;
      total: number;
    }
  | { kind: "unusable"; reason: string }
  | { kind: "checked"; threshold: number; result: DataGateResult; rejected: string[] };

/**
 * 0 when the batch passes (or a shard was checked), 2 below the gate, 1 when unusable. A
 * fault of a store is no outcome: `validateManifest` throws it (a `StoreAccessError`
 * naming the store), and the entry point exits 1.
 */
export function exitCodeOf(outcome: ValidateOutcome): 0 | 1 | 2 {
  if (outcome.kind === "unusable") return 1;
  if (outcome.kind === "checked") return outcome.result.passed ? 0 : 2;
  return 0;
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

/** Validates one manifest (or one shard of it) and writes the reports to `req.out`. */
export async function validateManifest(
  req: ValidateRequest,
  opts: { log: (m: string) => void; env?: NodeJS.ProcessEnv },
): Promise<ValidateOutcome> {
  const env = opts.env ?? process.env;
  const configPath = resolve(req.config ?? "mlops.config.json");
  const baseDir = configDir(configPath);
  loadDotEnv(baseDir);
  const config = loadConfig(configPath, env);
  const repoDir = resolve(req.repo ?? baseDir);
  const services = createServices(repoDir, config, { log: opts.log }, env);
  const out = resolve(req.out);
  await mkdir(out, { recursive: true });

  if (req.shard) {
    const path = resolve(req.manifest);
    const opened = await openManifest(path, req.name ?? req.manifest, config, services.openStore);
    if ("reason" in opened) return { kind: "unusable", reason: opened.reason };
    const { manifest, store } = opened;
    const { index, count } = req.shard;
    const result = await checkShard({
      manifest,
      load: async (img) => (await fetchVerified(store, img.key, img.sha256, services.cache)).bytes,
      config: config.quality.checks,
      concurrency: config.quality.concurrency,
      shard: req.shard,
    });
    const file = join(out, `shard-${index + 1}-of-${count}.json`);
    await writeFile(file, JSON.stringify(result) + "\n");
    const { start, end } = result.shard;
    return { kind: "shard_checked", file, index, count, start, end, total: manifest.images.length };
  }

  const outcome = await gateManifest({
    repoDir,
    config,
    manifestPath: resolve(req.manifest),
    manifestName: req.name ?? req.manifest,
    registry: services.registry,
    openStore: services.openStore,
    cache: services.cache,
    reviewer: services.vlm,
    outDir: out,
    markdownName: VALIDATE_REPORT,
    ...(req.eval ? { evalManifest: req.eval === "none" ? null : resolve(req.eval) } : {}),
    ...(req.trained ? { trainedManifests: req.trained.map((t) => resolve(t)) } : {}),
    ...(req.merge.length ? { shards: await readShards(req.merge) } : {}),
    log: opts.log,
  });
  if (outcome.kind === "unusable") return { kind: "unusable", reason: outcome.reason };
  return {
    kind: "checked",
    threshold: config.quality.threshold,
    result: outcome.result,
    rejected: outcome.rejected,
  };
}
