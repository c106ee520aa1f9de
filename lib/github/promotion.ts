/**
 * The promotion proposal on GitHub: one commit with the registry change on
 * `mlops/<model>-vN`, built through the git data API (no checkout, no clone), and one
 * pull request from that branch whose body is the analysis. Every step is written to be
 * rerun: an existing branch is moved, an existing pull request is updated, existing
 * labels are reused, and a 422 "already exists" (a concurrent run, or a create whose
 * answer was lost and retried) is reconciled by finding what exists. Never two PRs.
 *
 * The commit and branch are remote-branch.ts; the pull request, its labels and reviewers
 * pull-request.ts.
 */
import { fitToBodyLimit, GITHUB_BODY_LIMIT, type GitHubClient } from "./client.ts";
import {
  applyLabels,
  NOT_A_DRAFT_ROOM,
  requestReviewers,
  upsertPullRequest,
} from "./pull-request.ts";
import {
  assertPullRequestsPermitted,
  commitToRemoteBranch,
  restoreBranch,
} from "./remote-branch.ts";

/** One file of the registry change. */
export interface PromotionFile {
  path: string;
  content: string | Buffer;
}

/** A label to put on the pull request; created with this colour when missing. */
export interface LabelSpec {
  name: string;
  color?: string;
  description?: string;
}

/** What to propose. */
export interface PromotionProposal {
  baseBranch: string;
  branch: string;
  files: PromotionFile[];
  commitMessage: string;
  title: string;
  body: string;
  /**
   * The body composed once the commit exists (it links the commit's files); when given,
   * `body` is not used.
   */
  composeBody?: (commit: string) => string;
  /** Opened as a draft (HUMAN_REVIEW); reviewers are requested only then. */
  draft: boolean;
  labels: (string | LabelSpec)[];
  /** Labels to take off when present (e.g. the other decision's label on a rerun). */
  removeLabels?: string[];
  /** Users (`alice`) and teams (`org/team`) to request when `draft`. */
  reviewers: string[];
}

/** What exists on GitHub afterwards. */
export interface ProposedPromotion {
  pullRequest: { number: number; url: string; draft: boolean };
  /** The commit the branch points at. */
  commit: string;
  /** The base branch's commit the proposal was built on. */
  base: string;
  /** A new pull request was opened (false: an existing one was updated). */
  created: boolean;
  /** The branch was created or moved (false: it already held this exact change). */
  branchMoved: boolean;
  /** The pull request's body as sent (composed and fitted to GitHub's limit). */
  body: string;
  /** Things a person should know that did not stop the proposal. */
  warnings: string[];
}

/** GitHub refuses pull request bodies longer than this (422 "body is too long"). */
export const MAX_PULL_REQUEST_BODY = GITHUB_BODY_LIMIT;

/**
 * Pure: the body cut to GitHub's limit, saying what was left out and where the full analysis
 * is, so a long analysis never blocks the proposal. Room is kept for the line a refused
 * draft adds at the top (pull-request.ts).
 */
export function fitPullRequestBody(body: string): string {
  return fitToBodyLimit(
    body,
    "the run's report.md, in the `mlops-run-<run id>` artifact of the workflow run that proposed this",
    MAX_PULL_REQUEST_BODY - NOT_A_DRAFT_ROOM,
  );
}

/** Proposes the promotion: commit, branch, pull request, labels, reviewers. */
export async function proposePromotion(
  client: GitHubClient,
  request: PromotionProposal,
): Promise<ProposedPromotion> {
  await assertPullRequestsPermitted(client);
  const { commit, base, branchMoved, previous } = await commitToRemoteBranch(client, request);
  const body = fitPullRequestBody(request.composeBody ? request.composeBody(commit) : request.body);
  const proposal = { ...request, body };
  // A pull request GitHub refuses to the workflow's token takes the push back first.
  const { pull, created, warnings } = await upsertPullRequest(client, proposal, () =>
    restoreBranch(client, request.branch, { branchMoved, previous }),
  );
  await applyLabels(client, pull.number, proposal.labels, proposal.removeLabels ?? [], pull.labels);
  if (proposal.draft && proposal.reviewers.length)
    warnings.push(...(await requestReviewers(client, pull.number, proposal.reviewers)));
  return {
    pullRequest: { number: pull.number, url: pull.url, draft: pull.draft },
    commit,
    base,
    created,
    branchMoved,
    body,
    warnings,
  };
}
