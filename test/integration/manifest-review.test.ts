/**
 * The manifest review is the pipeline's gate, over a real S3 server (s3rver) and the GitHub
 * stand-in: a pull request's manifest with a copy of an evaluation photo and photos that
 * are not there is refused by validate_data (the graph's node, with the services
 * app/services.ts builds) and by the review alike, with the same score, whether the review
 * checks every image itself or plans shards, checks each and merges them; a renamed
 * manifest is reviewed; and a store that answers 403 leaves the manifest not judged. The
 * evaluation set and production's training data (v1 learned from farm-a.json) come from the
 * repository, as the pipeline reads them.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewManifests, reviewPullRequest } from "../../app/review-manifests.ts";
import { changedManifests, planReview } from "../../app/review-plan.ts";
import { checkReviewShard } from "../../app/review-shard.ts";
import { createServices } from "../../app/services.ts";
import { validateData } from "../../graph/nodes/validate-data.ts";
import type { NodeConfig } from "../../graph/services.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import { loadConfig } from "../../lib/config.ts";
import { gitHubClientFromEnv } from "../../lib/github/client.ts";
import { type Manifest, stringifyManifest } from "../../lib/manifest.ts";
import { registryPaths } from "../../lib/registry.ts";
import { createS3Client, S3Store } from "../../lib/storage/index.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";
import { type RunningGitHubServer, startGitHubServer } from "../helpers/github-server.ts";
import { type RunningS3rver, startS3rver } from "../helpers/s3rver.ts";

const labels = ["verde", "maduro"] as const;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let s3: RunningS3rver;
let gh: RunningGitHubServer;
let dir: string;
let origin: string;
let base: string;
let pullRequest: number;
const savedEnv = { ...process.env };
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();

type Entry = { key: string; label: string; bytes: Buffer; split?: "train" | "val" | "eval" };
async function photos(prefix: string, seed: number, n: number): Promise<Entry[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const label = labels[i % 2]!;
      const bytes = await encodeJpeg(renderPhoto(label, photoRng(seed, label, i), 160));
      return { key: `${prefix}/${label}/${i}.jpg`, label, bytes };
    }),
  );
}
/** A manifest of `files` under s3://mango-data/, uploading all but the `missing` ones. */
async function manifestOf(id: string, files: Entry[], missing = 0) {
  const store = new S3Store("s3://mango-data/", createS3Client(s3.settings));
  for (const f of files.slice(0, files.length - missing)) await store.put(f.key, f.bytes);
  store.client.destroy();
  return stringifyManifest({
    schema_version: 1,
    dataset_id: id,
    kind: id === "evaluation" ? "evaluation" : "training",
    base_uri: "s3://mango-data/",
    labels: [...labels],
    images: files.map((f, i) => ({
      key: f.key,
      label: f.label,
      sha256: sha(f.bytes),
      split: f.split ?? (i % 4 ? "train" : "val"),
    })),
  } as Manifest);
}
/** A clone of the origin at `branch`, with its own (cold) cache. */
function clone(name: string, branch = "pr"): string {
  const to = join(dir, name);
  git(dir, "clone", "-q", "--branch", branch, origin, to);
  return to;
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["mango-data"] });
  gh = await startGitHubServer();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" });
  dir = await mkdtemp(join(tmpdir(), "mlops-review-"));
  origin = join(dir, "origin");
  const put = async (path: string, text: string) => {
    await mkdir(join(origin, path, ".."), { recursive: true });
    await writeFile(join(origin, path), text);
  };
  await mkdir(origin);
  git(origin, "init", "-q", "-b", "main");
  const s3Config = { endpoint: s3.endpoint, force_path_style: true, max_attempts: 1 };
  const config = { labels, policy: { critical_class: "maduro" }, s3: s3Config };
  await put("mlops.config.json", JSON.stringify(config));
  const evaluation = await photos("eval", 12, 8);
  await put(
    "data-manifests/eval/evaluation.json",
    await manifestOf(
      "evaluation",
      evaluation.map((e) => ({ ...e, split: "eval" as const })),
    ),
  );
  const farmA = await photos("farm-a", 11, 8);
  const trained = await manifestOf("farm-a", farmA);
  await put("data-manifests/farm-a.json", trained);
  // Production v1 learned from these bytes of farm-a.json.
  const paths = registryPaths("models", "mango-ripeness");
  const zero = "0".repeat(64);
  const files = [{ name: "m.tflite", sha256: zero, bytes: 1, uri: "file:///x" }];
  const artifact = { format: "tflite+tfjs-layers", input_size: 96, labels, files };
  const pointer = { model: "mango-ripeness", version: "v1", artifact, decided: "APPROVE" };
  await put(
    paths.production,
    JSON.stringify({ ...pointer, reason: "t", proposed_at: "2026-12-01" }),
  );
  const farmAFile = { path: "data-manifests/farm-a.json", sha256: sha(Buffer.from(trained)) };
  const evalFile = { path: "data-manifests/eval/evaluation.json", sha256: zero, images: 8 };
  const lineage = { manifests: [{ ...farmAFile, dataset_id: "farm-a", images: 8 }] };
  await put(
    paths.version("v1").lineage,
    JSON.stringify({ ...lineage, eval_manifest: evalFile, run_id: "r1" }),
  );
  git(origin, "add", "-A");
  git(origin, "commit", "-q", "-m", "base");
  base = git(origin, "rev-parse", "HEAD");
  // The pull request: fresh photos, copies of an evaluation and a trained photo, two not uploaded.
  const copyOfEval = {
    key: "farm-b/verde/copy-e0.jpg",
    label: "verde",
    bytes: await sharp(evaluation[0]!.bytes).jpeg({ quality: 70 }).toBuffer(),
  };
  git(origin, "checkout", "-q", "-b", "pr");
  await put(
    "data-manifests/farm-b.json",
    await manifestOf(
      "farm-b",
      [
        ...(await photos("farm-b", 13, 10)),
        copyOfEval,
        {
          ...copyOfEval,
          key: "farm-b/verde/copy-a0.jpg",
          bytes: await sharp(farmA[0]!.bytes).flop().jpeg().toBuffer(),
        },
        ...(await photos("farm-b/gone", 14, 2)),
      ],
      2,
    ),
  );
  git(origin, "add", "-A");
  git(origin, "commit", "-q", "-m", "farm-b");
  git(origin, "checkout", "-q", "-b", "rename", "main");
  git(origin, "mv", "data-manifests/farm-a.json", "data-manifests/farm-a-2026.json");
  git(origin, "commit", "-q", "-m", "rename");
  git(origin, "checkout", "-q", "main");
  gh.git.commitFiles("pr", { "data-manifests/farm-b.json": "{}" }, "farm-b");
  const { octokit, owner, repo } = gitHubClientFromEnv(githubEnv())!;
  const opened = await octokit.rest.pulls.create({
    owner,
    repo,
    head: "pr",
    base: "main",
    title: "b",
  });
  pullRequest = opened.data.number;
}, 120_000);
afterAll(async () => {
  process.env = savedEnv;
  await gh?.stop();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const githubEnv = () => ({
  GITHUB_ACTIONS: "true",
  GITHUB_TOKEN: gh.token,
  GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
  GITHUB_API_URL: gh.baseUrl,
});
const configOf = (repo: string) => loadConfig(join(repo, "mlops.config.json"), {});
/** validate_data, the graph's node, on `manifest` in `repo`. */
async function pipelineGate(repo: string, manifest: string) {
  const services = createServices(repo, configOf(repo), { log: () => {} }, {});
  const state = { run_id: `r-${manifest.length}`, new_data_path: manifest, manifest_sha256: null };
  const update = await validateData(
    state as unknown as MLOpsStateType,
    {
      context: { services },
    } as NodeConfig,
  );
  return update as { quality_score: number; rejected_images: string[] };
}

describe("the manifest review is the pipeline's gate", () => {
  it("lists the manifests a pull request adds or changes, a renamed one included", async () => {
    const config = configOf(origin);
    expect(await changedManifests(clone("list"), base, config)).toEqual([
      "data-manifests/farm-b.json",
    ]);
    expect(await changedManifests(clone("renamed", "rename"), base, config)).toEqual([
      "data-manifests/farm-a-2026.json",
    ]);
  });

  it("refuses what validate_data refuses, with the same score, checked in one job or in shards", async () => {
    const repo = clone("same-gate");
    const pipeline = await pipelineGate(repo, "data-manifests/farm-b.json");
    const [single] = await reviewManifests({
      repoDir: repo,
      manifests: ["data-manifests/farm-b.json"],
      outDir: join(repo, ".mlops", "single"),
      log: () => {},
    });
    expect(single).toMatchObject({
      quality_score: pipeline.quality_score,
      images: 14,
      refused: pipeline.rejected_images.length,
    });
    expect(single!.findings.map((f) => [f.key, f.checks])).toEqual([
      ["farm-b/verde/copy-e0.jpg", ["duplicate"]],
      ["farm-b/verde/copy-a0.jpg", ["duplicate"]],
      ["farm-b/gone/verde/0.jpg", ["missing"]],
      ["farm-b/gone/maduro/1.jpg", ["missing"]],
    ]);

    const sharded = clone("sharded");
    const plan = await planReview({
      repoDir: sharded,
      config: configOf(sharded),
      baseSha: base,
      perShard: 5,
    });
    expect(plan.manifests.map((m) => [m.manifest, m.images, m.shards])).toEqual([
      ["data-manifests/farm-b.json", 14, 3],
    ]);
    expect(plan.matrix.include.map((e) => e.shard)).toEqual(["1/3", "2/3", "3/3"]);
    const shardsDir = join(sharded, ".mlops", "shards");
    for (const e of plan.matrix.include)
      expect(
        await checkReviewShard({
          repoDir: sharded,
          config: configOf(sharded),
          baseSha: base,
          manifest: e.manifest,
          shard: e.shard,
          shardsDir,
          env: {},
          log: () => {},
          perShard: 5,
        }),
      ).toMatchObject({ kind: "checked" });
    const review = await reviewPullRequest({
      repoDir: sharded,
      config: configOf(sharded),
      baseSha: base,
      pullRequest,
      env: githubEnv(),
      log: () => {},
      shardsDir,
      perShard: 5,
    });
    if (review.kind !== "reviewed") throw new Error("expected a review");
    expect(review.results).toEqual([single]);
    const gate = configOf(sharded).quality.threshold;
    expect(single!.verdict).toBe(pipeline.quality_score >= gate ? "passes" : "fails");
    const comments = [...gh.state.comments.values()].filter((c) => c.issue_number === pullRequest);
    expect(comments.map((c) => c.body.split("\n")[0])).toEqual([
      "<!-- mango-mlops:manifest-review -->",
    ]);
    expect(comments[0]!.body).toContain(
      `| \`data-manifests/farm-b.json\` | ${pipeline.quality_score.toFixed(1)} / 10 | 14 | 4 |`,
    );
  }, 120_000);

  it("leaves a manifest whose photos answer 403 not judged, never refused", async () => {
    const repo = clone("forbidden");
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "WRONG", AWS_SECRET_ACCESS_KEY: "WRONG" });
    const [judged] = await reviewManifests({
      repoDir: repo,
      manifests: ["data-manifests/farm-b.json"],
      outDir: join(repo, ".mlops", "r"),
      log: () => {},
    }).finally(() =>
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" }),
    );
    expect(judged).toMatchObject({ verdict: "not_judged", quality_score: null, findings: [] });
    expect(judged!.fault).toMatch(
      /^the photos could not be fetched: GetObject s3:\/\/mango-data\/\S+ failed: HTTP 403: The AWS Access Key Id you provided does not exist in our records; this is not a verdict on the data; a maintainer can rerun the failed jobs once the store answers the read-only data key \(secrets MLOPS_READ_AWS_\*\)$/,
    );
  }, 60_000);
});
