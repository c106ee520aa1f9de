/**
 * Promotion on merge, end to end over real servers: the promotion pull request is opened
 * and merged on the GitHub stand-in, the promote step reads the pointer at the merge
 * commit through the contents API, verifies the artifact from S3 (s3rver), serves it at
 * the stable key, tags the version and attaches the .tflite to a release. Then v2, then a
 * revert back to v1, and a tampered artifact that must change nothing.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishModelFolder } from "../../lib/artifacts.ts";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { readProductionPointer } from "../../lib/github/contents.ts";
import {
  PromotionVerificationError,
  promoteProduction,
  type PromoteOptions,
} from "../../lib/github/promote.ts";
import { proposePromotion } from "../../lib/github/promotion.ts";
import type { ModelArtifact, ProductionPointer } from "../../lib/registry.ts";
import { S3Store, createS3Client, sha256, type ObjectStore } from "../../lib/storage/index.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";

const MODEL = "mango-ripeness";
const POINTER = `models/${MODEL}/production.json`;
const SERVING_KEY = `${MODEL}/production/model.tflite`;

let gh: RunningGitHubServer;
let s3: RunningS3rver;
let s3Client: S3Client;
let client: GitHubClient;
let artifacts: ObjectStore;
let serving: ObjectStore;
let servingPuts: string[];
let tmp: string;

/** The serving store, counting writes: a rerun must write nothing. */
function countingStore(store: ObjectStore): ObjectStore {
  return Object.assign(Object.create(store) as ObjectStore, {
    put: (key: string, body: Buffer | Uint8Array, type?: string) => {
      servingPuts.push(key);
      return store.put(key, body, type);
    },
  });
}

beforeAll(async () => {
  gh = await startGitHubServer();
  s3 = await startS3rver({ buckets: ["artifacts", "serving"] });
  s3Client = createS3Client(s3.settings);
  artifacts = new S3Store("s3://artifacts/models", s3Client);
  servingPuts = [];
  serving = countingStore(new S3Store("s3://serving/app", s3Client));
  client = createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
  tmp = await mkdtemp(join(tmpdir(), "promote-"));
});
afterAll(async () => {
  s3Client?.destroy();
  await s3?.stop();
  await gh?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const tflite = (version: string) =>
  Buffer.concat([
    Buffer.from("\x1c\x00\x00\x00TFL3"),
    Buffer.from(`weights of ${version} `.repeat(50)),
  ]);

/** A trained version's folder, uploaded content-addressed as deploy_to_production does. */
async function publish(version: string, opts: { tflite?: boolean } = {}): Promise<ModelArtifact> {
  const dir = join(tmp, version);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "model.json"),
    JSON.stringify({ version, weightsManifest: [{ paths: ["weights.bin"] }] }),
  );
  await writeFile(join(dir, "weights.bin"), Buffer.from(`tfjs weights ${version}`));
  if (opts.tflite !== false)
    await writeFile(join(dir, `mango_model_${version}.tflite`), tflite(version));
  return publishModelFolder(artifacts, MODEL, dir, {
    inputSize: 96,
    labels: ["unripe", "ripe", "overripe"],
  });
}

function pointerOf(version: string, artifact: ModelArtifact): ProductionPointer {
  return {
    model: MODEL,
    version,
    artifact,
    decided: "APPROVE",
    reason: `${version} beats production on macro F1`,
    proposed_at: "2025-06-01T00:00:00.000Z",
  };
}

/** Opens the promotion pull request for `version` and merges it; returns the merge commit. */
async function proposeAndMerge(version: string, artifact: ModelArtifact): Promise<string> {
  const proposal = await proposePromotion(client, {
    baseBranch: "main",
    branch: `mlops/${MODEL}-${version}`,
    files: [
      {
        path: `models/${MODEL}/${version}/artifact.json`,
        content: JSON.stringify(artifact, null, 2) + "\n",
      },
      { path: POINTER, content: JSON.stringify(pointerOf(version, artifact), null, 2) + "\n" },
    ],
    commitMessage: `Promote ${MODEL} ${version}`,
    title: `Promote ${MODEL} ${version}`,
    body: "analysis",
    draft: false,
    labels: ["mlops:approved"],
    reviewers: [],
  });
  const merged = await client.octokit.rest.pulls.merge({
    owner: gh.owner,
    repo: gh.repo,
    pull_number: proposal.pullRequest.number,
  });
  return merged.data.sha;
}

