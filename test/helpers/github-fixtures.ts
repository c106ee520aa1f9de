/**
 * The JSON the GitHub stand-in answers with, built as github.com builds it: every property
 * GitHub's REST description (`@octokit/openapi`) requires, with realistic values (node ids,
 * API and web URLs on the stand-in's origin, user and repository objects, timestamps). One
 * factory per object, shared by every route (github-routes-*.ts); github-contract.ts holds
 * each answer to the description.
 */
import { createHash } from "node:crypto";
import type { StoredCommit } from "./github-git-store.ts";
import type { Comment, Issue, Label, Release, ServerState } from "./github-state.ts";

/** The API URL of the repository, for `url` fields. */
export const api = (s: ServerState) => `${s.origin}/api/v3/repos/${s.owner}/${s.repo}`;
/** The web URL of the repository, for `html_url` fields. */
export const html = (s: ServerState) => `${s.origin}/${s.owner}/${s.repo}`;
/** A GitHub node id: a type prefix and an opaque base64url key. */
export const nodeId = (prefix: string, key: string | number) =>
  `${prefix}_kwDO${Buffer.from(String(key)).toString("base64url")}`;

/** A stable numeric id for a login (GitHub's ids are per account). */
const userId = (login: string) =>
  parseInt(createHash("sha1").update(login).digest("hex").slice(0, 7), 16);

/** A user as GitHub shows one (Simple User); a `[bot]` login is a Bot. */
export function user(s: ServerState, login: string) {
  const url = `${s.origin}/api/v3/users/${encodeURIComponent(login)}`;
  const id = userId(login);
  return {
    login,
    id,
    node_id: nodeId(login.endsWith("[bot]") ? "BOT" : "U", id),
    avatar_url: `${s.origin}/avatars/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${s.origin}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
    site_admin: false,
    user_view_type: "public",
  };
}

/** The repository (Repository), as pull requests' head and base carry it. */
export function repositoryJson(s: ServerState) {
  const a = api(s);
  const created = "2025-01-06T09:00:00Z";
  return {
    id: s.repoId,
    node_id: nodeId("R", s.repoId),
    name: s.repo,
    full_name: `${s.owner}/${s.repo}`,
    owner: user(s, s.owner),
    private: true,
    html_url: html(s),
    description: "Mango ripeness classifier: data, training and promotion",
    fork: false,
    url: a,
    archive_url: `${a}/{archive_format}{/ref}`,
    assignees_url: `${a}/assignees{/user}`,
    blobs_url: `${a}/git/blobs{/sha}`,
    branches_url: `${a}/branches{/branch}`,
    collaborators_url: `${a}/collaborators{/collaborator}`,
    comments_url: `${a}/comments{/number}`,
    commits_url: `${a}/commits{/sha}`,
    compare_url: `${a}/compare/{base}...{head}`,
    contents_url: `${a}/contents/{+path}`,
    contributors_url: `${a}/contributors`,
    deployments_url: `${a}/deployments`,
    downloads_url: `${a}/downloads`,
    events_url: `${a}/events`,
    forks_url: `${a}/forks`,
    git_commits_url: `${a}/git/commits{/sha}`,
    git_refs_url: `${a}/git/refs{/sha}`,
    git_tags_url: `${a}/git/tags{/sha}`,
    git_url: `git://${new URL(s.origin).host}/${s.owner}/${s.repo}.git`,
    hooks_url: `${a}/hooks`,
    issue_comment_url: `${a}/issues/comments{/number}`,
    issue_events_url: `${a}/issues/events{/number}`,
    issues_url: `${a}/issues{/number}`,
    keys_url: `${a}/keys{/key_id}`,
    labels_url: `${a}/labels{/name}`,
    languages_url: `${a}/languages`,
    merges_url: `${a}/merges`,
    milestones_url: `${a}/milestones{/number}`,
    notifications_url: `${a}/notifications{?since,all,participating}`,
    pulls_url: `${a}/pulls{/number}`,
    releases_url: `${a}/releases{/id}`,
    ssh_url: `git@${new URL(s.origin).hostname}:${s.owner}/${s.repo}.git`,
    stargazers_url: `${a}/stargazers`,
    statuses_url: `${a}/statuses/{sha}`,
    subscribers_url: `${a}/subscribers`,
    subscription_url: `${a}/subscription`,
    tags_url: `${a}/tags`,
    teams_url: `${a}/teams`,
    trees_url: `${a}/git/trees{/sha}`,
    clone_url: `${html(s)}.git`,
    mirror_url: null,
    svn_url: html(s),
    homepage: null,
    language: "TypeScript",
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 1024,
    default_branch: s.defaultBranch,
    open_issues: s.issues.filter((i) => i.state === "open").length,
    open_issues_count: s.issues.filter((i) => i.state === "open").length,
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: "private",
    license: null,
    pushed_at: created,
    created_at: created,
    updated_at: created,
  };
}

