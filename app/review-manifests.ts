/**
 * The pull-request review of dataset manifests: the data gate on each manifest a change
 * adds or changes, the gate of validate_data itself (app/validate.ts, lib/quality/
 * manifest-gate.ts: the model's classes, the threshold, the configured evaluation set and
 * production's training data from the registry), checked here or merged from the shard
 * jobs of the plan (app/review-plan.ts, app/review-shard.ts), and one sticky comment that
 * sums it up. A fault (the photos could not be fetched, a shard that did not finish) leaves
 * a manifest not judged, with its reason: never a verdict on the data.
 */
import { join, resolve } from "node:path";
import type { MlopsConfig } from "../lib/config.ts";
import { isGitHubError } from "../lib/github/client.ts";
import { upsertStickyComment } from "../lib/github/sticky-comment.ts";
import { readManifestFile } from "../lib/manifest-file.ts";
import { StoreAccessError } from "../lib/storage/index.ts";
import { type ManifestReview, notJudgedMessage, renderReviewComment } from "./review-comment.ts";
import { imageFindings, problemFindings } from "./review-findings.ts";
import { type ManifestPlan, changedManifests, manifestId, planReview } from "./review-plan.ts";
import { faultReason, readShardFaults, shardFolder, shardResultFiles } from "./review-shard.ts";
import { gitHubOf, type HostHooks } from "./services.ts";
import { validateManifest } from "./validate.ts";

export type { ManifestReview };

/** Where shard results are merged from: the folder and the plan that made them. */
export interface ReviewShards {
  dir: string;
  plan: ManifestPlan[];
}

/** Why a planned manifest's shards cannot be merged, or the folder to merge them from. */
async function shardsOf(
  manifest: string,
  shards: ReviewShards,
  fork?: string,
): Promise<{ fault: string } | { merge: string[] }> {
  const plan = shards.plan.find((p) => p.manifest === manifest);
  if (!plan?.shards) return { merge: [] };
  const folder = shardFolder(shards.dir, plan);
  const [fault] = await readShardFaults(folder);
  if (fault) return { fault: notJudgedMessage("photos", fault.reason, fork) };
  const missing = plan.shards - (await shardResultFiles(folder)).length;
  if (missing > 0)
    return {
      fault: notJudgedMessage(
        "gate",
        `${missing} of ${plan.shards} shard results are missing (their jobs did not finish)`,
      ),
    };
  return { merge: [folder] };
}

/** Runs the data gate on one manifest, or says why it was not judged; never throws for data. */
async function reviewOne(
  opts: Parameters<typeof reviewManifests>[0],
  manifest: string,
): Promise<ManifestReview> {
  const notJudged = (fault: string): ManifestReview => ({
    manifest,
    verdict: "not_judged",
    quality_score: null,
    images: 0,
    refused: 0,
    findings: [],
    fault,
  });
  const abs = resolve(opts.repoDir, manifest);
  const merge = opts.shards ? await shardsOf(manifest, opts.shards, opts.fork) : { merge: [] };
  if ("fault" in merge) return notJudged(merge.fault);
  const outcome = await validateManifest(
    {
      manifest: abs,
      name: manifest,
      out: join(opts.outDir, manifestId(manifest)),
      config: join(opts.repoDir, "mlops.config.json"),
      repo: opts.repoDir,
      merge: merge.merge,
    },
    { log: opts.log, ...(opts.env ? { env: opts.env } : {}) },
  ).catch((err: Error) =>
    err instanceof StoreAccessError
      ? notJudged(notJudgedMessage("photos", faultReason(err), opts.fork))
      : notJudged(notJudgedMessage("gate", err.message.split("\n")[0]!)),
  );
  if ("verdict" in outcome) return outcome;
  const text = await readManifestFile(abs).then(
    (b) => b.toString("utf8"),
    () => "",
  );
  if (outcome.kind === "unusable") {
    // The reason names the file as the gate opened it; the review names it by its repo path.
    const reason = outcome.reason.replaceAll(abs, manifest);
    return {
      manifest,
      verdict: "fails",
      quality_score: null,
      images: 0,
      refused: 0,
      findings: problemFindings(manifest, text, reason),
      error: reason.slice(0, 2000),
    };
  }
  if (outcome.kind !== "checked") return notJudged(notJudgedMessage("gate", "no verdict"));
  const { report, passed } = outcome.result;
  return {
    manifest,
    verdict: passed ? "passes" : "fails",
    quality_score: report.quality_score,
    images: report.counts.images,
    refused: report.counts.failed,
    findings: imageFindings(manifest, text, report.images),
  };
}

