/**
 * Where deploy_to_production sends its proposal: a local git branch (the embedded default)
 * or a GitHub branch + pull request. The node builds one `PromotionRequest` and does not
 * know which; the run's environment picks the target (`GITHUB_TOKEN` + `GITHUB_REPOSITORY`,
 * as every Actions job has, select GitHub).
 */
import { commitToBranch } from "../git.ts";
import { gitHubClientFromEnv, type GitHubClient, type RetryPolicy } from "./client.ts";
import { proposePromotion, type LabelSpec } from "./promotion.ts";

/** The proposal, as deploy_to_production builds it. */
export interface PromotionRequest {
  decision: "APPROVE" | "HUMAN_REVIEW";
  baseBranch: string;
  branch: string;
  files: { path: string; content: string | Buffer }[];
  commitMessage: string;
  title: string;
  /** The analysis: the pull request's body. */
  body: string;
}

/** Where the proposal went. */
export interface PromotionResult {
  target: "local-git" | "github";
  branch: string;
  commit: string;
  base: string;
  draft: boolean;
  /** Only on GitHub. */
  pullRequest?: { number: number; url: string; created: boolean };
  warnings: string[];
}

/** A place promotions are proposed. */
export interface PromotionTarget {
  readonly kind: "local-git" | "github";
  propose(request: PromotionRequest): Promise<PromotionResult>;
}

const LABELS = {
  promotion: {
    name: "mlops:promotion",
    color: "1d76db",
    description: "model promotion proposed by mango-mlops",
  },
  APPROVE: {
    name: "mlops:approved",
    color: "0e8a16",
    description: "the analyst approved this model",
  },
  HUMAN_REVIEW: {
    name: "mlops:needs-review",
    color: "fbca04",
    description: "a person must review this model before merging",
  },
} satisfies Record<string, LabelSpec>;

/** Pure: the labels a decision puts on the pull request, and the other decision's label to take off. */
export function decisionLabels(decision: PromotionRequest["decision"]): {
  labels: LabelSpec[];
  remove: string[];
} {
  const other = decision === "APPROVE" ? LABELS.HUMAN_REVIEW : LABELS.APPROVE;
  return { labels: [LABELS.promotion, LABELS[decision]], remove: [other.name] };
}

/** The embedded default: a commit on a local branch (see lib/git.ts); the node writes the body to a file. */
export function localGitPromotionTarget(repoDir: string): PromotionTarget {
  return {
    kind: "local-git",
    async propose(request) {
      const { commit, base } = await commitToBranch(repoDir, {
        baseRef: request.baseBranch,
        branch: request.branch,
        files: request.files,
        message: request.commitMessage,
      });
      return {
        target: "local-git",
        branch: request.branch,
        commit,
        base,
        draft: request.decision === "HUMAN_REVIEW",
        warnings: [],
      };
    },
  };
}

/** GitHub: branch, commit and pull request through the REST API; HUMAN_REVIEW is a draft with reviewers requested. */
export function githubPromotionTarget(
  client: GitHubClient,
  options: { reviewers: string[] },
): PromotionTarget {
  return {
    kind: "github",
    async propose(request) {
      const { labels, remove } = decisionLabels(request.decision);
      const draft = request.decision === "HUMAN_REVIEW";
      const out = await proposePromotion(client, {
        baseBranch: request.baseBranch,
        branch: request.branch,
        files: request.files,
        commitMessage: request.commitMessage,
        title: request.title,
        body: request.body,
        draft,
        labels,
        removeLabels: remove,
        reviewers: options.reviewers,
      });
      return {
        target: "github",
        branch: request.branch,
        commit: out.commit,
        base: out.base,
        draft: out.pullRequest.draft,
        pullRequest: {
          number: out.pullRequest.number,
          url: out.pullRequest.url,
          created: out.created,
        },
        warnings: out.warnings,
      };
    },
  };
}

/**
 * GitHub when `GITHUB_TOKEN` and `GITHUB_REPOSITORY` are set (`GITHUB_API_URL` for GHES,
 * api.github.com otherwise), else local git in `repoDir`. The token decides: Actions sets
 * GITHUB_REPOSITORY in every job, so a job that passes no token (CI, the demo) stays
 * local. A token without a repository is an error naming the variable.
 */
export function promotionTargetFromEnv(
  env: Record<string, string | undefined>,
  options: { repoDir: string; reviewers?: string[]; retry?: Partial<RetryPolicy> },
): PromotionTarget {
  return promotionTargetFor(gitHubClientFromEnv(env, options.retry), options);
}

/** A pull request on GitHub through `client`, or a local branch when there is none. */
export function promotionTargetFor(
  client: GitHubClient | undefined,
  options: { repoDir: string; reviewers?: string[] },
): PromotionTarget {
  return client
    ? githubPromotionTarget(client, { reviewers: options.reviewers ?? [] })
    : localGitPromotionTarget(options.repoDir);
}
