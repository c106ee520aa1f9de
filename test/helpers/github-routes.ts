/**
 * The endpoints of the GitHub stand-in (see github-server.ts): each answers with the
 * response shape, status and error message GitHub documents for it.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GitRefusal, type GitStore, type StoredCommit } from "./github-git-store.ts";
import type { Issue, Label, Release, ServerState } from "./github-server.ts";

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

const R = "^/repos/(?<owner>[^/]+)/(?<repo>[^/]+)";
const notFound = (): Reply => ({
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
});
const invalid = (errors: object[]): Reply => ({
  status: 422,
  body: { message: "Validation Failed", errors, documentation_url: "https://docs.github.com/rest" },
});
const MAX_BODY = 65536;
const tooLong = () =>
  invalid([
    {
      resource: "Issue",
      code: "custom",
      field: "body",
      message: `body is too long (maximum is ${MAX_BODY} characters)`,
    },
  ]);
const now = () => new Date().toISOString();
const user = (login: string) => ({
  login,
  id: login.length,
  type: login.endsWith("[bot]") ? "Bot" : "User",
});
const api = (s: ServerState) => `${s.origin}/api/v3/repos/${s.owner}/${s.repo}`;
const html = (s: ServerState) => `${s.origin}/${s.owner}/${s.repo}`;

/** A page of `items` with GitHub's Link header (per_page default 30, at most 100). */
function page<T>(ctx: RouteContext, items: T[]): Reply {
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

const commitJson = (s: ServerState, c: StoredCommit) => ({
  sha: c.sha,
  url: `${api(s)}/git/commits/${c.sha}`,
  html_url: `${html(s)}/commit/${c.sha}`,
  message: c.message,
  tree: { sha: c.tree, url: `${api(s)}/git/trees/${c.tree}` },
  parents: c.parents.map((sha) => ({ sha, url: `${api(s)}/git/commits/${sha}` })),
  author: { name: s.login, email: "bot@example.com", date: c.date },
  committer: { name: s.login, email: "bot@example.com", date: c.date },
});
const refJson = (s: ServerState, ref: string, sha: string) => ({
  ref,
  url: `${api(s)}/git/${ref}`,
  object: { type: "commit", sha, url: `${api(s)}/git/commits/${sha}` },
});
const labelJson = (s: ServerState, l: Label) => ({
  id: l.id,
  url: `${api(s)}/labels/${encodeURIComponent(l.name)}`,
  name: l.name,
  color: l.color,
  description: l.description,
  default: false,
});
const issueLabels = (s: ServerState, i: Issue) =>
  i.labels.map((n) => labelJson(s, s.labels.get(n.toLowerCase())!));

function headSha(ctx: RouteContext, i: Issue): string | null {
  return i.pull!.head_sha_at_close ?? ctx.git.refs.get(`refs/heads/${i.pull!.head}`) ?? null;
}
function issueJson(ctx: RouteContext, i: Issue) {
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
function pullJson(ctx: RouteContext, i: Issue) {
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
function releaseJson(s: ServerState, r: Release) {
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
function assetJson(s: ServerState, r: Release, a: Release["assets"][number]) {
  return {
    id: a.id,
    name: a.name,
    label: a.label,
    content_type: a.content_type,
    size: a.bytes.length,
    state: "uploaded",
    created_at: a.created_at,
    url: `${api(s)}/releases/assets/${a.id}`,
    browser_download_url: `${s.origin}/download/${s.owner}/${s.repo}/releases/download/${r.tag_name}/${encodeURIComponent(a.name)}`,
  };
}

const issueOf = (ctx: RouteContext) =>
  ctx.state.issues.find((i) => i.number === Number(ctx.params.number));
const pullOf = (ctx: RouteContext) => {
  const i = issueOf(ctx);
  return i?.pull ? i : undefined;
};
/** Adds labels by name, creating missing ones with GitHub's default colour, as GitHub does. */
function addLabels(s: ServerState, issue: Issue, names: string[]): void {
  for (const name of names) {
    if (!s.labels.has(name.toLowerCase()))
      s.labels.set(name.toLowerCase(), {
        id: s.nextId(),
        name,
        color: "ededed",
        description: null,
      });
    const canonical = s.labels.get(name.toLowerCase())!.name;
    if (!issue.labels.some((l) => l.toLowerCase() === name.toLowerCase()))
      issue.labels.push(canonical);
  }
}

/** Every endpoint the stand-in serves. */
export const routes: Route[] = [
  // git data: refs, blobs, trees, commits
  {
    method: "GET",
    pattern: new RegExp(`${R}/git/ref/(?<ref>.+)$`),
    handle(ctx) {
      const ref = `refs/${ctx.params.ref}`;
      const sha = ctx.git.refs.get(ref);
      return sha ? { status: 200, body: refJson(ctx.state, ref, sha) } : notFound();
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/git/refs$`),
    handle(ctx) {
      ctx.git.createRef(String(ctx.body.ref), String(ctx.body.sha));
      return { status: 201, body: refJson(ctx.state, ctx.body.ref, ctx.body.sha) };
    },
  },
  {
    method: "PATCH",
    pattern: new RegExp(`${R}/git/refs/(?<ref>.+)$`),
    handle(ctx) {
      const ref = `refs/${ctx.params.ref}`;
      ctx.git.updateRef(ref, String(ctx.body.sha), ctx.body.force === true);
      return { status: 200, body: refJson(ctx.state, ref, ctx.body.sha) };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`${R}/git/refs/(?<ref>.+)$`),
    handle(ctx) {
      if (!ctx.git.refs.delete(`refs/${ctx.params.ref}`))
        throw new GitRefusal(422, "Reference does not exist");
      return { status: 204 };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/git/blobs$`),
    handle(ctx) {
      const { content, encoding = "utf-8" } = ctx.body;
      if (typeof content !== "string")
        return invalid([{ resource: "Blob", field: "content", code: "missing_field" }]);
      const sha = ctx.git.putBlob(Buffer.from(content, encoding === "base64" ? "base64" : "utf8"));
      return { status: 201, body: { sha, url: `${api(ctx.state)}/git/blobs/${sha}` } };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/git/trees$`),
    handle(ctx) {
      const entries = (ctx.body.tree ?? []) as {
        path: string;
        mode: string;
        type: string;
        sha?: string | null;
        content?: string;
      }[];
      const changes = entries.map((e) => ({
        path: e.path,
        sha: e.content !== undefined ? ctx.git.putBlob(Buffer.from(e.content)) : (e.sha ?? null),
      }));
      const sha = ctx.git.buildTree(ctx.body.base_tree, changes);
      const tree = [...ctx.git.trees.get(sha)!].map(([path, blob]) => ({
        path,
        mode: "100644",
        type: "blob",
        sha: blob,
        size: ctx.git.blobs.get(blob)!.length,
      }));
      return {
        status: 201,
        body: { sha, url: `${api(ctx.state)}/git/trees/${sha}`, tree, truncated: false },
      };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/git/commits$`),
    handle(ctx) {
      const c = ctx.git.putCommit(
        String(ctx.body.tree),
        (ctx.body.parents ?? []) as string[],
        String(ctx.body.message ?? ""),
      );
      return { status: 201, body: commitJson(ctx.state, c) };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/git/commits/(?<sha>[0-9a-f]{40})$`),
    handle(ctx) {
      const c = ctx.git.commits.get(ctx.params.sha!);
      return c ? { status: 200, body: commitJson(ctx.state, c) } : notFound();
    },
  },
  // contents
  {
    method: "GET",
    pattern: new RegExp(`${R}/contents/(?<path>.+)$`),
    handle(ctx) {
      const commit = ctx.git.resolve(ctx.query.get("ref") ?? ctx.state.defaultBranch);
      const file = commit && ctx.git.fileAt(commit, ctx.params.path!);
      if (!file) return notFound();
      const name = ctx.params.path!.split("/").pop()!;
      // GitHub wraps base64 content at 60 characters.
      const content = file.content.toString("base64").replace(/.{60}/g, "$&\n");
      return {
        status: 200,
        body: {
          type: "file",
          encoding: "base64",
          size: file.content.length,
          name,
          path: ctx.params.path,
          content,
          sha: file.sha,
          url: `${api(ctx.state)}/contents/${ctx.params.path}`,
        },
      };
    },
  },
  // pull requests
  {
    method: "GET",
    pattern: new RegExp(`${R}/pulls$`),
    handle(ctx) {
      const state = ctx.query.get("state") ?? "open";
      // GitHub ignores a head filter that is not "user:ref-name" and lists every pull request.
      const head = ctx.query.get("head")?.includes(":") ? ctx.query.get("head") : null;
      const base = ctx.query.get("base");
      const pulls = ctx.state.issues.filter(
        (i) =>
          i.pull &&
          (state === "all" || i.state === state) &&
          (!head || head === `${ctx.state.owner}:${i.pull.head}`) &&
          (!base || base === i.pull.base),
      );
      return page(
        ctx,
        pulls.reverse().map((i) => pullJson(ctx, i)),
      );
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/pulls$`),
    handle(ctx) {
      const { title, body = null, base, draft = false } = ctx.body;
      const head = String(ctx.body.head ?? "").replace(new RegExp(`^${ctx.state.owner}:`), "");
      if (!title)
        return invalid([{ resource: "PullRequest", field: "title", code: "missing_field" }]);
      if (typeof body === "string" && body.length > MAX_BODY) return tooLong();
      const headSha = ctx.git.refs.get(`refs/heads/${head}`);
      const baseSha = ctx.git.refs.get(`refs/heads/${base}`);
      if (!baseSha) return invalid([{ resource: "PullRequest", field: "base", code: "invalid" }]);
      if (!headSha) return invalid([{ resource: "PullRequest", field: "head", code: "invalid" }]);
      if (
        ctx.state.issues.some(
          (i) => i.pull && i.state === "open" && i.pull.head === head && i.pull.base === base,
        )
      ) {
        return invalid([
          {
            resource: "PullRequest",
            code: "custom",
            message: `A pull request already exists for ${ctx.state.owner}:${head}.`,
          },
        ]);
      }
      if (ctx.git.ancestors(baseSha).has(headSha))
        return invalid([
          {
            resource: "PullRequest",
            code: "custom",
            message: `No commits between ${base} and ${head}`,
          },
        ]);
      const issue: Issue = {
        number: ctx.state.issues.length + 1,
        title,
        body,
        state: "open",
        labels: [],
        user: ctx.state.login,
        created_at: now(),
        updated_at: now(),
        pull: {
          head,
          base,
          draft: Boolean(draft),
          merged: false,
          merge_commit_sha: null,
          head_sha_at_close: null,
          requested_reviewers: [],
          requested_teams: [],
        },
      };
      ctx.state.issues.push(issue);
      return { status: 201, body: pullJson(ctx, issue) };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/pulls/(?<number>\\d+)$`),
    handle(ctx) {
      const pr = pullOf(ctx);
      return pr ? { status: 200, body: pullJson(ctx, pr) } : notFound();
    },
  },
  {
    method: "PATCH",
    pattern: new RegExp(`${R}/pulls/(?<number>\\d+)$`),
    handle(ctx) {
      const pr = pullOf(ctx);
      if (!pr) return notFound();
      if (typeof ctx.body.body === "string" && ctx.body.body.length > MAX_BODY) return tooLong();
      // REST cannot change `draft` (only GraphQL can): GitHub ignores it here too.
      if (typeof ctx.body.title === "string") pr.title = ctx.body.title;
      if (ctx.body.body !== undefined) pr.body = ctx.body.body;
      if (ctx.body.state === "open" || ctx.body.state === "closed") pr.state = ctx.body.state;
      if (typeof ctx.body.base === "string") pr.pull!.base = ctx.body.base;
      pr.updated_at = now();
      return { status: 200, body: pullJson(ctx, pr) };
    },
  },
  {
    method: "PUT",
    pattern: new RegExp(`${R}/pulls/(?<number>\\d+)/merge$`),
    handle(ctx) {
      const pr = pullOf(ctx);
      if (!pr) return notFound();
      const p = pr.pull!;
      if (pr.state !== "open")
        return { status: 405, body: { message: "Pull Request is not mergeable" } };
      if (p.draft) return { status: 405, body: { message: "Pull Request is still a draft" } };
      const head = ctx.git.refs.get(`refs/heads/${p.head}`)!;
      if (ctx.body.sha && ctx.body.sha !== head)
        return {
          status: 409,
          body: { message: "Head branch was modified. Review and try the merge again." },
        };
      const base = ctx.git.refs.get(`refs/heads/${p.base}`)!;
      const tree = ctx.git.mergeTrees(base, head);
      const method = ctx.body.merge_method ?? "merge";
      const message = `${ctx.body.commit_title ?? `Merge pull request #${pr.number} from ${ctx.state.owner}/${p.head}`}\n\n${ctx.body.commit_message ?? pr.title}`;
      const merge = ctx.git.putCommit(tree, method === "merge" ? [base, head] : [base], message);
      ctx.git.updateRef(`refs/heads/${p.base}`, merge.sha, true);
      Object.assign(p, { merged: true, merge_commit_sha: merge.sha, head_sha_at_close: head });
      Object.assign(pr, { state: "closed", updated_at: now() });
      return {
        status: 200,
        body: { sha: merge.sha, merged: true, message: "Pull Request successfully merged" },
      };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/pulls/(?<number>\\d+)/requested_reviewers$`),
    handle(ctx) {
      const pr = pullOf(ctx);
      if (!pr) return notFound();
      const reviewers = (ctx.body.reviewers ?? []) as string[];
      const teams = (ctx.body.team_reviewers ?? []) as string[];
      if (reviewers.includes(pr.user))
        return invalid([
          {
            resource: "PullRequest",
            code: "custom",
            message: "Review cannot be requested from pull request author.",
          },
        ]);
      if (reviewers.some((r) => !ctx.state.collaborators.has(r))) {
        return {
          status: 422,
          body: {
            message: `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${ctx.state.owner}/${ctx.state.repo} repository.`,
          },
        };
      }
      for (const r of reviewers)
        if (!pr.pull!.requested_reviewers.includes(r)) pr.pull!.requested_reviewers.push(r);
      for (const t of teams)
        if (!pr.pull!.requested_teams.includes(t)) pr.pull!.requested_teams.push(t);
      return { status: 201, body: pullJson(ctx, pr) };
    },
  },
  // issues, comments, labels
  {
    method: "GET",
    pattern: new RegExp(`${R}/issues$`),
    handle(ctx) {
      const state = ctx.query.get("state") ?? "open";
      const wanted = (ctx.query.get("labels") ?? "")
        .split(",")
        .filter(Boolean)
        .map((l) => l.toLowerCase());
      const issues = ctx.state.issues.filter(
        (i) =>
          (state === "all" || i.state === state) &&
          wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)),
      );
      return page(
        ctx,
        [...issues].reverse().map((i) => issueJson(ctx, i)),
      );
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/issues$`),
    handle(ctx) {
      if (!ctx.body.title)
        return invalid([{ resource: "Issue", field: "title", code: "missing_field" }]);
      const issue: Issue = {
        number: ctx.state.issues.length + 1,
        title: ctx.body.title,
        body: ctx.body.body ?? null,
        state: "open",
        labels: [],
        user: ctx.state.login,
        created_at: now(),
        updated_at: now(),
      };
      addLabels(ctx.state, issue, (ctx.body.labels ?? []) as string[]);
      ctx.state.issues.push(issue);
      return { status: 201, body: issueJson(ctx, issue) };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/issues/(?<number>\\d+)$`),
    handle(ctx) {
      const issue = issueOf(ctx);
      return issue ? { status: 200, body: issueJson(ctx, issue) } : notFound();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/issues/(?<number>\\d+)/comments$`),
    handle(ctx) {
      if (!issueOf(ctx)) return notFound();
      const comments = [...ctx.state.comments.values()].filter(
        (c) => c.issue_number === Number(ctx.params.number),
      );
      return page(
        ctx,
        comments.map((c) => ({
          id: c.id,
          body: c.body,
          user: user(c.user),
          created_at: c.created_at,
          updated_at: c.updated_at,
          html_url: `${html(ctx.state)}/issues/${c.issue_number}#issuecomment-${c.id}`,
          url: `${api(ctx.state)}/issues/comments/${c.id}`,
        })),
      );
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/issues/(?<number>\\d+)/comments$`),
    handle(ctx) {
      const issue = issueOf(ctx);
      if (!issue) return notFound();
      if (typeof ctx.body.body !== "string")
        return invalid([{ resource: "IssueComment", field: "body", code: "missing_field" }]);
      const c = {
        id: ctx.state.nextId(),
        issue_number: issue.number,
        body: ctx.body.body,
        user: ctx.state.login,
        created_at: now(),
        updated_at: now(),
      };
      ctx.state.comments.set(c.id, c);
      return {
        status: 201,
        body: {
          ...c,
          user: user(c.user),
          html_url: `${html(ctx.state)}/issues/${issue.number}#issuecomment-${c.id}`,
        },
      };
    },
  },
  {
    method: "PATCH",
    pattern: new RegExp(`${R}/issues/comments/(?<id>\\d+)$`),
    handle(ctx) {
      const c = ctx.state.comments.get(Number(ctx.params.id));
      if (!c) return notFound();
      Object.assign(c, { body: String(ctx.body.body), updated_at: now() });
      return {
        status: 200,
        body: {
          ...c,
          user: user(c.user),
          html_url: `${html(ctx.state)}/issues/${c.issue_number}#issuecomment-${c.id}`,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/labels$`),
    handle(ctx) {
      return page(
        ctx,
        [...ctx.state.labels.values()].map((l) => labelJson(ctx.state, l)),
      );
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/labels/(?<name>.+)$`),
    handle(ctx) {
      const l = ctx.state.labels.get(ctx.params.name!.toLowerCase());
      return l ? { status: 200, body: labelJson(ctx.state, l) } : notFound();
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/labels$`),
    handle(ctx) {
      const name = String(ctx.body.name ?? "");
      if (!name) return invalid([{ resource: "Label", field: "name", code: "missing_field" }]);
      if (ctx.state.labels.has(name.toLowerCase()))
        return invalid([{ resource: "Label", code: "already_exists", field: "name" }]);
      const l = {
        id: ctx.state.nextId(),
        name,
        color: String(ctx.body.color ?? "ededed").replace(/^#/, ""),
        description: ctx.body.description ?? null,
      };
      ctx.state.labels.set(name.toLowerCase(), l);
      return { status: 201, body: labelJson(ctx.state, l) };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/issues/(?<number>\\d+)/labels$`),
    handle(ctx) {
      const issue = issueOf(ctx);
      if (!issue) return notFound();
      addLabels(ctx.state, issue, (ctx.body.labels ?? []) as string[]);
      return { status: 200, body: issueLabels(ctx.state, issue) };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`${R}/issues/(?<number>\\d+)/labels/(?<name>.+)$`),
    handle(ctx) {
      const issue = issueOf(ctx);
      if (!issue) return notFound();
      const at = issue.labels.findIndex((l) => l.toLowerCase() === ctx.params.name!.toLowerCase());
      if (at < 0) return { status: 404, body: { message: "Label does not exist" } };
      issue.labels.splice(at, 1);
      return { status: 200, body: issueLabels(ctx.state, issue) };
    },
  },
  // releases and their assets
  {
    method: "GET",
    pattern: new RegExp(`${R}/releases/tags/(?<tag>.+)$`),
    handle(ctx) {
      const r = ctx.state.releases.find((x) => x.tag_name === ctx.params.tag);
      return r ? { status: 200, body: releaseJson(ctx.state, r) } : notFound();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${R}/releases/(?<id>\\d+)/assets$`),
    handle(ctx) {
      const r = ctx.state.releases.find((x) => x.id === Number(ctx.params.id));
      return r
        ? page(
            ctx,
            r.assets.map((a) => assetJson(ctx.state, r, a)),
          )
        : notFound();
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${R}/releases$`),
    handle(ctx) {
      const tag = String(ctx.body.tag_name ?? "");
      if (!tag) return invalid([{ resource: "Release", code: "missing_field", field: "tag_name" }]);
      if (ctx.state.releases.some((r) => r.tag_name === tag))
        return invalid([{ resource: "Release", code: "already_exists", field: "tag_name" }]);
      const target = String(ctx.body.target_commitish ?? ctx.state.defaultBranch);
      if (!ctx.git.refs.has(`refs/tags/${tag}`)) {
        // GitHub creates a missing tag at target_commitish when the release is published.
        const commit = ctx.git.resolve(target);
        if (!commit)
          return invalid([{ resource: "Release", code: "invalid", field: "target_commitish" }]);
        ctx.git.createRef(`refs/tags/${tag}`, commit.sha);
      }
      const r: Release = {
        id: ctx.state.nextId(),
        tag_name: tag,
        target_commitish: target,
        name: ctx.body.name ?? null,
        body: ctx.body.body ?? null,
        draft: Boolean(ctx.body.draft),
        prerelease: Boolean(ctx.body.prerelease),
        created_at: now(),
        assets: [],
      };
      ctx.state.releases.push(r);
      return { status: 201, body: releaseJson(ctx.state, r) };
    },
  },
  {
    method: "POST",
    upload: true,
    raw: true,
    pattern: new RegExp(`${R}/releases/(?<id>\\d+)/assets$`),
    handle(ctx) {
      const r = ctx.state.releases.find((x) => x.id === Number(ctx.params.id));
      if (!r) return notFound();
      const name = ctx.query.get("name");
      if (!name)
        return invalid([{ resource: "ReleaseAsset", code: "missing_field", field: "name" }]);
      if (r.assets.some((a) => a.name === name))
        return invalid([{ resource: "ReleaseAsset", code: "already_exists", field: "name" }]);
      const bytes = ctx.body as unknown as Buffer;
      const declared = ctx.headers["content-length"];
      if (declared !== undefined && Number(declared) !== bytes.length)
        return { status: 400, body: { message: "Bad Content-Length" } };
      const a = {
        id: ctx.state.nextId(),
        name,
        label: ctx.query.get("label"),
        content_type: String(ctx.headers["content-type"] ?? "application/octet-stream"),
        bytes,
        created_at: now(),
      };
      r.assets.push(a);
      return { status: 201, body: assetJson(ctx.state, r, a) };
    },
  },
];
