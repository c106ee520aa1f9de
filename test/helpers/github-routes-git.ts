/**
 * The GitHub stand-in's git data API (refs, blobs, trees, commits) and contents API, over
 * the in-memory git store (github-git-store.ts), with GitHub's shapes and refusals.
 */
import { GitRefusal } from "./github-git-store.ts";
import {
  api,
  commitJson,
  html,
  invalid,
  notFound,
  R,
  refJson,
  type Route,
} from "./github-route-kit.ts";

/** The git data endpoints (refs, blobs, trees, commits) and the contents endpoint. */
export const gitRoutes: Route[] = [
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
      const ref = ctx.query.get("ref") ?? ctx.state.defaultBranch;
      const url = `${api(ctx.state)}/contents/${ctx.params.path}?ref=${encodeURIComponent(ref)}`;
      const git = `${api(ctx.state)}/git/blobs/${file.sha}`;
      const web = `${html(ctx.state)}/blob/${encodeURIComponent(ref)}/${ctx.params.path}`;
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
          url,
          git_url: git,
          html_url: web,
          download_url: `${ctx.state.origin}/raw/${ctx.state.owner}/${ctx.state.repo}/${commit.sha}/${ctx.params.path}`,
          _links: { self: url, git, html: web },
        },
      };
    },
  },
];
