/**
 * What the fault suite's promote cases add to the promote world (promote-world.ts): a file
 * committed on main as raw text through the git data API (a pointer no proposal would
 * write), a version's model folder published to any artifact store, and a same-size forgery
 * of some bytes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { publishModelFolder } from "../../lib/artifacts.ts";
import type { GitHubClient } from "../../lib/github/client.ts";
import type { ModelArtifact } from "../../lib/registry.ts";
import type { ObjectStore } from "../../lib/storage/index.ts";
import { MODEL, tflite } from "./promote-world.ts";

/** Commits `text` at `path` on main; returns the commit. */
export async function commitOnMain(
  client: GitHubClient,
  path: string,
  text: string,
): Promise<string> {
  const { octokit, owner, repo } = client;
  const head = (await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" })).data.object.sha;
  const base = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: head })).data.tree.sha;
  const tree = await octokit.rest.git.createTree({
    owner,
    repo,
    base_tree: base,
    tree: [{ path, mode: "100644", type: "blob", content: text }],
  });
  const commit = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: `Edit ${path}`,
    tree: tree.data.sha,
    parents: [head],
  });
  await octokit.rest.git.updateRef({ owner, repo, ref: "heads/main", sha: commit.data.sha });
  return commit.data.sha;
}

/** Publishes a version's folder (TF.js files and its .tflite) to `store` under `dir`. */
export async function publishTo(
  store: ObjectStore,
  dir: string,
  version: string,
): Promise<ModelArtifact> {
  const folder = join(dir, version);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "model.json"), JSON.stringify({ version }));
  await writeFile(join(folder, "weights.bin"), Buffer.from(`tfjs weights ${version}`));
  await writeFile(join(folder, `mango_model_${version}.tflite`), tflite(version));
  return publishModelFolder(store, MODEL, folder, { inputSize: 96, labels: ["a", "b"] });
}

/** Other bytes of the same length: what a size check would take for the original. */
export function sameSizeForgery(bytes: Buffer): Buffer {
  return Buffer.from(bytes.map((b) => b ^ 0xff));
}