/** `git revert -m 1 <merge>` through the git data API: main gets the tree from before the merge. */
async function revertMerge(merge: string): Promise<string> {
  const { octokit, owner, repo } = client;
  const before = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: merge })).data
    .parents[0]!.sha;
  const tree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: before })).data.tree
    .sha;
  const head = (await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" })).data.object.sha;
  const revert = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: `Revert ${merge.slice(0, 10)}`,
    tree,
    parents: [head],
  });
  await octokit.rest.git.updateRef({ owner, repo, ref: "heads/main", sha: revert.data.sha });
  return revert.data.sha;
}

function promoteAt(commit: string, over: Partial<PromoteOptions> = {}) {
  return promoteProduction({
    readPointer: () => readProductionPointer(client, POINTER, commit),
    artifactStore: artifacts,
    servingStore: serving,
    servingKey: SERVING_KEY,
    client,
    commit,
    now: () => new Date("2025-06-02T00:00:00.000Z"),
    ...over,
  });
}

async function served() {
  const bytes = await serving.get(SERVING_KEY);
  const record = JSON.parse(
    (await serving.get(`${MODEL}/production/production.json`)).toString(),
  ) as { version: string; sha256: string };
  return { bytes, sha: sha256(bytes), record };
}

const release = (tag: string) => gh.state.releases.find((r) => r.tag_name === tag);

