/**
 * The GitHub stand-in's JSON for issues and pull requests (Issue, Pull Request, Pull
 * Request Simple): every property GitHub's REST description requires, built from the
 * stand-in's state and git refs (see github-fixtures.ts for the objects they embed).
 */
import type { GitStore } from "./github-git-store.ts";
import { api, html, issueLabels, nodeId, repositoryJson, user } from "./github-fixtures.ts";
import type { Issue, ServerState } from "./github-state.ts";

/** A pull request's node id: what GraphQL mutations name it by. */
export const pullNodeId = (s: ServerState, i: Issue) => nodeId("PR", `${s.repoId}:${i.number}`);

const commentCount = (s: ServerState, i: Issue) =>
  [...s.comments.values()].filter((c) => c.issue_number === i.number).length;

/** An issue, or a pull request as the issues API lists it (with `pull_request`). */
export function issueJson(s: ServerState, i: Issue) {
  const url = `${api(s)}/issues/${i.number}`;
  return {
    id: i.number + 500,
    node_id: nodeId(i.pull ? "PR" : "I", `${s.repoId}:${i.number}`),
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    state_reason: null,
    locked: false,
    user: user(s, i.user),
    labels: issueLabels(s, i),
    assignee: null,
    assignees: [],
    milestone: null,
    comments: commentCount(s, i),
    author_association: "NONE",
    created_at: i.created_at,
    updated_at: i.updated_at,
    closed_at: i.state === "closed" ? i.updated_at : null,
    url,
    repository_url: api(s),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${html(s)}/${i.pull ? "pull" : "issues"}/${i.number}`,
    ...(i.pull
      ? {
          draft: i.pull.draft,
          pull_request: {
            url: `${api(s)}/pulls/${i.number}`,
            html_url: `${html(s)}/pull/${i.number}`,
            diff_url: `${html(s)}/pull/${i.number}.diff`,
            patch_url: `${html(s)}/pull/${i.number}.patch`,
            merged_at: i.pull.merged ? i.updated_at : null,
          },
        }
      : {}),
  };
}

/** The commit a pull request's head is at: its branch, or where it was when merged or deleted. */
function headSha(git: GitStore, i: Issue): string {
  const p = i.pull!;
  const now = p.head_sha_at_close ?? git.refs.get(`refs/heads/${p.head}`);
  if (now) p.last_head_sha = now;
  return p.last_head_sha;
}

/** A pull request (Pull Request; `full` adds what GET, POST and PATCH answer beyond a list item). */
export function pullJson(s: ServerState, git: GitStore, i: Issue, full = true) {
  const p = i.pull!;
  const url = `${api(s)}/pulls/${i.number}`;
  const issue = `${api(s)}/issues/${i.number}`;
  const side = (ref: string, sha: string) => ({
    label: `${s.owner}:${ref}`,
    ref,
    sha,
    user: user(s, s.owner),
    repo: repositoryJson(s),
  });
  const link = (href: string) => ({ href });
  const summary = {
    id: i.number + 900,
    node_id: pullNodeId(s, i),
    number: i.number,
    state: i.state,
    locked: false,
    title: i.title,
    body: i.body,
    draft: p.draft,
    user: user(s, i.user),
    labels: issueLabels(s, i),
    milestone: null,
    assignee: null,
    assignees: [],
    requested_reviewers: p.requested_reviewers.map((r) => user(s, r)),
    requested_teams: p.requested_teams.map((slug) => teamJson(s, slug)),
    head: side(p.head, headSha(git, i)),
    base: side(p.base, git.refs.get(`refs/heads/${p.base}`) ?? p.last_head_sha),
    author_association: "NONE",
    auto_merge: null,
    active_lock_reason: null,
    merge_commit_sha: p.merge_commit_sha,
    created_at: i.created_at,
    updated_at: i.updated_at,
    closed_at: i.state === "closed" ? i.updated_at : null,
    merged_at: p.merged ? i.updated_at : null,
    url,
    html_url: `${html(s)}/pull/${i.number}`,
    diff_url: `${html(s)}/pull/${i.number}.diff`,
    patch_url: `${html(s)}/pull/${i.number}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api(s)}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api(s)}/statuses/${p.last_head_sha}`,
    _links: {
      self: link(url),
      html: link(`${html(s)}/pull/${i.number}`),
      issue: link(issue),
      comments: link(`${issue}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${api(s)}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${api(s)}/statuses/${p.last_head_sha}`),
    },
  };
  if (!full) return summary;
  return {
    ...summary,
    merged: p.merged,
    mergeable: i.state === "open" ? true : null,
    mergeable_state: i.state === "open" ? (p.draft ? "draft" : "clean") : "unknown",
    merged_by: p.merged ? user(s, s.login) : null,
    maintainer_can_modify: false,
    rebaseable: i.state === "open" ? true : null,
    comments: commentCount(s, i),
    review_comments: 0,
    ...diffStats(
      git,
      p.last_head_sha,
      p.merge_commit_sha
        ? git.commits.get(p.merge_commit_sha)!.parents[0]
        : git.refs.get(`refs/heads/${p.base}`),
    ),
  };
}

/** Commits on `head` not on `base`, and the files and lines (whole files, not hunks) they change. */
function diffStats(git: GitStore, head: string, base: string | undefined) {
  const onBase = base ? git.ancestors(base) : new Set<string>();
  const commits = [...git.ancestors(head)].filter((c) => !onBase.has(c)).length;
  const tree = (sha: string | undefined) =>
    (sha && git.trees.get(git.commits.get(sha)!.tree)) || new Map<string, string>();
  const [from, to] = [tree(base), tree(head)];
  const lines = (blob: string | undefined) =>
    blob ? git.blobs.get(blob)!.toString("utf8").split("\n").length : 0;
  const changed = [...new Set([...from.keys(), ...to.keys()])].filter(
    (f) => from.get(f) !== to.get(f),
  );
  return {
    commits,
    changed_files: changed.length,
    additions: changed.reduce((n, f) => n + lines(to.get(f)), 0),
    deletions: changed.reduce((n, f) => n + lines(from.get(f)), 0),
  };
}

/** A team a review is requested from, in `owner`'s organization. */
function teamJson(s: ServerState, slug: string) {
  const id = [...slug].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1_000_000;
  const url = `${s.origin}/api/v3/organizations/${s.repoId}/team/${id}`;
  return {
    id,
    node_id: nodeId("T", id),
    url,
    html_url: `${s.origin}/orgs/${s.owner}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: "closed",
    notification_setting: "notifications_enabled",
    permission: "pull",
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    parent: null,
    type: "organization",
  };
}
