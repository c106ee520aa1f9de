/**
 * The promotion's commit on GitHub (promotion.ts): the registry change as one commit on top
 * of the base branch, built through the git data API (blobs, a tree, a commit; no checkout,
 * no clone), and the branch pointed at it. A rerun with the same change moves nothing; a
 * 422 for a branch that does (or does not) exist after all switches to the other call.
 * Before the push, whether the workflow's token may open the pull request at all; after a
 * refused pull request, the push taken back.
 */
import { GitHubRateLimitError, isGitHubError, type GitHubClient } from "./client.ts";
import type { PromotionProposal } from "./promotion.ts";

/** The login GitHub gives the workflow's own token (GITHUB_TOKEN). */
export const ACTIONS_BOT = "github-actions[bot]";

/** GitHub will not let the workflow's token open pull requests in this repository. */
export class PullRequestsNotPermittedError extends Error {
  constructor(repository: string, what: string, options?: { cause?: unknown }) {
    super(
      `GitHub Actions may not open pull requests in ${repository}: ${what}. Production is unchanged. Fix: in the repository's Settings -> Actions -> General -> Workflow permissions, tick "Allow GitHub Actions to create and approve pull requests" and save (in an organization its owner may have to allow it first), or open pull requests with a GitHub App installation token or a fine-grained personal access token, given to the action as its pr_token input`,
      options,
    );
    this.name = "PullRequestsNotPermittedError";
  }
}

/**
 * Before anything is pushed: refuses when the repository's "Allow GitHub Actions to create
 * and approve pull requests" is off and the token is the workflow's own. The setting is read
 * where the token may (it needs Administration read, which a GITHUB_TOKEN never has: then
 * this goes on, and a refused pull request takes the push back); it binds only the workflow's
 * token, so an "off" stops the proposal only when GraphQL's viewer is ${ACTIONS_BOT}.
 */
export async function assertPullRequestsPermitted(client: GitHubClient): Promise<void> {
  const { octokit, owner, repo } = client;
  const allowed = await octokit.rest.actions
    .getGithubActionsDefaultWorkflowPermissionsRepository({ owner, repo })
    .then(
      (r) => r.data.can_approve_pull_request_reviews,
      (err: unknown) => {
        if (err instanceof GitHubRateLimitError) throw err;
        if (isGitHubError(err, 403) || isGitHubError(err, 404)) return undefined;
        throw err;
      },
    );
  if (allowed !== false) return;
  const viewer = await octokit
    .graphql<{ viewer: { login: string } }>("query { viewer { login } }")
    .then((r) => r.viewer.login)
    .catch(() => undefined);
  if (viewer !== ACTIONS_BOT) return;
  throw new PullRequestsNotPermittedError(
    `${owner}/${repo}`,
    `its workflow permissions do not allow GitHub Actions to create pull requests, and this run's token is the workflow's own (${ACTIONS_BOT}); nothing was pushed`,
  );
}

/**
 * Takes back what this run did to `branch`: deletes it when this run created it, moves it
 * back when this run moved it, leaves it when it held this change already. Says what it did.
 */
export async function restoreBranch(
  client: GitHubClient,
  branch: string,
  pushed: { branchMoved: boolean; previous: string | undefined },
): Promise<string> {
  const { octokit, owner, repo } = client;
  const ref = `heads/${branch}`;
  try {
    if (!pushed.branchMoved)
      return `the branch ${branch} already held this change and is left as it was`;
    if (pushed.previous === undefined) {
      await octokit.rest.git.deleteRef({ owner, repo, ref });
      return `the branch ${branch} this run created was deleted`;
    }
    await octokit.rest.git.updateRef({ owner, repo, ref, sha: pushed.previous, force: true });
    return `the branch ${branch} was moved back to ${pushed.previous.slice(0, 10)}, where it was before this run`;
  } catch (err) {
    return `the branch ${branch} could not be taken back (${(err as Error).message}): delete it on GitHub`;
  }
}

/**
 * Commits `files` on top of the base branch and points the branch at it. When the branch
 * already holds exactly this tree on this base, nothing moves (a rerun with no change
 * does not notify reviewers). `previous` is the branch's commit before (undefined: new).
 */
export async function commitToRemoteBranch(
  client: GitHubClient,
  p: PromotionProposal,
): Promise<{ commit: string; base: string; branchMoved: boolean; previous: string | undefined }> {
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
      return { commit: existing, base, branchMoved: false, previous: existing };
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
  return { commit, base, branchMoved: true, previous: existing };
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