/** A git commit (Git Commit), as the git data API answers. */
export const commitJson = (s: ServerState, c: StoredCommit) => ({
  sha: c.sha,
  node_id: nodeId("C", c.sha),
  url: `${api(s)}/git/commits/${c.sha}`,
  html_url: `${html(s)}/commit/${c.sha}`,
  message: c.message,
  tree: { sha: c.tree, url: `${api(s)}/git/trees/${c.tree}` },
  parents: c.parents.map((sha) => ({
    sha,
    url: `${api(s)}/git/commits/${sha}`,
    html_url: `${html(s)}/commit/${sha}`,
  })),
  author: { name: s.login, email: "bot@example.com", date: c.date },
  committer: { name: s.login, email: "bot@example.com", date: c.date },
  verification: {
    verified: false,
    reason: "unsigned",
    signature: null,
    payload: null,
    verified_at: null,
  },
});

/** A ref (Git Reference). */
export const refJson = (s: ServerState, ref: string, sha: string) => ({
  ref,
  node_id: nodeId("REF", ref),
  url: `${api(s)}/git/${ref}`,
  object: { type: "commit", sha, url: `${api(s)}/git/commits/${sha}` },
});

/** A label. */
export const labelJson = (s: ServerState, l: Label) => ({
  id: l.id,
  node_id: nodeId("LA", l.id),
  url: `${api(s)}/labels/${encodeURIComponent(l.name)}`,
  name: l.name,
  color: l.color,
  description: l.description,
  default: false,
});

/** An issue's (or pull request's) labels, in the order they were added. */
export const issueLabels = (s: ServerState, i: Issue) =>
  i.labels.map((n) => labelJson(s, s.labels.get(n.toLowerCase())!));

/** An issue comment. */
export const commentJson = (s: ServerState, c: Comment) => ({
  id: c.id,
  node_id: nodeId("IC", c.id),
  url: `${api(s)}/issues/comments/${c.id}`,
  html_url: `${html(s)}/issues/${c.issue_number}#issuecomment-${c.id}`,
  issue_url: `${api(s)}/issues/${c.issue_number}`,
  body: c.body,
  user: user(s, c.user),
  created_at: c.created_at,
  updated_at: c.updated_at,
  author_association: "NONE",
});

/** A release asset; `digest` is its sha256, as github.com reports it (since 2025). */
export function assetJson(s: ServerState, r: Release, a: Release["assets"][number]) {
  return {
    id: a.id,
    node_id: nodeId("RA", a.id),
    name: a.name,
    label: a.label,
    content_type: a.content_type,
    size: a.bytes.length,
    digest: `sha256:${createHash("sha256").update(a.bytes).digest("hex")}`,
    state: a.state,
    download_count: 0,
    uploader: user(s, s.login),
    created_at: a.created_at,
    updated_at: a.created_at,
    url: `${api(s)}/releases/assets/${a.id}`,
    browser_download_url: `${s.origin}/download/${s.owner}/${s.repo}/releases/download/${r.tag_name}/${encodeURIComponent(a.name)}`,
  };
}

/** A release with its assets. */
export function releaseJson(s: ServerState, r: Release) {
  return {
    id: r.id,
    node_id: nodeId("RE", r.id),
    tag_name: r.tag_name,
    target_commitish: r.target_commitish,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    created_at: r.created_at,
    published_at: r.draft ? null : r.created_at,
    author: user(s, s.login),
    url: `${api(s)}/releases/${r.id}`,
    html_url: `${html(s)}/releases/tag/${encodeURIComponent(r.tag_name)}`,
    assets_url: `${api(s)}/releases/${r.id}/assets`,
    upload_url: `${s.origin}/api/uploads/repos/${s.owner}/${s.repo}/releases/${r.id}/assets{?name,label}`,
    tarball_url: `${api(s)}/tarball/${encodeURIComponent(r.tag_name)}`,
    zipball_url: `${api(s)}/zipball/${encodeURIComponent(r.tag_name)}`,
    assets: r.assets.map((a) => assetJson(s, r, a)),
  };
}
