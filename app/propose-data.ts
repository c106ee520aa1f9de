/**
 * The bucket-watch use case: new images under the incoming location become a manifest
 * (labels from folder names, sha256 from the bytes), proposed as a pull request. Each run
 * writes a new file (`incoming-<UTC time>.json`) listing every object no merged manifest
 * lists, so merged manifests are never touched; while a proposal is still open, the next
 * run replaces it on the same branch and pull request rather than opening a second one.
 */
import { listedKeys, manifestFromIncoming, newIncomingManifest } from "../lib/bucket-watch.ts";
import type { MlopsConfig } from "../lib/config.ts";
import { proposePromotion } from "../lib/github/promotion.ts";
import { stringifyManifest } from "../lib/manifest.ts";
import { codeSpan, escapeMarkdown } from "../lib/markdown.ts";
import { gitHubOf, type HostHooks, storesOf } from "./services.ts";

/** Where the new images are, and the repository they are proposed to. */
export interface ProposeDataRequest {
  repoDir: string;
  config: MlopsConfig;
  incomingUri: string;
  /** GITHUB_TOKEN (contents and pull requests write), GITHUB_REPOSITORY, GITHUB_API_URL. */
  env: NodeJS.ProcessEnv;
  hooks?: HostHooks;
  now?: Date;
}

/** The branch of the open data proposal; a run rebuilds it on the base branch. */
export const DATA_BRANCH = "mlops/data-incoming";

/** What was proposed: nothing new, or the manifest and its pull request. */
export type ProposeDataResult =
  | { kind: "nothing_new"; skipped: Array<{ key: string; reason: string }> }
  | {
      kind: "proposed";
      manifest: string;
      images: number;
      pullRequest: string;
      created: boolean;
      skipped: Array<{ key: string; reason: string }>;
    };

/** Lists the incoming location and proposes what no manifest lists yet. */
export async function proposeData(req: ProposeDataRequest): Promise<ProposeDataResult> {
  const { config, incomingUri } = req;
  const github = gitHubOf(req.env, req.hooks);
  if (!github)
    throw new Error(
      "bucket-watch needs GitHub: GITHUB_TOKEN and GITHUB_REPOSITORY inside Actions (fix: pass the github_token input)",
    );
  const store = storesOf(req.repoDir, config)(incomingUri);
  const known = await listedKeys(req.repoDir, config.paths, store.baseUri);
  const { datasetId, path } = newIncomingManifest(
    req.repoDir,
    config.paths.manifests,
    req.now ?? new Date(),
  );
  const { manifest, skipped } = await manifestFromIncoming(store, {
    prefix: "",
    labels: config.labels,
    known,
    datasetId,
  });
  if (!manifest) return { kind: "nothing_new", skipped };
  const counts = config.labels
    .map((l) => `${l}: ${manifest.images.filter((i) => i.label === l).length}`)
    .join(", ");
  const leftOut = skipped.length
    ? `Left out:\n${skipped.map((s) => `- ${codeSpan(s.key)}: ${escapeMarkdown(s.reason)}`).join("\n")}\n\n`
    : "";
  const out = await proposePromotion(github, {
    baseBranch: config.git.base_branch,
    branch: DATA_BRANCH,
    files: [{ path, content: stringifyManifest(manifest) }],
    commitMessage: `Add ${datasetId}: ${manifest.images.length} new images from ${incomingUri}`,
    title: `Data: ${manifest.images.length} new images (${datasetId})`,
    body: `New objects under ${codeSpan(incomingUri)} as a manifest (labels from folder names, sha256 computed from the bytes).\n\n${counts}\n\n${leftOut}Merging starts the pipeline on it; the manifest review below checks the photos first.`,
    draft: false,
    labels: [
      { name: "mlops:data", color: "0e8a16", description: "new data proposed by mango-mlops" },
    ],
    reviewers: [],
  });
  return {
    kind: "proposed",
    manifest: path,
    images: manifest.images.length,
    pullRequest: out.pullRequest.url,
    created: out.created,
    skipped,
  };
}
