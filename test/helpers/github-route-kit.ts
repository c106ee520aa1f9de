/**
 * What every endpoint of the GitHub stand-in (github-routes.ts) is made of: the route and
 * reply types, GitHub's error replies, its Link-header paging, its JSON shapes for git
 * objects, issues, pull requests, labels and releases, and the lookup of the issue or pull
 * request a path names.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { GitStore, StoredCommit } from "./github-git-store.ts";
import type { Issue, Label, Release, ServerState } from "./github-state.ts";

/** What a route answers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string> | undefined;
}

/** What a route receives. */
export interface RouteContext {
  state: ServerState;
  git: GitStore;
  params: Record<string, string>;
  query: URLSearchParams;
  // Request bodies are untyped JSON, as they arrive on the wire.
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
  url: URL;
}

/** One endpoint. */
export interface Route {
  method: string;
  pattern: RegExp;
  handle(ctx: RouteContext): Reply;
  /** The body is bytes, not JSON (asset uploads). */
  raw?: boolean;
  /** Served on the uploads root rather than the API root. */
  upload?: boolean;
}

/** The path of a repository's endpoints, capturing `owner` and `repo`. */
export const R = "^/repos/(?<owner>[^/]+)/(?<repo>[^/]+)";
/** GitHub's 404. */
export const notFound = (): Reply => ({
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
});
/** GitHub's 422 "Validation Failed" with its `errors`. */
export const invalid = (errors: object[]): Reply => ({
  status: 422,
  body: { message: "Validation Failed", errors, documentation_url: "https://docs.github.com/rest" },
});
/** The longest issue or pull request body GitHub accepts. */
export const MAX_BODY = 65536;
/** GitHub's answer to a body over `MAX_BODY`. */
export const tooLong = () =>
  invalid([
    {
      resource: "Issue",
      code: "custom",
      field: "body",
      message: `body is too long (maximum is ${MAX_BODY} characters)`,
    },
  ]);
export const now = () => new Date().toISOString();
/** A user as GitHub shows one (a `[bot]` login is a Bot). */
export const user = (login: string) => ({
  login,
  id: login.length,
  type: login.endsWith("[bot]") ? "Bot" : "User",
});
/** The API URL of the repository, for `url` fields. */
export const api = (s: ServerState) => `${s.origin}/api/v3/repos/${s.owner}/${s.repo}`;
/** The web URL of the repository, for `html_url` fields. */
export const html = (s: ServerState) => `${s.origin}/${s.owner}/${s.repo}`;