describe("promoteProduction", () => {
  let v1: ModelArtifact;
  let merge1: string;
  let merge2: string;

  it("serves v1 after its pull request merges: stable key, production.json, tag and release asset", async () => {
    v1 = await publish("v1");
    merge1 = await proposeAndMerge("v1", v1);
    const out = await promoteAt(merge1);
    expect(out).toMatchObject({
      version: "v1",
      changed: true,
      previousVersion: undefined,
      notes: [],
    });

    const now = await served();
    expect(now.bytes).toEqual(tflite("v1"));
    expect(now.record).toMatchObject({
      model: MODEL,
      version: "v1",
      sha256: sha256(tflite("v1")),
      bytes: tflite("v1").length,
      key: SERVING_KEY,
      commit: merge1,
      promoted_at: "2025-06-02T00:00:00.000Z",
    });
    expect(now.record.sha256).toBe(v1.files.find((f) => f.name.endsWith(".tflite"))!.sha256);
    // The TF.js files sit beside it with their own names, so model.json finds weights.bin.
    expect((await serving.get(`${MODEL}/production/weights.bin`)).toString()).toBe(
      "tfjs weights v1",
    );
    // production.json last: until then a reader still sees the previous record.
    expect(servingPuts).toEqual(
      ["model.json", "weights.bin", "model.tflite", "production.json"].map(
        (n) => `${MODEL}/production/${n}`,
      ),
    );

    expect(gh.git.refs.get(`refs/tags/${MODEL}-v1`)).toBe(merge1);
    expect(release(`${MODEL}-v1`)).toMatchObject({ name: `${MODEL} v1`, target_commitish: merge1 });
    expect(release(`${MODEL}-v1`)!.body).toContain(sha256(tflite("v1")));
    const asset = out.release!.release.assets[0]!;
    expect(asset).toMatchObject({ name: "mango_model_v1.tflite", uploaded: true });
    const downloaded = Buffer.from(await (await fetch(asset.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(tflite("v1")));
  });

  it("does nothing on a rerun", async () => {
    const puts = servingPuts.length;
    const again = await promoteAt(merge1);
    expect(again).toMatchObject({
      version: "v1",
      changed: false,
      previousVersion: "v1",
      notes: [],
    });
    expect(again.release).toMatchObject({
      tag: { created: false },
      release: { created: false, assets: [{ uploaded: false }] },
    });
    expect(servingPuts.length).toBe(puts);
    expect(gh.state.releases).toHaveLength(1);
  });

  it("serves v2 after its merge, even when the asset upload's answer is lost and retried", async () => {
    const v2 = await publish("v2");
    merge2 = await proposeAndMerge("v2", v2);
    gh.failNext("POST", /\/api\/uploads\/.*\/assets$/, { status: 502, afterApply: true });
    const out = await promoteAt(merge2);
    expect(out).toMatchObject({ version: "v2", changed: true, previousVersion: "v1" });
    expect((await served()).bytes).toEqual(tflite("v2"));
    expect(release(`${MODEL}-v2`)!.assets.map((a) => a.name)).toEqual(["mango_model_v2.tflite"]);
    expect(
      gh.requests.filter((r) => r.path.startsWith("/api/uploads/")).map((r) => r.status),
    ).toEqual([201, 502, 422]);
  });

  it("rolls back to v1 when the merge is reverted, reusing v1's tag and release", async () => {
    const revert = await revertMerge(merge2);
    const out = await promoteAt(revert);
    expect(out).toMatchObject({ version: "v1", changed: true, previousVersion: "v2" });
    const now = await served();
    expect(now.bytes).toEqual(tflite("v1"));
    expect(now.record).toMatchObject({
      version: "v1",
      sha256: sha256(tflite("v1")),
      commit: revert,
    });
    expect(gh.git.refs.get(`refs/tags/${MODEL}-v1`)).toBe(merge1);
    expect(out.notes.join("\n")).toMatch(/tag mango-ripeness-v1 already points at .* left as is/);
    expect(gh.state.releases.map((r) => r.tag_name)).toEqual([`${MODEL}-v1`, `${MODEL}-v2`]);
  });

  it("refuses an artifact whose bytes do not match the registry, changing nothing", async () => {
    const v3 = await publish("v3");
    const tampered: ModelArtifact = {
      ...v3,
      files: v3.files.map((f) =>
        f.name.endsWith(".tflite") ? { ...f, sha256: sha256(Buffer.from("what was reviewed")) } : f,
      ),
    };
    const merge3 = await proposeAndMerge("v3", tampered);
    const puts = servingPuts.length;
    const err = await promoteAt(merge3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionVerificationError);
    expect((err as Error).message).toMatch(
      /promotion of v3 refused, serving location unchanged: mango_model_v3\.tflite \(s3:\/\/artifacts\/models\/.*\): sha256 [0-9a-f]{64}, the registry says/,
    );
    expect(servingPuts.length).toBe(puts);
    expect((await served()).record.version).toBe("v1");
    expect(gh.git.refs.has(`refs/tags/${MODEL}-v3`)).toBe(false);
    expect(release(`${MODEL}-v3`)).toBeUndefined();
  });

  it("refuses an artifact missing from the store", async () => {
    const v1Gone: ModelArtifact = {
      ...v1,
      files: [
        ...v1.files,
        {
          name: "extra.bin",
          sha256: "0".repeat(64),
          bytes: 1,
          uri: "s3://artifacts/models/mango-ripeness/none/extra.bin",
        },
      ],
    };
    const pointer = pointerOf("v1", v1Gone);
    await expect(
      promoteProduction({
        readPointer: async () => pointer,
        artifactStore: artifacts,
        servingStore: serving,
        servingKey: SERVING_KEY,
      }),
    ).rejects.toThrow(/extra\.bin .*missing from the artifact store/);
  });

  it("serves a TF.js-only artifact without a client, and says the .tflite key was not written", async () => {
    const v4 = await publish("v4", { tflite: false });
    const store = new S3Store("s3://serving/tfjs-only", s3Client);
    const out = await promoteProduction({
      readPointer: async () => pointerOf("v4", v4),
      artifactStore: artifacts,
      servingStore: store,
      servingKey: SERVING_KEY,
    });
    expect(out.changed).toBe(true);
    expect(out.record).toMatchObject({ version: "v4", key: `${MODEL}/production/model.json` });
    expect(out.notes.join("\n")).toMatch(/has no \.tflite: .*model\.tflite was not written/);
    expect(await store.head(SERVING_KEY)).toBeUndefined();
  });

  it("does nothing before the first promotion", async () => {
    const out = await promoteProduction({
      readPointer: async () => undefined,
      artifactStore: artifacts,
      servingStore: serving,
      servingKey: SERVING_KEY,
    });
    expect(out).toMatchObject({ version: undefined, changed: false });
  });
});
