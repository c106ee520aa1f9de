/**
 * GitOps end to end: the action entries run as GitHub Actions runs them (separate
 * processes, INPUT_* variables, GITHUB_OUTPUT), against a GitHub REST stand-in that keeps
 * real state, S3 as s3rver, and Slack, Teams and SMTP receivers, all on 127.0.0.1.
 * Commit a manifest -> data job -> GPU job -> a pull request with the analysis -> merge ->
 * promote serves the verified .tflite, tags and releases -> v2 -> revert -> production is
 * v1 again. A rejected candidate produces an issue, a Slack message, a Teams card and an email.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchRepo, type ScratchRepo } from "../../synth/scratch-repo.ts";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { S3Store, createS3Client, sha256 } from "../../lib/storage/index.ts";
import { synthesizeDataset } from "../../synth/dataset.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";
import { startSmtpReceiver, startWebhookReceiver } from "../helpers/notify-receivers.ts";
import { startS3rver, type RunningS3rver } from "../helpers/s3rver.ts";
import { tinyTraining } from "../helpers/tiny-config.ts";

const projectDir = resolve(import.meta.dirname, "../..");
let gh: RunningGitHubServer;
let s3: RunningS3rver;
let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let client: GitHubClient;
let scratch: ScratchRepo;
let workspace: string;

/** Runs an action entry in its own process, as the composite action's `npx tsx main.ts` does. */
async function runAction(
  action: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; outputs: Record<string, string> }> {
  const outputFile = join(workspace, `output-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, "");
  await writeFile(join(workspace, "summary.md"), "", { flag: "a" });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: scratch.repo,
    GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
    GITHUB_API_URL: gh.baseUrl,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: join(workspace, "summary.md"),
    AWS_ACCESS_KEY_ID: s3.settings.credentials!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.settings.credentials!.secretAccessKey,
    MLOPS_SLACK_WEBHOOK_URL: hooks.url("/slack/T000/B000/secret"),
    MLOPS_TEAMS_WEBHOOK_URL: hooks.url("/teams/webhook?sig=secret"),
    TF_CPP_MIN_LOG_LEVEL: "2",
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...extraEnv,
  };
  return new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(projectDir, "actions", action, "main.ts")],
      { cwd: projectDir, env },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", rej);
    child.on("close", async (code) => {
      // GITHUB_OUTPUT's multi-line format: name<<DELIM / value / DELIM.
      const text = await readFile(outputFile, "utf8");
      const outputs: Record<string, string> = {};
      for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
      res({ code, out, outputs });
    });
  });
}

/** The repository's files as a commit on the stand-in's main: what `git push` would have done. */
async function pushLocalMain(): Promise<string> {
  const files = (await scratch.git("ls-files")).split("\n").filter(Boolean);
  const { owner, repo } = gh;
  const tree = await client.octokit.rest.git.createTree({
    owner,
    repo,
    tree: await Promise.all(
      files.map(async (path) => ({
        path,
        mode: "100644" as const,
        type: "blob" as const,
        sha: (
          await client.octokit.rest.git.createBlob({
            owner,
            repo,
            content: (await readFile(join(scratch.repo, path))).toString("base64"),
            encoding: "base64",
          })
        ).data.sha,
      })),
    ),
  });
  const parents = await client.octokit.rest.git
    .getRef({ owner, repo, ref: "heads/main" })
    .then((r) => [r.data.object.sha])
    .catch(() => []);
  const commit = await client.octokit.rest.git.createCommit({
    owner,
    repo,
    message: "push",
    tree: tree.data.sha,
    parents,
  });
  if (parents.length)
    await client.octokit.rest.git.updateRef({
      owner,
      repo,
      ref: "heads/main",
      sha: commit.data.sha,
      force: true,
    });
  else
    await client.octokit.rest.git.createRef({
      owner,
      repo,
      ref: "refs/heads/main",
      sha: commit.data.sha,
    });
  return commit.data.sha;
}

/** `git pull` of the registry after a merge on GitHub: models/ as it is at `ref` (contents API). */
async function pullRegistry(ref: string): Promise<void> {
  const { owner, repo } = gh;
  const root = "models/mango-ripeness";
  const paths = [
    `${root}/production.json`,
    ...[1, 2, 3].flatMap((n) =>
      ["metrics.json", "artifact.json", "lineage.json", "model-card.md"].map(
        (f) => `${root}/v${n}/${f}`,
      ),
    ),
  ];
  for (const path of paths) {
    const local = join(scratch.repo, path);
    const content = await client.octokit.rest.repos
      .getContent({ owner, repo, path, ref })
      .catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
    if (!content) {
      await rm(local, { force: true });
      continue;
    }
    await mkdir(dirname(local), { recursive: true });
    await writeFile(local, Buffer.from((content.data as { content: string }).content, "base64"));
  }
  await scratch.git("add", "-A", "models");
  await scratch.git("commit", "-q", "--allow-empty", "-m", `pull ${ref.slice(0, 10)}`);
}

/** A training manifest committed as a contributor would, then the pipeline's two jobs. */
async function dataThenGpuJob(name: string, seed: number) {
  const batch = await synthesizeDataset({
    outDir: scratch.bucket,
    prefix: `b/${name}`,
    datasetId: name,
    kind: "training",
    perClass: 8,
    seed,
  });
  await scratch.commitManifest(`data-manifests/${name}.json`, batch, `Add ${name}`);
  const data = await runAction("pipeline", {
    stop_before: "run_training_job",
    github_token: gh.token,
  });
  expect(data.code, data.out).toBe(0);
  expect(data.outputs.next).toBe("run_training_job");
  const gpu = await runAction("pipeline", {
    resume: data.outputs["run-id"]!,
    github_token: gh.token,
  });
  expect(gpu.code, gpu.out).toBe(0);
  return gpu;
}

const pullFor = (branch: string) =>
  gh.state.issues.find((i) => i.pull?.head === branch && i.state === "open");

async function mergeAndPromote(branch: string): Promise<string> {
  const pr = pullFor(branch);
  expect(pr, `no pull request for ${branch}`).toBeDefined();
  // The reviewer clicks "Ready for review" on a draft (GraphQL on GitHub; the stand-in's state here).
  pr!.pull!.draft = false;
  const merged = await client.octokit.rest.pulls.merge({
    owner: gh.owner,
    repo: gh.repo,
    pull_number: pr!.number,
  });
  await pullRegistry(merged.data.sha!);
  const promote = await runAction(
    "promote",
    { serving_uri: "s3://serving/app", github_token: gh.token },
    { GITHUB_SHA: merged.data.sha! },
  );
  expect(promote.code, promote.out).toBe(0);
  return merged.data.sha!;
}

async function served(): Promise<{ version: string; sha256: string; bytes: Buffer }> {
  const store = new S3Store("s3://serving/app", createS3Client(s3.settings));
  const record = JSON.parse(
    (await store.get("mango-ripeness/production/production.json")).toString(),
  ) as { version: string; sha256: string };
  return { ...record, bytes: await store.get("mango-ripeness/production/model.tflite") };
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "mlops-gitops-"));
  gh = await startGitHubServer({ owner: "farm", repo: "mango", collaborators: ["reviewer"] });
  s3 = await startS3rver({ buckets: ["artifacts", "serving"] });
  hooks = await startWebhookReceiver();
  smtp = await startSmtpReceiver();
  client = createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
  scratch = await createScratchRepo({
    workspace: join(workspace, "ws"),
    evalPerClass: 3,
    configure: (c) => {
      const tiny = tinyTraining(c);
      return {
        ...tiny,
        artifacts_uri: "s3://artifacts/models",
        s3: { region: "us-east-1", endpoint: s3.endpoint, force_path_style: true },
        github: { reviewers: ["reviewer"] },
        // A tiny model's second version may be no better than its first: these tests are
        // about the GitOps flow, so the policy lets any non-worse candidate be proposed.
        policy: {
          ...(tiny.policy as object),
          min_improvement: 0,
          max_accuracy_drop: 1,
          max_critical_f1_drop: 1,
          max_class_f1_drop: 1,
        },
        notify: {
          slack: {},
          teams: {},
          email: {
            smtp_host: "127.0.0.1",
            smtp_port: smtp.port,
            from: "mlops@farm.test",
            to: ["ml-team@farm.test"],
          },
          github_issue: { enabled: true },
          retries: 1,
        },
      };
    },
  });
  await pushLocalMain();
}, 120_000);

afterAll(async () => {
  await smtp?.stop();
  await hooks?.stop();
  await s3?.stop();
  await gh?.stop();
  await rm(workspace, { recursive: true, force: true });
});

describe("GitOps on GitHub, end to end", () => {
  let v1Sha = "";

  it("a committed manifest becomes a draft promotion pull request with the analysis", async () => {
    await dataThenGpuJob("farm-a", 21);
    const pr = pullFor("mlops/mango-ripeness-v1")!;
    expect(pr).toBeDefined();
    expect(pr.pull!.draft).toBe(true);
    expect(pr.pull!.requested_reviewers).toEqual(["reviewer"]);
    expect(pr.body).toMatch(/Needs a human review/);
    expect(pr.body).toMatch(/Policy checks/);
    expect(pr.body).toMatch(/TFLite \(proven in LiteRT/);
    expect(pr.labels).toContain("mlops:needs-review");
    // The artifact is in S3 before the pull request exists, content-addressed.
    const content = await client.octokit.rest.repos.getContent({
      owner: gh.owner,
      repo: gh.repo,
      path: "models/mango-ripeness/production.json",
      ref: "mlops/mango-ripeness-v1",
    });
    const pointer = JSON.parse(
      Buffer.from((content.data as { content: string }).content, "base64").toString(),
    );
    expect(pointer.artifact.files[0].uri).toMatch(
      /^s3:\/\/artifacts\/models\/mango-ripeness\/[0-9a-f]{64}\/mango_model_v1\.tflite$/,
    );
  }, 240_000);

  it("merging it promotes v1: verified .tflite at the stable key, a tag and a release", async () => {
    const merge = await mergeAndPromote("mlops/mango-ripeness-v1");
    const now = await served();
    expect(now.version).toBe("v1");
    expect(sha256(now.bytes)).toBe(now.sha256);
    v1Sha = now.sha256;
    const tag = await client.octokit.rest.git.getRef({
      owner: gh.owner,
      repo: gh.repo,
      ref: "tags/mango-ripeness-v1",
    });
    expect(tag.data.object.sha).toBe(merge);
    const release = gh.state.releases.find((r) => r.tag_name === "mango-ripeness-v1");
    expect(release?.assets.map((a) => a.name)).toContain("mango_model_v1.tflite");
  }, 120_000);

  it("v2 is proposed against v1, merged and promoted; reverting the merge serves v1 again", async () => {
    const gpu = await dataThenGpuJob("farm-b", 22);
    expect(gpu.outputs.decision, gpu.out).toMatch(/APPROVE|HUMAN_REVIEW/);
    const merge = await mergeAndPromote("mlops/mango-ripeness-v2");
    expect((await served()).version).toBe("v2");

    // git revert -m 1: main gets the tree from before the merge.
    const { owner, repo } = gh;
    const before = (await client.octokit.rest.git.getCommit({ owner, repo, commit_sha: merge }))
      .data.parents[0]!.sha;
    const tree = (await client.octokit.rest.git.getCommit({ owner, repo, commit_sha: before })).data
      .tree.sha;
    const revert = await client.octokit.rest.git.createCommit({
      owner,
      repo,
      message: "Revert v2",
      tree,
      parents: [merge],
    });
    await client.octokit.rest.git.updateRef({
      owner,
      repo,
      ref: "heads/main",
      sha: revert.data.sha,
    });
    const promote = await runAction(
      "promote",
      { serving_uri: "s3://serving/app", github_token: gh.token },
      { GITHUB_SHA: revert.data.sha },
    );
    expect(promote.code, promote.out).toBe(0);
    const now = await served();
    expect(now.version).toBe("v1");
    expect(now.sha256).toBe(v1Sha);
    await pullRegistry(revert.data.sha);
  }, 300_000);

  it("a rejected candidate produces an issue, a Slack message, a Teams card and an email", async () => {
    const config = JSON.parse(await readFile(join(scratch.repo, "mlops.config.json"), "utf8"));
    config.policy.min_accuracy = 1;
    config.policy.min_critical_f1 = 1;
    await writeFile(join(scratch.repo, "mlops.config.json"), JSON.stringify(config, null, 2));
    await scratch.git("commit", "-q", "-am", "Stricter policy");
    const issuesBefore = gh.state.issues.filter((i) => !i.pull).length;
    const gpu = await dataThenGpuJob("farm-c", 23);
    expect(gpu.outputs.decision).toBe("REJECT");
    expect(pullFor("mlops/mango-ripeness-v3")).toBeUndefined();

    const issue = gh.state.issues.filter((i) => !i.pull).at(-1)!;
    expect(gh.state.issues.filter((i) => !i.pull).length).toBeGreaterThan(issuesBefore);
    expect(issue.title).toMatch(/rejected/);
    expect(issue.body).toMatch(/Next step/);
    const slack = hooks.requests.filter((r) => r.path.startsWith("/slack")).at(-1)!;
    expect(JSON.stringify(slack.json)).toMatch(/rejected/);
    const teams = hooks.requests.filter((r) => r.path.startsWith("/teams")).at(-1)!;
    expect(JSON.stringify(teams.json)).toMatch(/AdaptiveCard/);
    expect(smtp.mails.at(-1)!.subject).toMatch(/rejected/);
    expect(smtp.mails.at(-1)!.to).toEqual(["ml-team@farm.test"]);
    // Production did not move.
    expect((await served()).version).toBe("v1");
  }, 240_000);
});
