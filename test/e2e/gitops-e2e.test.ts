/**
 * GitOps end to end: the action entries run as GitHub Actions runs them (separate
 * processes, INPUT_* variables, GITHUB_OUTPUT), against a GitHub REST stand-in that keeps
 * real state, S3 as s3rver, and Slack, Teams and SMTP receivers, all on 127.0.0.1
 * (test/helpers/gitops-world.ts). Commit a manifest -> data job -> GPU job -> a pull
 * request with the analysis -> merge -> promote serves the verified .tflite, tags and
 * releases -> v2 -> revert -> production is v1 again. A rejected candidate produces an
 * issue, a Slack message, a Teams card and an email.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoTraining } from "../../app/demo.ts";
import { sha256 } from "../../lib/storage/index.ts";
import { type Label, synthesizeDataset } from "../../synth/dataset.ts";
import { type GitOpsWorld, startGitOpsWorld } from "../helpers/gitops-world.ts";

let world: GitOpsWorld;
let gh: GitOpsWorld["gh"];
let hooks: GitOpsWorld["hooks"];
let smtp: GitOpsWorld["smtp"];
let client: GitOpsWorld["client"];
let scratch: GitOpsWorld["scratch"];
const runAction: GitOpsWorld["runAction"] = (...args) => world.runAction(...args);
const pullRegistry: GitOpsWorld["pullRegistry"] = (ref) => world.pullRegistry(ref);
const served: GitOpsWorld["served"] = () => world.served();

/** A training manifest committed as a contributor would, then the pipeline's two jobs. */
async function dataThenGpuJob(
  name: string,
  seed: number,
  perClass: number | Partial<Record<Label, number>>,
) {
  const batch = await synthesizeDataset({
    outDir: scratch.bucket,
    prefix: `b/${name}`,
    datasetId: name,
    kind: "training",
    perClass,
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

beforeAll(async () => {
  world = await startGitOpsWorld({
    evalPerClass: 12,
    configure: (c, at) => {
      // The demo's recipe (96 px, 8 epochs): v1 and v2 must learn what their data holds.
      const trained = demoTraining()(c);
      return {
        ...trained,
        artifacts_uri: "s3://artifacts/models",
        s3: { region: "us-east-1", endpoint: at.s3Endpoint, force_path_style: true },
        github: { reviewers: ["reviewer"] },
        // v1 learns two classes from 96 photos, so its floors are off; and the per-class
        // allowances are wide, since on 12 photos a class's F1 moves by more than 10 points
        // between any two small models. What decides v2 is the statistics: a clear win.
        policy: {
          ...(trained.policy as object),
          min_accuracy: 0,
          min_critical_f1: 0,
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
            smtp_port: at.smtpPort,
            from: "mlops@farm.test",
            to: ["ml-team@farm.test"],
          },
          github_issue: { enabled: true },
          retries: 1,
        },
      };
    },
  });
  ({ gh, hooks, smtp, client, scratch } = world);
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

describe("GitOps on GitHub, end to end", () => {
  let v1Sha = "";

  it("a committed manifest becomes a draft promotion pull request with the analysis", async () => {
    // An early-season first batch: green fruit and leaves only.
    await dataThenGpuJob("farm-a", 21, { verde: 48, hoja: 48 });
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

  it("v2, which learns the three classes v1 never saw, is approved against v1, merged and promoted; reverting the merge serves v1 again", async () => {
    const gpu = await dataThenGpuJob("farm-b", 22, 64);
    expect(gpu.outputs.decision, gpu.out).toBe("APPROVE");
    const pr = pullFor("mlops/mango-ripeness-v2")!;
    expect(pr.pull!.draft).toBe(false);
    expect(pr.labels).not.toContain("mlops:needs-review");
    expect(pr.body).toMatch(/## mango-ripeness v2: APPROVE/);
    expect(pr.body).toMatch(/`statistics\.clear_win`: clear win/);
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
    const gpu = await dataThenGpuJob("farm-c", 23, 8);
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
