/**
 * What every endpoint of the GitHub stand-in (github-routes.ts) is made of: the route and
 * reply types, GitHub's error replies, its Link-header paging, its JSON shapes (from
 * github-fixtures.ts) and the lookup of the issue or pull request a path names.
 */
import type { IncomingHttpHeaders } from "node:http";
import * as issues from "./github-fixtures-issues.ts";
import type { GitStore } from "./github-git-store.ts";
import type { Issue, ServerState } from "./github-state.ts";

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
/** GitHub's error answer: `message`, `documentation_url` and (as github.com sends) `status`. */
export const refusal = (
  status: number,
  message: string,
  docs = "https://docs.github.com/rest",
) => ({
  status,
  body: { message, documentation_url: docs, status: String(status) },
});
/** GitHub's 404. */
export const notFound = (): Reply => refusal(404, "Not Found");
/** GitHub's 422 "Validation Failed" with its `errors`. */
export const invalid = (errors: object[]): Reply => ({
  status: 422,
  body: {
    message: "Validation Failed",
    errors,
    documentation_url: "https://docs.github.com/rest",
    status: "422",
  },
});
/** The longest issue or pull request body GitHub accepts. */
export const MAX_BODY = 65536;
/** GitHub's answer to a body over `MAX_BODY`. */
export const tooLong = (resource = "Issue") =>
  invalid([
    {
      resource,
      code: "custom",
      field: "body",
      message: `body is too long (maximum is ${MAX_BODY} characters)`,
    },
  ]);
export const now = () => new Date().toISOString();
export {
  api,
  assetJson,
  commentJson,
  commitJson,
  html,
  issueLabels,
  labelJson,
  refJson,
  releaseJson,
  user,
} from "./github-fixtures.ts";
export { pullNodeId } from "./github-fixtures-issues.ts";

/** An issue as the issues API answers (a pull request too, with `pull_request`). */
export const issueJson = (ctx: RouteContext, i: Issue) => issues.issueJson(ctx.state, i);
/** A pull request: in full (GET, POST, PATCH), or as a list item (`full` false). */
export const pullJson = (ctx: RouteContext, i: Issue, full = true) =>
  issues.pullJson(ctx.state, ctx.git, i, full);

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

/** The issue, or pull request, a route's `:number` names. */
export const issueOf = (ctx: RouteContext) =>
  ctx.state.issues.find((i) => i.number === Number(ctx.params.number));
export const pullOf = (ctx: RouteContext) => {
  const i = issueOf(ctx);
  return i?.pull ? i : undefined;
};
