/**
 * The world of the promotion-on-merge tests, over real servers: the GitHub stand-in,
 * s3rver with an artifact and a serving bucket, a GitHub client, and the steps those tests
 * take on them: publish a trained version, open and merge its promotion pull request,
 * revert a merge, promote at a commit, and read what is served.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import { publishModelFolder } from "../../lib/artifacts.ts";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { readProductionPointer } from "../../lib/github/contents.ts";
import { promoteProduction, type PromoteOptions } from "../../lib/github/promote.ts";
import { proposePromotion } from "../../lib/github/promotion.ts";
import type { ModelArtifact, ProductionPointer } from "../../lib/registry.ts";
import { S3Store, createS3Client, sha256, type ObjectStore } from "../../lib/storage/index.ts";
import { startGitHubServer, type RunningGitHubServer } from "./github-server.ts";
import type { Release } from "./github-state.ts";
import { startS3rver, type RunningS3rver } from "./s3rver.ts";

export const MODEL = "mango-ripeness";
export const POINTER = `models/${MODEL}/production.json`;
export const SERVING_KEY = `${MODEL}/production/model.tflite`;

/** A version's .tflite: the TFLite file identifier, then bytes of its own. */
export const tflite = (version: string) =>
  Buffer.concat([
    Buffer.from("\x1c\x00\x00\x00TFL3"),
    Buffer.from(`weights of ${version} `.repeat(50)),
  ]);

/** The production pointer a promotion of `version` commits. */
export function pointerOf(version: string, artifact: ModelArtifact): ProductionPointer {
  return {
    model: MODEL,
    version,
    artifact,
    decided: "APPROVE",
    reason: `${version} beats production on macro F1`,
    proposed_at: "2025-06-01T00:00:00.000Z",
  };
}

/** The servers, stores and client, and the steps taken on them. */
export interface PromoteWorld {
  gh: RunningGitHubServer;
  s3Client: S3Client;
  client: GitHubClient;
  artifacts: ObjectStore;
  serving: ObjectStore;
  /** Keys written to the serving store, in order: a rerun must write nothing. */
  servingPuts: string[];
  /** Overwrites a serving key behind the promote step's back (not counted in servingPuts). */
  tamper(key: string, bytes: Buffer): Promise<void>;
  /** A trained version's folder, uploaded content-addressed as deploy_to_production does. */
  publish(version: string, opts?: { tflite?: boolean }): Promise<ModelArtifact>;
  /** Opens the promotion pull request for `version` and merges it; returns the merge commit. */
  proposeAndMerge(version: string, artifact: ModelArtifact): Promise<string>;
  /** `git revert -m 1 <merge>` through the git data API: main gets the tree from before the merge. */
  revertMerge(merge: string): Promise<string>;
  promoteAt(commit: string, over?: Partial<PromoteOptions>): ReturnType<typeof promoteProduction>;
  /** What the serving store serves: the .tflite bytes, their sha256 and production.json. */
  served(): Promise<{ bytes: Buffer; sha: string; record: { version: string; sha256: string } }>;
  release(tag: string): Release | undefined;
}

/** Starts the world before the file's tests and stops it after them. */
export function usePromoteWorld(): PromoteWorld {
  let s3: RunningS3rver | undefined;
  let tmp = "";
  const w = { servingPuts: [] as string[] } as PromoteWorld;

  /** The serving store, counting writes. */
  function countingStore(store: ObjectStore): ObjectStore {
    return Object.assign(Object.create(store) as ObjectStore, {
      put: (key: string, body: Buffer | Uint8Array, type?: string) => {
        w.servingPuts.push(key);
        return store.put(key, body, type);
      },
    });
  }

  beforeAll(async () => {
    w.gh = await startGitHubServer();
    s3 = await startS3rver({ buckets: ["artifacts", "serving"] });
    w.s3Client = createS3Client(s3.settings);
    w.artifacts = new S3Store("s3://artifacts/models", w.s3Client);
    const serving = new S3Store("s3://serving/app", w.s3Client);
    w.serving = countingStore(serving);
    w.tamper = (key, bytes) => serving.put(key, bytes);
    w.client = createGitHubClient({
      token: w.gh.token,
      baseUrl: w.gh.baseUrl,
      owner: w.gh.owner,
      repo: w.gh.repo,
      retry: { sleep: async () => {}, log: () => {} },
    });
    tmp = await mkdtemp(join(tmpdir(), "promote-"));
  });
  afterAll(async () => {
    w.s3Client?.destroy();
    await s3?.stop();
    await w.gh?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  w.publish = async (version, opts = {}) => {
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
    return publishModelFolder(w.artifacts, MODEL, dir, {
      inputSize: 96,
      labels: ["unripe", "ripe", "overripe"],
    });
  };

  w.proposeAndMerge = async (version, artifact) => {
    const proposal = await proposePromotion(w.client, {
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
    const merged = await w.client.octokit.rest.pulls.merge({
      owner: w.gh.owner,
      repo: w.gh.repo,
      pull_number: proposal.pullRequest.number,
    });
    return merged.data.sha;
  };

  w.revertMerge = async (merge) => {
    const { octokit, owner, repo } = w.client;
    const before = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: merge })).data
      .parents[0]!.sha;
    const tree = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: before })).data.tree
      .sha;
    const head = (await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" })).data.object
      .sha;
    const revert = await octokit.rest.git.createCommit({
      owner,
      repo,
      message: `Revert ${merge.slice(0, 10)}`,
      tree,
      parents: [head],
    });
    await octokit.rest.git.updateRef({ owner, repo, ref: "heads/main", sha: revert.data.sha });
    return revert.data.sha;
  };

  w.promoteAt = (commit, over = {}) =>
    promoteProduction({
      readPointer: () => readProductionPointer(w.client, POINTER, commit),
      artifactStore: w.artifacts,
      servingStore: w.serving,
      servingKey: SERVING_KEY,
      client: w.client,
      commit,
      now: () => new Date("2025-06-02T00:00:00.000Z"),
      ...over,
    });

  w.served = async () => {
    const bytes = await w.serving.get(SERVING_KEY);
    const record = JSON.parse(
      (await w.serving.get(`${MODEL}/production/production.json`)).toString(),
    ) as { version: string; sha256: string };
    return { bytes, sha: sha256(bytes), record };
  };

  w.release = (tag) => w.gh.state.releases.find((r) => r.tag_name === tag);
  return w;
}
