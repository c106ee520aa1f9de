/**
 * The GitHub stand-in's releases and their assets: a release by tag, its assets, a new
 * release (creating a missing tag, as GitHub does), an asset upload on the uploads root
 * (refused when its name exists or its Content-Length is wrong; one cut off stays listed in
 * state `open`, see `Refusals.uploadsLeftOpen`), and deleting an asset.
 */
import type { Release, ServerState } from "./github-state.ts";
import {
  assetJson,
  invalid,
  notFound,
  now,
  page,
  R,
  releaseJson,
  type Reply,
  type Route,
} from "./github-route-kit.ts";

/** A release asset's bytes at its browser_download_url (the web host, no token needed). */
export function download(s: ServerState, path: string): Reply {
  const m = path.match(/^\/download\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/(.+)$/);
  const asset =
    m &&
    s.releases
      .find((r) => r.tag_name === m[3])
      ?.assets.find((a) => a.name === m[4] && a.state === "uploaded");
  return asset
    ? { status: 200, body: asset.bytes }
    : { status: 404, body: { message: "Not Found" } };
}

/** The release endpoints and the asset upload (on the uploads root). */
export const releaseRoutes: Route[] = [
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
      // An upload cut off leaves the asset listed in state `open`, its name taken.
      const cut = (ctx.state.refusals.uploadsLeftOpen ?? 0) > 0;
      if (cut) ctx.state.refusals.uploadsLeftOpen! -= 1;
      const a = {
        id: ctx.state.nextId(),
        name,
        label: ctx.query.get("label"),
        content_type: String(ctx.headers["content-type"] ?? "application/octet-stream"),
        bytes,
        state: cut ? ("open" as const) : ("uploaded" as const),
        created_at: now(),
      };
      r.assets.push(a);
      if (cut) return { status: 502, body: { message: "Server Error" } };
      return { status: 201, body: assetJson(ctx.state, r, a) };
    },
  },
  {
    method: "DELETE",
    pattern: new RegExp(`${R}/releases/assets/(?<id>\\d+)$`),
    handle(ctx) {
      const id = Number(ctx.params.id);
      const r = ctx.state.releases.find((x) => x.assets.some((a) => a.id === id));
      if (!r) return notFound();
      r.assets = r.assets.filter((a) => a.id !== id);
      return { status: 204 };
    },
  },
];
