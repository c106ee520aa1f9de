/**
 * The tag `<model>-vN` and the GitHub release that carries a promoted version's `.tflite`
 * files. Both are history: a tag is made once, at the commit that first promoted the
 * version, and never moved; a rollback to an older version finds its tag and release
 * already there. Every step tolerates a rerun (existing tag, release or asset). An asset
 * already attached is judged by its sha256 where GitHub reports one (`digest`), else by
 * its size (servers that report no digest). An asset whose upload never finished (state
 * not `uploaded`, e.g. `open`) is not attached: it is deleted and uploaded again.
 */
import { isGitHubError, type GitHubClient } from "./client.ts";

/** A file to attach, with the bytes already verified against the sha256 the registry records. */
export interface ReleaseAssetFile {
  name: string;
  sha256: string;
  bytes: Buffer;
}

/** An attached asset as GitHub lists it; `digest` is `sha256:<hex>` where the server reports it. */
interface AttachedAsset {
  id: number;
  name: string;
  /** `uploaded` once the bytes are all there; `open` while (or after an interrupted) upload. */
  state: string;
  size: number;
  digest?: string | null;
  browser_download_url: string;
}

/** Pure: why an attached asset is not `file`'s bytes, or undefined when it is (or cannot be told). */
export function attachedAssetMismatch(
  asset: AttachedAsset,
  file: ReleaseAssetFile,
): string | undefined {
  const digest = typeof asset.digest === "string" ? asset.digest : undefined;
  if (digest?.startsWith("sha256:")) {
    const actual = digest.slice("sha256:".length).toLowerCase();
    return actual === file.sha256 ? undefined : `sha256 ${actual}, not the verified ${file.sha256}`;
  }
  return asset.size === file.bytes.length
    ? undefined
    : `${asset.size} bytes, not the verified ${file.bytes.length}`;
}

/** What the tag and release look like afterwards. */
export interface PublishedRelease {
  tag: { name: string; sha: string; created: boolean };
  release: {
    id: number;
    url: string;
    created: boolean;
    assets: { name: string; url: string; uploaded: boolean }[];
  };
  notes: string[];
}

/** The release's uploads root (`https://uploads.github.com`, or GHES's `/api/uploads`) from its upload_url. */
export function uploadsBaseUrl(uploadUrl: string): string {
  const at = uploadUrl.indexOf("/repos/");
  if (at < 0) throw new Error(`unexpected release upload_url "${uploadUrl}": no /repos/ segment`);
  return uploadUrl.slice(0, at);
}

/** Creates the tag at `commit` when absent; an existing tag stays where it is. */
export async function ensureTag(
  client: GitHubClient,
  tag: string,
  commit: string,
): Promise<PublishedRelease["tag"]> {
  const { octokit, owner, repo } = client;
  const existing = await octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` }).then(
    (r) => r.data.object.sha,
    (err: unknown) => {
      if (isGitHubError(err, 404)) return undefined;
      throw err;
    },
  );
  if (existing) return { name: tag, sha: existing, created: false };
  try {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/tags/${tag}`, sha: commit });
    return { name: tag, sha: commit, created: true };
  } catch (err) {
    if (!isGitHubError(err, 422, /Reference already exists/i)) throw err;
    const now = await octokit.rest.git.getRef({ owner, repo, ref: `tags/${tag}` });
    return { name: tag, sha: now.data.object.sha, created: false };
  }
}

type Release = Awaited<
  ReturnType<GitHubClient["octokit"]["rest"]["repos"]["getReleaseByTag"]>
>["data"];

async function releaseByTag(client: GitHubClient, tag: string): Promise<Release | undefined> {
  const { octokit, owner, repo } = client;
  return octokit.rest.repos.getReleaseByTag({ owner, repo, tag }).then(
    (r) => r.data,
    (err: unknown) => {
      if (isGitHubError(err, 404)) return undefined;
      throw err;
    },
  );
}

/**
 * Tags `commit` and publishes the release with `assets` attached. An asset already on the
 * release with the same name and bytes is kept; one with other bytes is left alone and
 * reported (release assets are history too: replacing one would rewrite what shipped).
 * Asset names must be unique; otherwise nothing is tagged or published.
 */
