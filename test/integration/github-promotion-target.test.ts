/**
 * Where a promotion is proposed: on GitHub with the token and repository Actions provides
 * (through the real Octokit against the stand-in), labelled by decision, or on a local git
 * branch without a token.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, showFile } from "../../lib/git.ts";
import {
  decisionLabels,
  promotionTargetFromEnv,
  type PromotionRequest,
} from "../../lib/github/target.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

let gh: RunningGitHubServer;

const pulls = () => gh.state.issues.filter((i) => i.pull);

beforeEach(async () => {
  gh = await startGitHubServer();
});
afterEach(async () => {
  await gh.stop();
});

describe("promotionTargetFromEnv", () => {
  const request = (decision: PromotionRequest["decision"]): PromotionRequest => ({
    decision,
    baseBranch: "main",
    branch: "mlops/mango-ripeness-v3",
    files: [
      {
        path: "models/mango-ripeness/production.json",
        content: `{"version":"v3","decision":"${decision}"}\n`,
      },
    ],
    commitMessage: "Promote mango-ripeness v3",
    title: "Promote mango-ripeness v3",
    body: `decided ${decision}`,
  });

  it("proposes on GitHub with the token and repository Actions provides, labelled by decision", async () => {
    const target = promotionTargetFromEnv(
      {
        GITHUB_TOKEN: gh.token,
        GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
        GITHUB_API_URL: gh.baseUrl,
      },
      { repoDir: "/nonexistent", reviewers: ["bob"], retry: { sleep: async () => {} } },
    );
    expect(target.kind).toBe("github");
    const review = await target.propose(request("HUMAN_REVIEW"));
    expect(review).toMatchObject({
      target: "github",
      draft: true,
      pullRequest: { number: 1, created: true },
      warnings: [],
    });
    expect(pulls()[0]!.labels).toEqual(["mlops:promotion", "mlops:needs-review"]);
    expect(pulls()[0]!.pull!.requested_reviewers).toEqual(["bob"]);
    const approve = await target.propose(request("APPROVE"));
    expect(approve.pullRequest).toMatchObject({ number: 1, created: false });
    expect(pulls()[0]!.labels).toEqual(["mlops:promotion", "mlops:approved"]);
  });

  it("stays local without a token (Actions sets GITHUB_REPOSITORY in every job) and refuses a token without a repository", () => {
    expect(promotionTargetFromEnv({ GITHUB_REPOSITORY: "a/b" }, { repoDir: "." }).kind).toBe(
      "local-git",
    );
    expect(() => promotionTargetFromEnv({ GITHUB_TOKEN: "t" }, { repoDir: "." })).toThrow(
      /GITHUB_REPOSITORY is not/,
    );
    expect(() =>
      promotionTargetFromEnv({ GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "nope" }, { repoDir: "." }),
    ).toThrow(/"owner\/repo"; received "nope"/);
  });

  it("commits on a local branch without a token, leaving the current branch alone", async () => {
    const repoDir = await mkdtemp(join(tmpdir(), "target-local-"));
    try {
      await git(repoDir, ["init", "-q", "-b", "main"]);
      await git(repoDir, ["commit", "-q", "--allow-empty", "-m", "init"]);
      const target = promotionTargetFromEnv({}, { repoDir });
      const out = await target.propose(request("HUMAN_REVIEW"));
      expect(out).toMatchObject({
        target: "local-git",
        draft: true,
        branch: "mlops/mango-ripeness-v3",
      });
      expect(
        await showFile(repoDir, "mlops/mango-ripeness-v3", "models/mango-ripeness/production.json"),
      ).toContain('"decision":"HUMAN_REVIEW"');
      expect(
        await showFile(repoDir, "main", "models/mango-ripeness/production.json"),
      ).toBeUndefined();
    } finally {
      await rm(repoDir, { recursive: true, force: true });
    }
  });

  it("labels by decision and takes the other decision's label off", () => {
    expect(decisionLabels("APPROVE")).toMatchObject({
      labels: [{ name: "mlops:promotion" }, { name: "mlops:approved" }],
      remove: ["mlops:needs-review"],
    });
    expect(decisionLabels("HUMAN_REVIEW").remove).toEqual(["mlops:approved"]);
  });
});
