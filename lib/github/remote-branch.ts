/**
 * The promotion's commit on GitHub (promotion.ts): the registry change as one commit on top
 * of the base branch, built through the git data API (blobs, a tree, a commit; no checkout,
 * no clone), and the branch pointed at it. A rerun with the same change moves nothing; a
 * 422 for a branch that does (or does not) exist after all switches to the other call.
 */
import { isGitHubError, type GitHubClient } from "./client.ts";
import type { PromotionProposal } from "./promotion.ts";

/**
 * Commits `files` on top of the base branch and points the branch at it. When the branch
 * already holds exactly this tree on this base, nothing moves (a rerun with no change
 * does not notify reviewers).
 */
export async function commitToRemoteBranch(
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
