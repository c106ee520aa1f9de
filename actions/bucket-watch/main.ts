/**
 * The bucket-watch action's entry: new images under the incoming location become a
 * manifest proposed as a pull request; reruns update the same branch and pull request.
 */
import * as core from "@actions/core";
import { join } from "node:path";
import { listedKeys, manifestFromIncoming } from "../../lib/bucket-watch.ts";
import { proposePromotion } from "../../lib/github/promotion.ts";
import { stringifyManifest } from "../../lib/manifest.ts";
import { openStore } from "../../lib/storage/index.ts";
import { githubClient, repository, requiredInput } from "../lib/inputs.ts";

/** Runs the action. */
export async function run(): Promise<void> {
  const incomingUri = requiredInput(
    "incoming_uri",
    "set the repository variable MLOPS_INCOMING_URI, e.g. s3://mango-data/incoming",
  );
  const token = requiredInput("github_token", "pass ${{ github.token }}");
  const { repoDir, config } = repository();
  const store = openStore(incomingUri, {
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.force_path_style,
  });
  const known = await listedKeys(join(repoDir, config.paths.manifests), store.baseUri);
  const day = new Date().toISOString().slice(0, 10);
  const datasetId = `incoming-${day}`;
  const { manifest, skipped } = await manifestFromIncoming(store, {
    prefix: "",
    labels: config.labels,
    known,
    datasetId,
  });
  for (const s of skipped) core.warning(`${s.key}: ${s.reason}`);
  if (!manifest) {
    core.info(`nothing new under ${incomingUri}`);
    core.setOutput("manifest", "");
    core.setOutput("pull-request", "");
    return;
  }
  const path = `${config.paths.manifests}/${datasetId}.json`;
  const counts = config.labels
    .map((l) => `${l}: ${manifest.images.filter((i) => i.label === l).length}`)
    .join(", ");
  const client = githubClient(token);
  const out = await proposePromotion(client, {
    baseBranch: config.git.base_branch,
    branch: `mlops/data-${datasetId}`,
    files: [{ path, content: stringifyManifest(manifest) }],
    commitMessage: `Add ${datasetId}: ${manifest.images.length} new images from ${incomingUri}`,
    title: `Data: ${manifest.images.length} new images (${datasetId})`,
    body: `New objects under \`${incomingUri}\` as a manifest (labels from folder names, sha256 computed from the bytes).\n\n${counts}\n\n${skipped.length ? `Left out:\n${skipped.map((s) => `- \`${s.key}\`: ${s.reason}`).join("\n")}\n\n` : ""}Merging starts the pipeline on it; the manifest review below checks the photos first.`,
    draft: false,
    labels: [
      { name: "mlops:data", color: "0e8a16", description: "new data proposed by mango-mlops" },
    ],
    reviewers: [],
  });
  core.setOutput("manifest", path);
  core.setOutput("pull-request", out.pullRequest.url);
  core.info(`${out.created ? "opened" : "updated"} ${out.pullRequest.url}`);
}

try {
  await run();
} catch (err) {
  core.setFailed((err as Error).message);
}
