/**
 * The manifest-review action as its workflow's jobs run it, each mode in its own process
 * (`npx tsx main.ts`, as the composite action does) over a real S3 server (s3rver) and the
 * GitHub stand-in: plan outputs the matrix, a shard whose store answers 403 writes why and
 * fails as a fault, the review then says the photos could not be fetched (for a fork, and
 * as no verdict on the data) and refuses an unusable manifest on its labels line, and once
 * the shard is rerun the review annotates each refused image on its manifest line and edits
 * its one sticky comment. A label that is not a class of the model is refused by
 * validate_data and by the review alike.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewManifests } from "../../app/review-manifests.ts";
import { manifestId } from "../../app/review-plan.ts";
import { createServices } from "../../app/services.ts";
import { validateData } from "../../graph/nodes/validate-data.ts";
import type { NodeConfig } from "../../graph/services.ts";
import type { MLOpsStateType } from "../../graph/state.ts";
import { loadConfig } from "../../lib/config.ts";
import { gitHubClientFromEnv } from "../../lib/github/client.ts";
import { type Manifest, stringifyManifest } from "../../lib/manifest.ts";
import { createS3Client, S3Store } from "../../lib/storage/index.ts";
import { encodeJpeg, photoRng, renderPhoto } from "../../synth/draw.ts";
import { type RunningGitHubServer, startGitHubServer } from "../helpers/github-server.ts";
import { type RunningS3rver, startS3rver } from "../helpers/s3rver.ts";

const PROJECT = resolve(import.meta.dirname, "../..");
const FARM_B = "data-manifests/farm-b.json";
const FARM_X = "data-manifests/farm-x.json";
const OK = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let s3: RunningS3rver;
let gh: RunningGitHubServer;
let dir: string;
let repo: string;
let base: string;
let pullRequest: number;
const texts: Record<string, string> = {};
const savedEnv = { ...process.env };
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();
const githubEnv = () => ({
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
  GITHUB_API_URL: gh.baseUrl,
});

/** A manifest of `n` photos under s3://mango-data/`id`/, the last `missing` not uploaded. */
async function manifestOf(id: string, n: number, missing: number, labels: string[]) {
  const store = new S3Store("s3://mango-data/", createS3Client(s3.settings));
  const images = [];
  for (let i = 0; i < n; i++) {
    const label = labels[i % labels.length]!;
    const bytes = await encodeJpeg(renderPhoto("verde", photoRng(n, label, i), 160));
    const key = `${id}/${label}/${i}.jpg`;
    if (i < n - missing) await store.put(key, bytes);
    images.push({ key, label, sha256: sha(bytes), split: i % 4 ? "train" : "val" });
  }
  store.client.destroy();
  const manifest = { schema_version: 1, dataset_id: id, kind: "training", labels, images };
  return stringifyManifest({ ...manifest, base_uri: "s3://mango-data/" } as Manifest);
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["mango-data"] });
  gh = await startGitHubServer();
  Object.assign(process.env, OK);
  dir = await mkdtemp(join(tmpdir(), "mlops-review-action-"));
  await writeFile(join(dir, "summary.md"), "");
  repo = join(dir, "repo");
  await mkdir(join(repo, "data-manifests"), { recursive: true });
  const s3Config = { endpoint: s3.endpoint, force_path_style: true, max_attempts: 1 };
  const config = { labels: ["verde", "maduro"], policy: { critical_class: "maduro" } };
  await writeFile(join(repo, "mlops.config.json"), JSON.stringify({ ...config, s3: s3Config }));
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  base = git(repo, "rev-parse", "HEAD");
  texts[FARM_B] = await manifestOf("farm-b", 8, 2, ["verde", "maduro"]);
  texts[FARM_X] = await manifestOf("farm-x", 2, 0, ["verde", "maduro", "podre"]);
  for (const [path, text] of Object.entries(texts)) await writeFile(join(repo, path), text);
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "The pull request's changed manifests");
  gh.git.commitFiles("pr", texts, "farm-b and farm-x");
  const {
    octokit,
    owner,
    repo: name,
  } = gitHubClientFromEnv({ ...githubEnv(), GITHUB_TOKEN: gh.token })!;
  const opened = await octokit.rest.pulls.create({
    owner,
    repo: name,
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

/** Runs the action in `mode` with `inputs`, as its workflow step does. */
async function action(
  mode: string,
  inputs: Record<string, string>,
  env: Record<string, string> = OK,
) {
  const output = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  await writeFile(output, "");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(PROJECT, "actions/manifest-review/main.ts")],
    {
      cwd: PROJECT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...githubEnv(),
        GITHUB_WORKSPACE: repo,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
        ...env,
        ...Object.fromEntries(
          Object.entries({ mode, base_sha: base, ...inputs }).map(([k, v]) => [
            `INPUT_${k.toUpperCase()}`,
            v,
          ]),
        ),
      },
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => child.on("close", res));
  const outputs: Record<string, string> = {};
  for (const m of (await readFile(output, "utf8")).matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
    outputs[m[1]!] = m[3]!;
  const errors = [
    ...out.matchAll(/^::error(?: title=([^,:]*))?(?:,file=([^,:]*),line=(\d+))?::(.*)$/gm),
  ].map((m) => ({
    title: m[1]?.replaceAll("%3A", ":"),
    file: m[2],
    line: m[3] && Number(m[3]),
    message: m[4]!,
  }));
  return { code, out, outputs, errors };
}

/** The 1-based line of the labels of `path`. */
const labelsLine = (path: string) =>
  texts[path]!.split("\n").findIndex((l) => l.includes('"labels"')) + 1;
/** The 1-based line of the entry whose key is `key` (its `{` is the line above). */
const lineOf = (path: string, key: string) =>
  texts[path]!.split("\n").findIndex((l) => l.includes(`"key": "${key}"`));
const comments = () =>
  [...gh.state.comments.values()].filter((c) => c.issue_number === pullRequest);
const shards = ".mlops/review/shards";
const review = {
  pull_request: "",
  github_token: "",
  shards_dir: shards,
  head_repo: "someone/mango-mlops",
};

describe("the manifest-review action", () => {
  it("refuses a label that is not a class of the model as validate_data does", async () => {
    const services = createServices(
      repo,
      loadConfig(join(repo, "mlops.config.json"), {}),
      { log: () => {} },
      {},
    );
    const state = {
      run_id: "r1",
      new_data_path: FARM_X,
      manifest_sha256: null,
    } as unknown as MLOpsStateType;
    const pipeline = await validateData(state, { context: { services } } as NodeConfig);
    expect(pipeline.quality_score).toBe(0);
    expect(pipeline.failure_analysis_report).toContain('"podre" is not a class of this model');
    const [judged] = await reviewManifests({
      repoDir: repo,
      manifests: [FARM_X],
      outDir: join(dir, "r"),
      log: () => {},
    });
    expect(judged).toMatchObject({ verdict: "fails", quality_score: null });
    expect(judged!.error).toMatch(
      /^data-manifests\/farm-x\.json: \$\.labels: "podre" is not a class of this model \[verde, maduro\]/,
    );
    expect(judged!.findings).toEqual([
      expect.objectContaining({ file: FARM_X, line: labelsLine(FARM_X), checks: [] }),
    ]);
  }, 60_000);

  it("plans, says a shard's 403 is a fault to rerun, then annotates each refused image on its line", async () => {
    Object.assign(review, { pull_request: String(pullRequest), github_token: gh.token });
    const plan = await action("plan", {});
    expect(plan.code).toBe(0);
    const entry = { manifest: FARM_B, id: manifestId(FARM_B), shard: "1/1", part: "1-of-1" };
    expect(plan.outputs).toEqual({
      matrix: JSON.stringify({ include: [entry] }),
      shards: "1",
      manifests: "2",
    });

    const forbidden = await action(
      "shard",
      { manifest: FARM_B, shard: "1/1", shards_dir: shards },
      { AWS_ACCESS_KEY_ID: "WRONG", AWS_SECRET_ACCESS_KEY: "WRONG" },
    );
    expect(forbidden.code).toBe(1);
    expect(forbidden.errors[0]).toMatchObject({ title: "Manifest review: photos not fetched" });
    expect(forbidden.errors[0]!.message).toMatch(
      /^shard 1\/1 of data-manifests\/farm-b\.json: the photos could not be fetched: GetObject s3:\/\/mango-data\/farm-b\/\S+ failed: HTTP 403: The AWS Access Key Id you provided does not exist in our records; this is not a verdict on the data; a maintainer can rerun the failed jobs /,
    );
    const faultFile = join(repo, shards, entry.id, "shard-1-of-1.fault.json");
    expect(existsSync(faultFile)).toBe(true);

    const notJudged = await action("review", review);
    expect(notJudged.code).toBe(1);
    expect(notJudged.outputs).toEqual({ passed: "false", not_judged: "true" });
    expect(notJudged.errors[0]).toMatchObject({
      title: "Manifest review: not judged",
      file: undefined,
    });
    expect(notJudged.errors[0]!.message).toMatch(
      /^data-manifests\/farm-b\.json: the photos could not be fetched: GetObject .* HTTP 403: .*; this is not a verdict on the data; a maintainer can rerun the failed jobs .*This pull request comes from the fork someone\/mango-mlops/,
    );
    expect(notJudged.errors[1]).toMatchObject({
      title: "Data gate: manifest cannot be used",
      file: FARM_X,
      line: labelsLine(FARM_X),
    });
    expect(notJudged.errors.at(-1)!.message).toMatch(
      /^data-manifests\/farm-b\.json not judged: a fault to rerun, not a verdict on the data/,
    );
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain(
      "| `data-manifests/farm-b.json` | – | 0 | 0 | ⚠️ not judged |",
    );

    const rerun = await action("shard", { manifest: FARM_B, shard: "1/1", shards_dir: shards });
    expect(rerun.code).toBe(0);
    expect(existsSync(faultFile)).toBe(false);
    const judged = await action("review", review);
    expect(judged.outputs.not_judged).toBe("false");
    const missing = judged.errors.filter((e) => e.file === FARM_B);
    expect(missing.map((e) => [e.title, e.line, e.message.split(":")[0]])).toEqual([
      ["Data gate: missing", lineOf(FARM_B, "farm-b/verde/6.jpg"), "farm-b/verde/6.jpg"],
      ["Data gate: missing", lineOf(FARM_B, "farm-b/maduro/7.jpg"), "farm-b/maduro/7.jpg"],
    ]);
    expect(judged.errors.filter((e) => e.file === FARM_X).map((e) => e.line)).toEqual([
      labelsLine(FARM_X),
    ]);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).not.toContain("not judged");
    expect(comments()[0]!.body).toMatch(
      /\| `data-manifests\/farm-b\.json` \| \d+\.\d \/ 10 \| 8 \| 2 \|/,
    );
  }, 180_000);
});
