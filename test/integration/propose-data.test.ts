/**
 * The bucket-watch use case against the GitHub stand-in: each run proposes a manifest file
 * of its own, so a second run on the same day proposes only the new objects in a new file
 * and leaves the merged manifest of the first run exactly as it was; object names from the
 * bucket reach the pull request body as inert text.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATA_BRANCH, proposeData } from "../../app/propose-data.ts";
import { parseConfig } from "../../lib/config.ts";
import { createGitHubClient } from "../../lib/github/client.ts";
import { FileStore } from "../../lib/storage/index.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

const photo = (label: "verde" | "maduro", i: number) =>
  encodeJpeg(renderPhoto(label, photoRng(5, label, i), 128));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlops-propose-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("proposeData (the bucket-watch action)", () => {
  let gh: RunningGitHubServer;
  beforeAll(async () => {
    gh = await startGitHubServer();
  });
  afterAll(async () => {
    await gh.stop();
  });

  it("proposes a new file on a second run the same day, leaving the merged manifest whole", async () => {
    const repo = await mkdtemp(join(dir, "watch-repo-"));
    await mkdir(join(repo, "data-manifests"), { recursive: true });
    const incoming = join(dir, "watch-incoming");
    const store = new FileStore(pathToFileURL(incoming).href);
    for (let i = 0; i < 3; i++) await store.put(`verde/v${i}.jpg`, await photo("verde", i));
    for (let i = 0; i < 3; i++) await store.put(`maduro/m${i}.jpg`, await photo("maduro", i));
    await store.put("verde/![x](e.png)@ops.jpg", Buffer.from("not an image"));
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_TOKEN: gh.token,
      GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
      GITHUB_API_URL: gh.baseUrl,
    };
    const request = { repoDir: repo, config: parseConfig({}), incomingUri: store.baseUri, env };
    const fileOn = (ref: string, path: string) =>
      gh.git.fileAt(gh.git.resolve(ref)!, path)?.content.toString("utf8");

    const first = await proposeData({ ...request, now: new Date("2026-11-27T08:00:00Z") });
    expect(first).toMatchObject({
      kind: "proposed",
      manifest: "data-manifests/incoming-2026-11-27T080000Z.json",
      images: 6,
      created: true,
      skipped: [{ key: "verde/![x](e.png)@ops.jpg", notImage: true }],
    });
    if (first.kind !== "proposed") throw new Error("unreachable");
    const pull = gh.state.issues.find((i) => i.pull?.head === DATA_BRANCH)!;
    expect(pull.body).toContain(
      "- `verde/![x](e.png)@ops.jpg`: named like an image but its content is not a JPEG\\, PNG or WebP image \\(12 bytes\\)",
    );

    // Merged, and checked out by the next run.
    const {
      octokit,
      owner,
      repo: name,
    } = createGitHubClient({
      token: gh.token,
      baseUrl: gh.baseUrl,
      owner: gh.owner,
      repo: gh.repo,
    });
    await octokit.rest.pulls.merge({ owner, repo: name, pull_number: pull.number });
    const merged = fileOn("main", first.manifest)!;
    await writeFile(join(repo, first.manifest), merged);

    for (let i = 3; i < 5; i++) await store.put(`maduro/m${i}.jpg`, await photo("maduro", i));
    const second = await proposeData({ ...request, now: new Date("2026-11-27T15:30:00Z") });
    expect(second).toMatchObject({
      kind: "proposed",
      manifest: "data-manifests/incoming-2026-11-27T153000Z.json",
      images: 2,
      created: true,
    });
    if (second.kind !== "proposed") throw new Error("unreachable");
    const proposed = JSON.parse(fileOn(DATA_BRANCH, second.manifest)!);
    expect(proposed.images.map((i: { key: string }) => i.key).sort()).toEqual([
      "maduro/m3.jpg",
      "maduro/m4.jpg",
    ]);
    // The branch carries the first manifest exactly as merged: merging it drops nothing.
    expect(fileOn(DATA_BRANCH, first.manifest)).toBe(merged);
    expect(JSON.parse(merged).images).toHaveLength(6);
    expect(await readFile(join(repo, first.manifest), "utf8")).toBe(merged);
  }, 60_000);
});
