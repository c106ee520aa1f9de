/**
 * The GitHub stand-in's pull requests: listing with GitHub's head/base filters, opening
 * with its refusals (no commits, one already open, a draft where the plan has none, the
 * Actions token while "Allow GitHub Actions to create and approve pull requests" is off),
 * updating (not `draft`: REST cannot; see github-graphql.ts), merging with a real three-way
 * merge, and requesting reviewers from collaborators.
 */
import { DRAFT_UNSUPPORTED } from "./github-graphql.ts";
import { ACTIONS_BOT, type Issue } from "./github-state.ts";
import {
  invalid,
  MAX_BODY,
  notFound,
  now,
  page,
  pullJson,
  pullOf,
  R,
  refusal,
  type Route,
  tooLong,
} from "./github-route-kit.ts";

const CREATE_DOCS = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request";

/** The pull request endpoints: list, open, read, update, merge, request reviewers. */
export const pullRoutes: Route[] = [
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
        pulls.reverse().map((i) => pullJson(ctx, i, false)),
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
      if (draft && ctx.state.refusals.draftUnsupported)
        return refusal(422, DRAFT_UNSUPPORTED, CREATE_DOCS);
      if (ctx.state.login === ACTIONS_BOT && !ctx.state.actions.canApprovePullRequestReviews)
        return refusal(
          403,
          "GitHub Actions is not permitted to create or approve pull requests.",
          CREATE_DOCS,
        );
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
          last_head_sha: headSha,
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
      return { status: 201, body: pullJson(ctx, pr, false) };
    },
  },
];
