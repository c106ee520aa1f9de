/**
 * The GitHub stand-in held to GitHub's published REST description (`@octokit/openapi`):
 * what the project asks over a whole promotion is answered as the description says, and a
 * departure on either side (an answer missing a required property, a request with a
 * parameter or body the operation does not take, a path no operation has) fails the test
 * that caused it, when the stand-in stops.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { proposePromotion, type PromotionProposal } from "../../lib/github/promotion.ts";
import { publishRelease } from "../../lib/github/release.ts";
import { upsertStickyComment } from "../../lib/github/sticky-comment.ts";
import { sha256 } from "../../lib/storage/index.ts";
import { OUTSIDE_THE_DESCRIPTION } from "../helpers/github-contract.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

let gh: RunningGitHubServer | undefined;
afterEach(async () => {
  await gh?.stop();
  gh = undefined;
});

async function start(): Promise<GitHubClient> {
  gh = await startGitHubServer();
  return createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
}

/** Stops the stand-in, expecting it to report `departure`. */
async function expectDeparture(departure: RegExp): Promise<void> {
  const server = gh!;
  gh = undefined;
  await expect(server.stop()).rejects.toThrow(departure);
}

const proposal = (over: Partial<PromotionProposal> = {}): PromotionProposal => ({
  baseBranch: "main",
  branch: "mlops/mango-ripeness-v2",
  files: [
    {
      path: "models/mango-ripeness/production.json",
      content: JSON.stringify({ model: "mango-ripeness", version: "v2" }) + "\n",
    },
  ],
  commitMessage: "Promote mango-ripeness v2",
  title: "[review] Promote mango-ripeness v2",
  body: "## Analysis\n\nNeeds a person.",
  draft: true,
  labels: [{ name: "mlops:needs-review", color: "fbca04" }, "mlops:promotion"],
  removeLabels: ["mlops:approved"],
  reviewers: ["alice", "mango-farms/ml-reviewers"],
  ...over,
});

describe("the GitHub stand-in against GitHub's REST description", () => {
  it("answers a whole promotion as the description says, each operation checked", async () => {
    const client = await start();
    const { octokit, owner, repo } = client;
    await proposePromotion(client, proposal());
    const approved = await proposePromotion(
      client,
      proposal({
        draft: false,
        title: "Promote mango-ripeness v2",
        labels: ["mlops:approved"],
        removeLabels: ["mlops:needs-review"],
      }),
    );
    await upsertStickyComment(client, approved.pullRequest.number, "report", "v1");
    await upsertStickyComment(client, approved.pullRequest.number, "report", "v2");
    const merged = await octokit.rest.pulls.merge({
      owner,
      repo,
      pull_number: approved.pullRequest.number,
    });
    await octokit.rest.repos.getContent({
      owner,
      repo,
      path: "models/mango-ripeness/production.json",
      ref: merged.data.sha,
    });
    const bytes = Buffer.from("TFL3 v2");
    await publishRelease(client, {
      tag: "mango-ripeness-v2",
      commit: merged.data.sha,
      name: "mango-ripeness v2",
      body: "",
      assets: [{ name: "mango_model_v2.tflite", sha256: sha256(bytes), bytes }],
    });
    expect(gh!.violations).toEqual([]);
    expect([...gh!.operations].sort()).toEqual([
      "actions/get-github-actions-default-workflow-permissions-repository",
      "git/create-blob",
      "git/create-commit",
      "git/create-ref",
      "git/create-tree",
      "git/get-commit",
      "git/get-ref",
      "issues/add-labels",
      "issues/create-comment",
      "issues/create-label",
      "issues/get-label",
      "issues/list-comments",
      "issues/remove-label",
      "issues/update-comment",
      "pulls/create",
      "pulls/list",
      "pulls/merge",
      "pulls/request-reviewers",
      "pulls/update",
      "repos/create-release",
      "repos/get-content",
      "repos/get-release-by-tag",
      "repos/upload-release-asset",
    ]);
    // GraphQL (ready for review) and the asset's download URL are not REST operations: listed, with why.
    expect(gh!.state.graphql).toContain("markPullRequestReadyForReview");
    expect(OUTSIDE_THE_DESCRIPTION.map((e) => e.path.source)).toEqual([
      "^\\/download\\/",
      "^\\/api\\/graphql$",
    ]);
    expect(OUTSIDE_THE_DESCRIPTION.every((e) => e.reason.length > 40)).toBe(true);
  });

  it("fails on an answer that lacks a property the description requires", async () => {
    const client = await start();
    const { octokit, owner, repo } = client;
    await octokit.rest.issues.createLabel({
      owner,
      repo,
      name: "mlops:promotion",
      color: "1d76db",
    });
    // A label whose colour the stand-in has lost: its JSON then has no `color`.
    gh!.state.labels.get("mlops:promotion")!.color = undefined as never;
    await octokit.rest.issues.getLabel({ owner, repo, name: "mlops:promotion" });
    await expectDeparture(
      /GET \/api\/v3\/repos\/mango-farms\/mango-mlops\/labels\/mlops%3Apromotion \(issues\/get-label\): response 200 \(root\): must have required property 'color'/,
    );
  });

  it("fails on a request with a parameter or body the operation does not take", async () => {
    const client = await start();
    const { octokit, owner, repo } = client;
    await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner, repo, colour: "red" });
    await octokit.request("POST /repos/{owner}/{repo}/issues", {
      owner,
      repo,
      title: "Manifest review",
      // A string where the operation takes an array of names.
      labels: "mlops:promotion" as unknown as string[],
    });
    await expectDeparture(
      /\(pulls\/list\): request query \(root\): must NOT have additional properties \(colour\)[\s\S]*\(issues\/create\): request body \/labels: must be array/,
    );
  });

  it("fails on a path no operation of the description has", async () => {
    const client = await start();
    const { octokit, owner, repo } = client;
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/approvals", {
        owner,
        repo,
        pull_number: 1,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expectDeparture(
      /GET \/repos\/mango-farms\/mango-mlops\/pulls\/1\/approvals: no operation in GitHub's REST description has this path/,
    );
  });
});
