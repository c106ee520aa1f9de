/**
 * The GitHub stand-in's issues, issue comments and labels: listing with label filters,
 * opening, commenting and editing comments, and labels created, added and removed as
 * GitHub does (case-insensitive names, missing labels created on the fly).
 */
import type { Issue, ServerState } from "./github-state.ts";
import {
  commentJson,
  invalid,
  issueJson,
  issueLabels,
  issueOf,
  labelJson,
  MAX_BODY,
  notFound,
  now,
  page,
  R,
  refusal,
  type Route,
  tooLong,
} from "./github-route-kit.ts";

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

/** The issue, comment and label endpoints. */
export const issueRoutes: Route[] = [
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
        comments.map((c) => commentJson(ctx.state, c)),
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
      if (ctx.body.body.length > MAX_BODY) return tooLong("IssueComment");
      const c = {
        id: ctx.state.nextId(),
        issue_number: issue.number,
        body: ctx.body.body,
        user: ctx.state.login,
        created_at: now(),
        updated_at: now(),
      };
      ctx.state.comments.set(c.id, c);
      return { status: 201, body: commentJson(ctx.state, c) };
    },
  },
  {
    method: "PATCH",
    pattern: new RegExp(`${R}/issues/comments/(?<id>\\d+)$`),
    handle(ctx) {
      const c = ctx.state.comments.get(Number(ctx.params.id));
      if (!c) return notFound();
      if (String(ctx.body.body).length > MAX_BODY) return tooLong("IssueComment");
      Object.assign(c, { body: String(ctx.body.body), updated_at: now() });
      return { status: 200, body: commentJson(ctx.state, c) };
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
      if (at < 0) return refusal(404, "Label does not exist");
      issue.labels.splice(at, 1);
      return { status: 200, body: issueLabels(ctx.state, issue) };
    },
  },
];