export async function publishRelease(
  client: GitHubClient,
  opts: { tag: string; commit: string; name: string; body: string; assets: ReleaseAssetFile[] },
): Promise<PublishedRelease> {
  const { octokit, owner, repo } = client;
  const names = opts.assets.map((a) => a.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length)
    throw new Error(
      `release ${opts.tag} refused: more than one asset named ${[...new Set(twice)].join(", ")} (fix: republish the artifact with unique file names)`,
    );
  const tag = await ensureTag(client, opts.tag, opts.commit);
  const notes: string[] = [];
  if (tag.sha !== opts.commit)
    notes.push(
      `tag ${opts.tag} already points at ${tag.sha.slice(0, 10)} (where this version was first promoted); left as is`,
    );
  let release = await releaseByTag(client, opts.tag);
  let created = false;
  if (!release) {
    try {
      release = (
        await octokit.rest.repos.createRelease({
          owner,
          repo,
          tag_name: opts.tag,
          target_commitish: opts.commit,
          name: opts.name,
          body: opts.body,
        })
      ).data;
      created = true;
    } catch (err) {
      if (!isGitHubError(err, 422, /already_exists/)) throw err;
      release = await releaseByTag(client, opts.tag);
      if (!release) throw err;
    }
  }
  const assets: PublishedRelease["release"]["assets"] = [];
  for (const file of opts.assets) {
    let present = release.assets.find((a) => a.name === file.name);
    if (present && present.state !== "uploaded") {
      await deleteUnfinished(client, opts.tag, present);
      notes.push(
        `release ${opts.tag} had ${file.name} in state "${present.state}" (an upload that never finished); deleted and uploaded again`,
      );
      present = undefined;
    }
    const { asset, listed } = present
      ? {
          asset: { name: file.name, url: present.browser_download_url, uploaded: false },
          listed: present,
        }
      : await uploadAsset(client, release, file);
    const mismatch = listed && attachedAssetMismatch(listed, file);
    if (mismatch)
      notes.push(
        `release ${opts.tag} already has ${file.name} with ${mismatch}; left as is (fix: delete the asset and rerun the promote workflow)`,
      );
    assets.push(asset);
  }
  return { tag, release: { id: release.id, url: release.html_url, created, assets }, notes };
}

/** Deletes an asset whose upload never finished: its name blocks a new upload. */
async function deleteUnfinished(client: GitHubClient, tag: string, asset: AttachedAsset) {
  const { octokit, owner, repo } = client;
  await octokit.rest.repos
    .deleteReleaseAsset({ owner, repo, asset_id: asset.id })
    .catch((err: unknown) => {
      if (isGitHubError(err, 404)) return;
      throw new Error(
        `release ${tag} has ${asset.name} in state "${asset.state}" (an upload that never finished) and it could not be deleted: ${(err as Error).message} (fix: delete the asset on the release page and rerun the promote workflow)`,
        { cause: err },
      );
    });
}

/**
 * Uploads `file`; `listed` is the asset found already there when the upload was a retry. An
 * asset of that name left unfinished by the first attempt is deleted and the upload made
 * again, once.
 */
async function uploadAsset(
  client: GitHubClient,
  release: Release,
  file: ReleaseAssetFile,
  again = true,
): Promise<{ asset: PublishedRelease["release"]["assets"][number]; listed?: AttachedAsset }> {
  const { octokit, owner, repo } = client;
  try {
    const uploaded = await octokit.rest.repos.uploadReleaseAsset({
      owner,
      repo,
      release_id: release.id,
      name: file.name,
      // Octokit types `data` as string, but sends a Buffer as raw bytes, which binary assets need.
      data: file.bytes as unknown as string,
      baseUrl: uploadsBaseUrl(release.upload_url),
      headers: { "content-type": "application/octet-stream", "content-length": file.bytes.length },
    });
    if (uploaded.data.state !== "uploaded")
      throw new Error(
        `release ${release.tag_name}: GitHub answered the upload of ${file.name} with state "${uploaded.data.state}", not "uploaded" (fix: delete the asset on the release page and rerun the promote workflow)`,
      );
    return {
      asset: { name: file.name, url: uploaded.data.browser_download_url, uploaded: true },
    };
  } catch (err) {
    // A retried upload whose first answer was lost.
    if (!isGitHubError(err, 422, /already_exists/)) throw err;
    const listed = await octokit.rest.repos.listReleaseAssets({
      owner,
      repo,
      release_id: release.id,
      per_page: 100,
    });
    const found = listed.data.find((a) => a.name === file.name);
    if (!found) throw err;
    if (found.state !== "uploaded") {
      if (!again)
        throw new Error(
          `release ${release.tag_name}: the upload of ${file.name} did not finish twice (state "${found.state}") (fix: rerun the promote workflow)`,
          { cause: err },
        );
      await deleteUnfinished(client, release.tag_name, found);
      return uploadAsset(client, release, file, false);
    }
    return {
      asset: { name: file.name, url: found.browser_download_url, uploaded: false },
      listed: found,
    };
  }
}
