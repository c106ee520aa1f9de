/**
 * The tag `<model>-vN` and the GitHub release that carries a promoted version's `.tflite`
 * files. Both are history: a tag is made once, at the commit that first promoted the
 * version, and never moved; a rollback to an older version finds its tag and release
 * already there. Every step tolerates a rerun (existing tag, release or asset).
 */
import { isGitHubError, type GitHubClient } from "./client.ts";

/** A file to attach, with the bytes already verified against the registry. */
export interface ReleaseAssetFile {
  name: string;
  bytes: Buffer;
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
 * release with the same name and size is kept; one with another size is left alone and
 * reported (release assets are history too: replacing one would rewrite what shipped).
 */
export async function publishRelease(
  client: GitHubClient,
  opts: { tag: string; commit: string; name: string; body: string; assets: ReleaseAssetFile[] },
): Promise<PublishedRelease> {
  const { octokit, owner, repo } = client;
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
    const present = release.assets.find((a) => a.name === file.name);
    if (present) {
      if (present.size !== file.bytes.length)
        notes.push(
          `release ${opts.tag} already has ${file.name} with ${present.size} bytes, not the verified ${file.bytes.length}; left as is (fix: delete the asset and rerun the promote workflow)`,
        );
      assets.push({ name: file.name, url: present.browser_download_url, uploaded: false });
      continue;
    }
    assets.push(await uploadAsset(client, release, file));
  }
  return { tag, release: { id: release.id, url: release.html_url, created, assets }, notes };
}

async function uploadAsset(client: GitHubClient, release: Release, file: ReleaseAssetFile) {
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
    return { name: file.name, url: uploaded.data.browser_download_url, uploaded: true };
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
    return { name: file.name, url: found.browser_download_url, uploaded: false };
  }
}
