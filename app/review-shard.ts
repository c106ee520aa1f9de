/**
 * One shard job of the manifest review: the images of shard K/N of a planned manifest
 * measured as `npm run validate -- --shard K/N` measures them (app/validate.ts), written to
 * `<shardsDir>/<id>/shard-K-of-N.json`, where the review's merge reads them. A store fault
 * (the photos could not be fetched) is no result: its reason is written beside, as
 * `shard-K-of-N.fault.json`, so the merge can say why instead of judging the data, and the
 * job fails, so that "Re-run failed jobs" checks the shard again.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { MlopsConfig } from "../lib/config.ts";
import { parseShardSpec } from "../lib/quality/index.ts";
import { StoreAccessError } from "../lib/storage/index.ts";
import { type ManifestPlan, planReview } from "./review-plan.ts";
import { validateManifest } from "./validate.ts";

/** A shard that could not be checked, as its job writes it for the merge. */
export interface ShardFault {
  manifest: string;
  /** "K/N". */
  shard: string;
  /** The store's error, without the advice to retry (the review says what to do). */
  reason: string;
}

/** How a shard job ended. */
export type ShardOutcome =
  | { kind: "checked"; manifest: string; shard: string; file: string; start: number; end: number }
  | { kind: "unusable"; manifest: string; reason: string }
  | { kind: "fault"; manifest: string; shard: string; file: string; reason: string };

/** The folder of a planned manifest's shard results under `shardsDir`. */
export function shardFolder(shardsDir: string, plan: Pick<ManifestPlan, "id">): string {
  return join(shardsDir, plan.id);
}

/** A store fault's message up to the advice every one of them ends with. */
export function faultReason(err: StoreAccessError): string {
  return err.message.replace(/\. The store could not be used, which says nothing.*$/s, "");
}

/** The faults written in a shard folder (none when it does not exist). */
export async function readShardFaults(folder: string): Promise<ShardFault[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const faults = names.filter((n) => /^shard-\d+-of-\d+\.fault\.json$/.test(n)).sort();
  return Promise.all(
    faults.map(async (n) => JSON.parse(await readFile(join(folder, n), "utf8")) as ShardFault),
  );
}

/** Shard results (shard-K-of-N.json) in a shard folder. */
export async function shardResultFiles(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort();
}

/** Checks shard `shard` ("K/N") of `manifest`, one of the manifests the plan lists. */
export async function checkReviewShard(req: {
  repoDir: string;
  config: MlopsConfig;
  baseSha: string;
  manifest: string;
  shard: string;
  shardsDir: string;
  env: NodeJS.ProcessEnv;
  log: (m: string) => void;
  /** Images per shard of the plan (default IMAGES_PER_SHARD). */
  perShard?: number;
}): Promise<ShardOutcome> {
  const { repoDir, manifest } = req;
  const { index, count } = parseShardSpec(req.shard);
  const plan = (await planReview(req)).manifests.find((m) => m.manifest === manifest);
  if (!plan)
    throw new Error(
      `manifest ${JSON.stringify(manifest)} is not one the pull request adds or changes (fix: pass a manifest of the plan job's matrix)`,
    );
  if (plan.shards !== count)
    throw new Error(
      `shard ${req.shard} of ${manifest}: the plan checks it in ${plan.shards} shards, not ${count} (fix: pass the shard of the plan job's matrix)`,
    );
  const out = resolve(repoDir, shardFolder(req.shardsDir, plan));
  const shard = `${index + 1}/${count}`;
  const faultFile = join(out, `shard-${index + 1}-of-${count}.fault.json`);
  try {
    const outcome = await validateManifest(
      {
        manifest: resolve(repoDir, manifest),
        name: manifest,
        out,
        config: join(repoDir, "mlops.config.json"),
        repo: repoDir,
        shard: { index, count },
        merge: [],
      },
      { log: req.log, env: req.env },
    );
    if (outcome.kind === "unusable") return { kind: "unusable", manifest, reason: outcome.reason };
    if (outcome.kind !== "shard_checked") throw new Error(`shard ${shard}: no shard was checked`);
    // A fault of an earlier attempt is stale once the shard is checked.
    await rm(faultFile, { force: true });
    return {
      kind: "checked",
      manifest,
      shard,
      file: outcome.file,
      start: outcome.start,
      end: outcome.end,
    };
  } catch (err) {
    if (!(err instanceof StoreAccessError)) throw err;
    const fault: ShardFault = { manifest, shard, reason: faultReason(err) };
    await mkdir(out, { recursive: true });
    await writeFile(faultFile, JSON.stringify(fault, null, 2) + "\n");
    return { kind: "fault", file: faultFile, ...fault };
  }
}
