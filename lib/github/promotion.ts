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
import type { GitHubClient } from "./client.ts";
import { applyLabels, requestReviewers, upsertPullRequest } from "./pull-request.ts";
import { commitToRemoteBranch } from "./remote-branch.ts";

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
  /** Things a person should know that did not stop the proposal. */
  warnings: string[];
}

/** GitHub refuses pull request bodies longer than this (422 "body is too long"). */
export const MAX_PULL_REQUEST_BODY = 65536;

/** Pure: the body cut to GitHub's limit, saying so, so a long analysis never blocks the proposal. */
export function fitPullRequestBody(body: string): string {
  if (body.length <= MAX_PULL_REQUEST_BODY) return body;
  const note = "\n\n_(truncated: the full analysis is the run's report.md)_\n";
  return body.slice(0, MAX_PULL_REQUEST_BODY - note.length) + note;
}

/** Proposes the promotion: commit, branch, pull request, labels, reviewers. */
export async function proposePromotion(
  client: GitHubClient,
  request: PromotionProposal,
): Promise<ProposedPromotion> {
  const proposal = { ...request, body: fitPullRequestBody(request.body) };
  const { commit, base, branchMoved } = await commitToRemoteBranch(client, proposal);
  const { pull, created } = await upsertPullRequest(client, proposal);
  const warnings: string[] = [];
  if (pull.draft !== proposal.draft) {
    // The REST API cannot change draft status (only GraphQL can); say so rather than guess.
    warnings.push(
      `pull request #${pull.number} is ${pull.draft ? "a draft" : "ready for review"} from an earlier run, but this decision wants it ${proposal.draft ? "as a draft" : "ready for review"}: change it on the pull request page`,
    );
  }
  await applyLabels(client, pull.number, proposal.labels, proposal.removeLabels ?? [], pull.labels);
  if (proposal.draft && proposal.reviewers.length)
    warnings.push(...(await requestReviewers(client, pull.number, proposal.reviewers)));
  return {
    pullRequest: { number: pull.number, url: pull.url, draft: pull.draft },
    commit,
    base,
    created,
    branchMoved,
    warnings,
  };
}
