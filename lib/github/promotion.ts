/**
 * The promotion proposal on GitHub: one commit with the registry change on
 * `mlops/<model>-vN`, built through the git data API (no checkout, no clone), and one
 * pull request from that branch whose body is the analysis. Every step is written to be
 * rerun: an existing branch is moved, an existing pull request is updated, existing
 * labels are reused, and a 422 "already exists" (a concurrent run, or a create whose
 * answer was lost and retried) is reconciled by finding what exists. Never two PRs.
 */
import { isGitHubError, type GitHubClient } from "./client.ts";

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

/**
 * Commits `files` on top of the base branch and points the branch at it. When the branch
 * already holds exactly this tree on this base, nothing moves (a rerun with no change
 * does not notify reviewers).
 */
async function commitToRemoteBranch(
  client: GitHubClient,
  p: PromotionProposal,
): Promise<{ commit: string; base: string; branchMoved: boolean }> {
  const { octokit, owner, repo } = client;
  const base = (
    await octokit.rest.git
      .getRef({ owner, repo, ref: `heads/${p.baseBranch}` })
      .catch((err: unknown) => {
        if (isGitHubError(err, 404))
          throw new Error(
            `base branch "${p.baseBranch}" does not exist in ${owner}/${repo} (fix: set git.base_branch or MLOPS_BASE_BRANCH)`,
            { cause: err },
          );
        throw err;
      })
  ).data.object.sha;
  const baseTree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: base })).data.tree
    .sha;
  const entries = [];
  for (const file of p.files) {
    // Blobs carry bytes as base64 so binary files survive; text goes as utf-8 to stay readable in logs.
    const blob = Buffer.isBuffer(file.content)
      ? await octokit.rest.git.createBlob({
          owner,
          repo,
          content: file.content.toString("base64"),
          encoding: "base64",
        })
      : await octokit.rest.git.createBlob({
          owner,
          repo,
          content: file.content,
          encoding: "utf-8",
        });
    entries.push({
      path: file.path,
      mode: "100644" as const,
      type: "blob" as const,
      sha: blob.data.sha,
    });
  }
  const tree = (
    await octokit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries })
  ).data.sha;
  const existing = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${p.branch}` }).then(
    (r) => r.data.object.sha,
    (err: unknown) => {
      if (isGitHubError(err, 404)) return undefined;
      throw err;
    },
  );
  if (existing) {
    const head = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: existing })).data;
    if (head.tree.sha === tree && head.parents.length === 1 && head.parents[0]?.sha === base)
      return { commit: existing, base, branchMoved: false };
  }
  const commit = (
    await octokit.rest.git.createCommit({
      owner,
      repo,
      message: p.commitMessage,
      tree,
      parents: [base],
    })
  ).data.sha;
  await pointBranch(client, p.branch, commit, existing !== undefined);
  return { commit, base, branchMoved: true };
}

/** Creates or force-moves `refs/heads/<branch>`; a 422 for the other case switches to it. */
async function pointBranch(
  client: GitHubClient,
  branch: string,
  sha: string,
  exists: boolean,
): Promise<void> {
  const { octokit, owner, repo } = client;
  const update = () =>
    octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
  const create = () =>
    octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
  try {
    await (exists ? update() : create());
  } catch (err) {
    if (!exists && isGitHubError(err, 422, /Reference already exists/i)) await update();
    else if (exists && isGitHubError(err, 422, /Reference does not exist/i)) await create();
    else throw err;
  }
}

interface PullSummary {
  number: number;
  url: string;
  draft: boolean;
  labels: string[];
}

const summarize = (pr: {
  number: number;
  html_url: string;
  draft?: boolean;
  labels: { name?: string }[];
}): PullSummary => ({
  number: pr.number,
  url: pr.html_url,
  draft: pr.draft === true,
  labels: pr.labels.map((l) => l.name ?? "").filter(Boolean),
});

async function findOpenPull(client: GitHubClient, branch: string, baseBranch: string) {
  const { octokit, owner, repo } = client;
  const open = await octokit.rest.pulls.list({
    owner,
    repo,
    state: "open",
    head: `${owner}:${branch}`,
    base: baseBranch,
    per_page: 10,
  });
  return open.data[0];
}

/** The open pull request from the branch, updated; or a new one. */
async function upsertPullRequest(
  client: GitHubClient,
  p: PromotionProposal,
): Promise<{ pull: PullSummary; created: boolean }> {
  const { octokit, owner, repo } = client;
  const update = async (existing: {
    number: number;
    title: string;
    body: string | null;
    html_url: string;
    draft?: boolean;
    labels: { name?: string }[];
  }) => {
    if (existing.title === p.title && existing.body === p.body) return summarize(existing);
    return summarize(
      (
        await octokit.rest.pulls.update({
          owner,
          repo,
          pull_number: existing.number,
          title: p.title,
          body: p.body,
        })
      ).data,
    );
  };
  const existing = await findOpenPull(client, p.branch, p.baseBranch);
  if (existing) return { pull: await update(existing), created: false };
  try {
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      head: p.branch,
      base: p.baseBranch,
      title: p.title,
      body: p.body,
      draft: p.draft,
    });
    return { pull: summarize(created.data), created: true };
  } catch (err) {
    // A concurrent run, or our own create whose answer was lost and then retried.
    if (!isGitHubError(err, 422, /already exists/i)) throw err;
    const found = await findOpenPull(client, p.branch, p.baseBranch);
    if (!found) throw err;
    return { pull: await update(found), created: false };
  }
}

/** Creates missing labels (with their colours), adds them, and removes `remove` ones. */
async function applyLabels(
  client: GitHubClient,
  number: number,
  labels: (string | LabelSpec)[],
  remove: string[],
  current: string[],
): Promise<void> {
  const { octokit, owner, repo } = client;
  const specs = labels.map((l) => (typeof l === "string" ? { name: l } : l));
  for (const spec of specs) {
    const exists = await octokit.rest.issues.getLabel({ owner, repo, name: spec.name }).then(
      () => true,
      (err: unknown) => {
        if (isGitHubError(err, 404)) return false;
        throw err;
      },
    );
    if (exists) continue;
    await octokit.rest.issues
      .createLabel({
        owner,
        repo,
        name: spec.name,
        color: spec.color ?? "ededed",
        ...(spec.description ? { description: spec.description } : {}),
      })
      .catch((err: unknown) => {
        if (!isGitHubError(err, 422, /already_exists/)) throw err;
      });
  }
  const missing = specs
    .map((s) => s.name)
    .filter((n) => !current.some((c) => c.toLowerCase() === n.toLowerCase()));
  if (missing.length)
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: missing });
  const wanted = new Set(specs.map((s) => s.name.toLowerCase()));
  for (const name of remove) {
    if (
      wanted.has(name.toLowerCase()) ||
      !current.some((c) => c.toLowerCase() === name.toLowerCase())
    )
      continue;
    await octokit.rest.issues
      .removeLabel({ owner, repo, issue_number: number, name })
      .catch((err: unknown) => {
        if (!isGitHubError(err, 404)) throw err;
      });
  }
}

/**
 * Requests reviews from users and `org/team` teams. A refusal (not a collaborator, the
 * author) is a warning: the pull request exists and is labelled, so a person still sees it.
 */
async function requestReviewers(
  client: GitHubClient,
  number: number,
  reviewers: string[],
): Promise<string[]> {
  const { octokit, owner, repo } = client;
  const names = reviewers.map((r) => r.replace(/^@/, ""));
  const teams = names.filter((r) => r.includes("/")).map((r) => r.slice(r.indexOf("/") + 1));
  const users = names.filter((r) => !r.includes("/"));
  try {
    await octokit.rest.pulls.requestReviewers({
      owner,
      repo,
      pull_number: number,
      reviewers: users,
      team_reviewers: teams,
    });
    return [];
  } catch (err) {
    if (!isGitHubError(err, 422)) throw err;
    return [
      `could not request reviews from ${reviewers.join(", ")} on pull request #${number}: ${(err as Error).message} (fix: the configured reviewers must be collaborators, not the token's own account)`,
    ];
  }
}
