/**
 * The manifest-review action's use case, in the three modes of its workflow's jobs: `plan`
 * (the matrix of shards), `shard` (one shard checked) and `review` (the shards merged, the
 * sticky comment, the verdict). Each ends in an `ActionReport`: outputs, error annotations
 * (a refused image on its manifest line), a job summary and, when the check fails, why;
 * the entry applies it as it is.
 */
import type { MlopsConfig } from "../lib/config.ts";
import { notJudgedMessage } from "./review-comment.ts";
import { type PullRequestReview, reviewPullRequest } from "./review-manifests.ts";
import { planReview } from "./review-plan.ts";
import { checkReviewShard, type ShardOutcome } from "./review-shard.ts";
import type { HostHooks } from "./services.ts";

/** GitHub shows at most 10 error annotations of a step (`core.setFailed` is one of them). */
export const ANNOTATIONS_PER_STEP = 10;

/** The modes of the action. */
export const REVIEW_MODES = ["plan", "shard", "review"] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

/** An error annotation: a message, and where it points when it is about a line. */
export interface Annotation {
  message: string;
  title?: string;
  file?: string;
  startLine?: number;
}

/** What the action does with an outcome. */
export interface ActionReport {
  outputs: Record<string, string>;
  info: string[];
  /** At most `ANNOTATIONS_PER_STEP`, counting the failure's own. */
  errors: Annotation[];
  summary?: string;
  /** Set when the check fails: why, in one line. */
  failure?: string;
}

/** The action's inputs, as strings (undefined when empty). */
export interface ManifestReviewRequest {
  mode: string;
  repoDir: string;
  config: MlopsConfig;
  baseSha: string;
  pullRequest?: string;
  manifest?: string;
  shard?: string;
  shardsDir?: string;
  headRepo?: string;
  env: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  log: (m: string) => void;
}

function required(value: string | undefined, name: string, mode: string, hint: string): string {
  if (!value) throw new Error(`input ${name} is required in ${mode} mode: ${hint}`);
  return value;
}

function shardReport(outcome: ShardOutcome): ActionReport {
  if (outcome.kind === "checked")
    return {
      outputs: {},
      errors: [],
      info: [
        `checked images ${outcome.start}-${outcome.end - 1} (shard ${outcome.shard}): ${outcome.file}`,
      ],
    };
  if (outcome.kind === "unusable")
    return {
      outputs: {},
      errors: [],
      info: [`${outcome.manifest} cannot be used; the review job says why`],
    };
  return {
    outputs: {},
    info: [`wrote ${outcome.file} for the review job`],
    errors: [
      {
        title: "Manifest review: photos not fetched",
        message: `shard ${outcome.shard} of ${outcome.manifest}: ${notJudgedMessage("photos", outcome.reason)}`,
      },
    ],
    failure: `shard ${outcome.shard} of ${outcome.manifest} was not checked: a fault to rerun, not a verdict on the data`,
  };
}

/**
 * The review's report: manifests not judged first, then each refused image (or problem of
 * an unusable manifest) on its manifest line, capped at what GitHub shows of a step.
 */
export function reviewReport(review: PullRequestReview): ActionReport {
  if (review.kind === "no_manifests")
    return { outputs: { passed: "true" }, errors: [], info: ["no training manifest changed"] };
  const { results, failed, notJudged, comment } = review;
  const info = [
    comment.action === "refused"
      ? `the review comment was refused (${comment.reason}); the job summary holds it`
      : `review comment ${comment.action}: ${comment.url}`,
  ];
  const faults: Annotation[] = results
    .filter((r) => r.verdict === "not_judged")
    .map((r) => ({ title: "Manifest review: not judged", message: `${r.manifest}: ${r.fault}` }));
  // A refused image is annotated in a batch that passes too: training leaves it out.
  const lines: Annotation[] = results
    .flatMap((r) => r.findings)
    .map((f) => ({
      title: f.checks.length
        ? `Data gate: ${f.checks.join(", ")}`
        : "Data gate: manifest cannot be used",
      message: f.key === undefined ? f.message : `${f.key}: ${f.message}`,
      file: f.file,
      startLine: f.line,
    }));
  const failing = failed.length + notJudged.length > 0;
  const budget = ANNOTATIONS_PER_STEP - (failing ? 1 : 0);
  const errors = [...faults, ...lines].slice(0, budget);
  const shown = errors.length - Math.min(faults.length, errors.length);
  const more = lines.length - shown;
  const annotated =
    more > 0
      ? `; ${shown} findings are annotated on their manifest lines, ${more} more are in the pull request comment and the full report`
      : "";
  const failure = notJudged.length
    ? `${notJudged.join(", ")} not judged: a fault to rerun, not a verdict on the data (see the errors above)${failed.length ? `; ${failed.join(", ")} below the data gate` : ""}`
    : failed.length
      ? `${failed.join(", ")} below the data gate (see the pull request comment)${annotated}`
      : undefined;
  return {
    outputs: { passed: String(!failing), not_judged: String(notJudged.length > 0) },
    info,
    errors,
    summary: review.body,
    ...(failure ? { failure } : {}),
  };
}

/** Runs the action's mode on its inputs. */
export async function runManifestReview(req: ManifestReviewRequest): Promise<ActionReport> {
  const { mode } = req;
  if (!(REVIEW_MODES as readonly string[]).includes(mode))
    throw new Error(`input mode: expected one of ${REVIEW_MODES.join(", ")}, received "${mode}"`);
  if (mode === "plan") {
    const plan = await planReview(req);
    return {
      outputs: {
        matrix: JSON.stringify(plan.matrix),
        shards: String(plan.shards),
        manifests: String(plan.manifests.length),
      },
      errors: [],
      info: plan.manifests.map((m) =>
        m.shards
          ? `${m.manifest}: ${m.images} images in ${m.shards} shard${m.shards > 1 ? "s" : ""}`
          : `${m.manifest}: cannot be used; the review job says why without checking an image`,
      ),
    };
  }
  if (mode === "shard")
    return shardReport(
      await checkReviewShard({
        ...req,
        manifest: required(req.manifest, "manifest", mode, "pass ${{ matrix.manifest }}"),
        shard: required(req.shard, "shard", mode, "pass ${{ matrix.shard }}"),
        shardsDir: required(
          req.shardsDir,
          "shards_dir",
          mode,
          "pass the folder the check job uploads",
        ),
      }),
    );
  const prInput = required(
    req.pullRequest,
    "pull_request",
    mode,
    "pass ${{ github.event.pull_request.number }}",
  );
  const pullRequest = Number(prInput);
  if (!Number.isInteger(pullRequest) || pullRequest <= 0)
    throw new Error(`input pull_request: expected a pull request number, received "${prInput}"`);
  // Without shards_dir the review checks every image itself, in one job.
  return reviewReport(await reviewPullRequest({ ...req, pullRequest }));
}
