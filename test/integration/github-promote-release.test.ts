/**
 * Release assets already attached when a version is promoted again (a rerun, or a
 * rollback to it), over real servers (the GitHub stand-in and s3rver). An asset is judged
 * by the sha256 GitHub reports for it (`digest`): one whose bytes are not the verified
 * artifact's is left alone (release assets are history) and the run says so. Where the
 * server reports no digest (an older GHES), only a size difference can be seen; one client
 * here drops the stand-in's digests to show that.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { publishRelease } from "../../lib/github/release.ts";
import { sha256 } from "../../lib/storage/index.ts";
import { MODEL, tflite, usePromoteWorld } from "../helpers/promote-world.ts";

const w = usePromoteWorld();

/** A client on the stand-in that drops `digest` from release assets, as older servers (GHES) do. */
function digestlessClient(): GitHubClient {
  const client = createGitHubClient({
    token: w.gh.token,
    baseUrl: w.gh.baseUrl,
    owner: w.gh.owner,
    repo: w.gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
  const drop = (asset: unknown) => delete (asset as { digest?: string }).digest;
  client.octokit.hook.after("request", (response) => {
    const data = response.data as unknown;
    if (Array.isArray(data)) data.forEach(drop);
    else if (data && typeof data === "object" && "assets" in data)
      (data as { assets: unknown[] }).assets.forEach(drop);
  });
  return client;
}

describe("release assets of a promoted version", () => {
  let merge1: string;
  const tag = `${MODEL}-v1`;

  beforeAll(async () => {
    merge1 = await w.proposeAndMerge("v1", await w.publish("v1"));
    const first = await w.promoteAt(merge1, {});
    expect(first.release!.release.assets).toMatchObject([{ uploaded: true }]);
  });

  it("keeps an attached asset whose digest is the verified sha256, saying nothing", async () => {
    const again = await w.promoteAt(merge1, {});
    expect(again).toMatchObject({ changed: false, notes: [] });
    expect(again.release!.release.assets).toMatchObject([{ uploaded: false }]);
  });

  it("reports a same-size asset with other bytes and leaves it as is", async () => {
    const asset = w.release(tag)!.assets[0]!;
    const forged = tflite("v9");
    expect(forged.length).toBe(asset.bytes.length);
    asset.bytes = forged;

    const out = await w.promoteAt(merge1, {});
    expect(out.notes).toEqual([
      `release ${tag} already has mango_model_v1.tflite with sha256 ${sha256(forged)}, not the verified ${sha256(tflite("v1"))}; left as is (fix: delete the asset and rerun the promote workflow)`,
    ]);
    expect(w.release(tag)!.assets).toHaveLength(1);
    expect(w.release(tag)!.assets[0]!.bytes).toEqual(forged);
    // Serving is judged apart from the release: its bytes are still v1's.
    expect(out.changed).toBe(false);
    expect((await w.served()).bytes).toEqual(tflite("v1"));

    // Without digests only the size is known, and it matches.
    const sizeOnly = await w.promoteAt(merge1, { client: digestlessClient() });
    expect(sizeOnly.notes).toEqual([]);
  });

  it("refuses two assets of one name before tagging anything", async () => {
    const bytes = tflite("v8");
    const file = { name: "mango_model_v8.tflite", sha256: sha256(bytes), bytes };
    await expect(
      publishRelease(w.client, {
        tag: `${MODEL}-v8`,
        commit: merge1,
        name: `${MODEL} v8`,
        body: "",
        assets: [file, { ...file, bytes: tflite("v1"), sha256: sha256(tflite("v1")) }],
      }),
    ).rejects.toThrow(
      `release ${MODEL}-v8 refused: more than one asset named mango_model_v8.tflite (fix: republish the artifact with unique file names)`,
    );
    expect(w.gh.git.refs.has(`refs/tags/${MODEL}-v8`)).toBe(false);
    expect(w.release(`${MODEL}-v8`)).toBeUndefined();
  });
});