/** A page of `items` with GitHub's Link header (per_page default 30, at most 100). */
export function page<T>(ctx: RouteContext, items: T[]): Reply {
  const perPage = Math.min(Number(ctx.query.get("per_page") ?? 30) || 30, 100);
  const n = Math.max(Number(ctx.query.get("page") ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number) => {
    const u = new URL(ctx.url);
    u.searchParams.set("page", String(p));
    return u.toString();
  };
  const links = [
    n < last && `<${link(n + 1)}>; rel="next"`,
    n < last && `<${link(last)}>; rel="last"`,
    n > 1 && `<${link(n - 1)}>; rel="prev"`,
    n > 1 && `<${link(1)}>; rel="first"`,
  ].filter(Boolean);
  return {
    status: 200,
    body: items.slice((n - 1) * perPage, n * perPage),
    headers: links.length ? { link: links.join(", ") } : undefined,
  };
}

/** GitHub's JSON shapes of a commit, a ref and a label. */
export const commitJson = (s: ServerState, c: StoredCommit) => ({
  sha: c.sha,
  url: `${api(s)}/git/commits/${c.sha}`,
  html_url: `${html(s)}/commit/${c.sha}`,
  message: c.message,
  tree: { sha: c.tree, url: `${api(s)}/git/trees/${c.tree}` },
  parents: c.parents.map((sha) => ({ sha, url: `${api(s)}/git/commits/${sha}` })),
  author: { name: s.login, email: "bot@example.com", date: c.date },
  committer: { name: s.login, email: "bot@example.com", date: c.date },
});
export const refJson = (s: ServerState, ref: string, sha: string) => ({
  ref,
  url: `${api(s)}/git/${ref}`,
  object: { type: "commit", sha, url: `${api(s)}/git/commits/${sha}` },
});
export const labelJson = (s: ServerState, l: Label) => ({
  id: l.id,
  url: `${api(s)}/labels/${encodeURIComponent(l.name)}`,
  name: l.name,
  color: l.color,
  description: l.description,
  default: false,
});
export const issueLabels = (s: ServerState, i: Issue) =>
  i.labels.map((n) => labelJson(s, s.labels.get(n.toLowerCase())!));

function headSha(ctx: RouteContext, i: Issue): string | null {
  return i.pull!.head_sha_at_close ?? ctx.git.refs.get(`refs/heads/${i.pull!.head}`) ?? null;
}
export function issueJson(ctx: RouteContext, i: Issue) {
  const s = ctx.state;
  return {
    id: i.number + 500,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    user: user(i.user),
    labels: issueLabels(s, i),
    created_at: i.created_at,
    updated_at: i.updated_at,
    url: `${api(s)}/issues/${i.number}`,
    html_url: `${html(s)}/${i.pull ? "pull" : "issues"}/${i.number}`,
    ...(i.pull
      ? {
          pull_request: {
            url: `${api(s)}/pulls/${i.number}`,
            html_url: `${html(s)}/pull/${i.number}`,
          },
        }
      : {}),
  };
}
export function pullJson(ctx: RouteContext, i: Issue) {
  const s = ctx.state;
  const p = i.pull!;
  const side = (ref: string, sha: string | null) => ({
    label: `${s.owner}:${ref}`,
    ref,
    sha,
    repo: { full_name: `${s.owner}/${s.repo}`, name: s.repo, owner: user(s.owner) },
  });
  return {
    id: i.number + 900,
    number: i.number,
    state: i.state,
    title: i.title,
    body: i.body,
    draft: p.draft,
    user: user(i.user),
    merged: p.merged,
    merged_at: p.merged ? i.updated_at : null,
    merge_commit_sha: p.merge_commit_sha,
    labels: issueLabels(s, i),
    created_at: i.created_at,
    updated_at: i.updated_at,
    requested_reviewers: p.requested_reviewers.map(user),
    requested_teams: p.requested_teams.map((slug) => ({ slug, name: slug })),
    head: side(p.head, headSha(ctx, i)),
    base: side(p.base, ctx.git.refs.get(`refs/heads/${p.base}`) ?? null),
    url: `${api(s)}/pulls/${i.number}`,
    html_url: `${html(s)}/pull/${i.number}`,
  };
}
export function releaseJson(s: ServerState, r: Release) {
  return {
    id: r.id,
    tag_name: r.tag_name,
    target_commitish: r.target_commitish,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    created_at: r.created_at,
    published_at: r.draft ? null : r.created_at,
    author: user(s.login),
    url: `${api(s)}/releases/${r.id}`,
    html_url: `${html(s)}/releases/tag/${r.tag_name}`,
    assets_url: `${api(s)}/releases/${r.id}/assets`,
    upload_url: `${s.origin}/api/uploads/repos/${s.owner}/${s.repo}/releases/${r.id}/assets{?name,label}`,
    assets: r.assets.map((a) => assetJson(s, r, a)),
  };
}
export function assetJson(s: ServerState, r: Release, a: Release["assets"][number]) {
  return {
    id: a.id,
    name: a.name,
    label: a.label,
    content_type: a.content_type,
    size: a.bytes.length,
    // github.com reports each asset's sha256 as `digest` (since 2025).
    digest: `sha256:${createHash("sha256").update(a.bytes).digest("hex")}`,
    state: "uploaded",
    created_at: a.created_at,
    url: `${api(s)}/releases/assets/${a.id}`,
    browser_download_url: `${s.origin}/download/${s.owner}/${s.repo}/releases/download/${r.tag_name}/${encodeURIComponent(a.name)}`,
  };
}

/** The issue, or pull request, a route's `:number` names. */
export const issueOf = (ctx: RouteContext) =>
  ctx.state.issues.find((i) => i.number === Number(ctx.params.number));
export const pullOf = (ctx: RouteContext) => {
  const i = issueOf(ctx);
  return i?.pull ? i : undefined;
};
