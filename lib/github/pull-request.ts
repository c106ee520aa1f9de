/**
 * The promotion's pull request on GitHub (promotion.ts): the open one from the branch
 * updated, or a new one (a 422 "already exists" reconciled by finding it); its labels
 * created with their colours, added and taken off; reviewers requested, a refusal being a
 * warning rather than a failure.
 */
import { isGitHubError, type GitHubClient } from "./client.ts";
import type { LabelSpec, PromotionProposal } from "./promotion.ts";

/** What the proposal reads back of a pull request. */
export interface PullSummary {
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
export async function upsertPullRequest(
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
export async function applyLabels(
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
export async function requestReviewers(
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