/** Runs the data gate on each manifest (repo paths), checking it here or merging its shards. */
export async function reviewManifests(opts: {
  repoDir: string;
  manifests: string[];
  outDir: string;
  log: (m: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Merge the plan's shard results from this folder instead of checking the images here. */
  shards?: ReviewShards;
  /** The fork ("owner/repo") a pull request comes from, for the words of a fetch fault. */
  fork?: string;
}): Promise<ManifestReview[]> {
  const results: ManifestReview[] = [];
  for (const manifest of opts.manifests) results.push(await reviewOne(opts, manifest));
  return results;
}

/** How the review of a pull request ended. */
export type PullRequestReview =
  | { kind: "no_manifests" }
  | {
      kind: "reviewed";
      results: ManifestReview[];
      /** Manifests below the data gate (the check fails on them). */
      failed: string[];
      /** Manifests not judged: a fault, the check fails as a run error to rerun. */
      notJudged: string[];
      /** The sticky comment's body, also the job summary. */
      body: string;
      /** The comment; `refused` when the token may not comment (the summary still has it). */
      comment: { action: string; url: string; reason?: string };
    };

/** The fork a pull request comes from, when its head repository is not this one. */
export function forkOf(headRepo: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const base = env.GITHUB_REPOSITORY?.trim().toLowerCase();
  return headRepo && base && headRepo.trim().toLowerCase() !== base ? headRepo.trim() : undefined;
}

/**
 * Reviews the training manifests a pull request adds or changes, in one sticky comment;
 * with `shardsDir`, merges the shard jobs' results of the same plan from there.
 */
export async function reviewPullRequest(req: {
  repoDir: string;
  config: MlopsConfig;
  baseSha: string;
  pullRequest: number;
  env: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  log: (m: string) => void;
  shardsDir?: string;
  /** The pull request's head repository ("owner/repo"). */
  headRepo?: string;
  /** Images per shard of the plan the shards were checked by (default IMAGES_PER_SHARD). */
  perShard?: number;
}): Promise<PullRequestReview> {
  const { repoDir, config, env } = req;
  const github = gitHubOf(env, req.hooks);
  if (!github)
    throw new Error(
      "the manifest review needs GitHub to comment: GITHUB_TOKEN and GITHUB_REPOSITORY inside Actions (fix: pass the github_token input)",
    );
  const plan = req.shardsDir ? (await planReview(req)).manifests : undefined;
  const manifests =
    plan?.map((p) => p.manifest) ?? (await changedManifests(repoDir, req.baseSha, config));
  if (!manifests.length) return { kind: "no_manifests" };
  const fork = forkOf(req.headRepo, env);
  const results = await reviewManifests({
    repoDir,
    manifests,
    outDir: join(repoDir, ".mlops", "review"),
    log: req.log,
    // The gate reads photos, never GitHub: it gets no token.
    env: { ...env, GITHUB_TOKEN: undefined },
    ...(plan ? { shards: { dir: resolve(repoDir, req.shardsDir!), plan } } : {}),
    ...(fork ? { fork } : {}),
  });
  const runUrl = env.GITHUB_RUN_ID
    ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined;
  const body = renderReviewComment(results, config.quality.threshold, runUrl);
  const comment = await upsertStickyComment(github, req.pullRequest, "manifest-review", body).catch(
    (err: Error) => {
      // A read-only token (a Dependabot pull request's) may not comment; the verdict stands.
      if (!isGitHubError(err, 403, /not accessible/i)) throw err;
      return { action: "refused", url: "", reason: err.message.split("\n")[0]! };
    },
  );
  const of = (v: ManifestReview["verdict"]) =>
    results.filter((r) => r.verdict === v).map((r) => r.manifest);
  return {
    kind: "reviewed",
    results,
    failed: of("fails"),
    notJudged: of("not_judged"),
    body,
    comment,
  };
}
