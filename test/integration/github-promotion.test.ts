/**
 * The promotion pull request on GitHub, through the real Octokit against a stateful
 * GitHub stand-in on 127.0.0.1: one branch, one commit with the registry change, one pull
 * request whose body is the analysis, whatever reruns, faults and races happen.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createGitHubClient,
  GitHubRateLimitError,
  type GitHubClient,
} from "../../lib/github/client.ts";
import { proposePromotion, type PromotionProposal } from "../../lib/github/promotion.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

let gh: RunningGitHubServer;
let sleeps: number[];
let logs: string[];
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

function client(): GitHubClient {
  return createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: {
      sleep: async (ms) => void sleeps.push(ms),
      now: () => NOW,
      log: (m) => void logs.push(m),
    },
  });
}

function proposal(over: Partial<PromotionProposal> = {}): PromotionProposal {
  return {
    baseBranch: "main",
    branch: "mlops/mango-ripeness-v2",
    files: [
      { path: "models/mango-ripeness/v2/metrics.json", content: '{"accuracy":0.93}\n' },
      { path: "models/mango-ripeness/production.json", content: '{"version":"v2"}\n' },
      { path: "models/mango-ripeness/v2/probe.bin", content: Buffer.from([0, 255, 1, 254]) },
    ],
    commitMessage: "Promote mango-ripeness v2",
    title: "Promote mango-ripeness v2",
    body: "## Analysis\n\nAccuracy 0.93 against 0.90 in production.",
    draft: false,
    labels: [
      { name: "mlops:approved", color: "0e8a16", description: "the analyst approved" },
      "mlops:promotion",
    ],
    removeLabels: ["mlops:needs-review"],
    reviewers: ["alice"],
    ...over,
  };
}

const pulls = () => gh.state.issues.filter((i) => i.pull);
const posts = (re: RegExp) => gh.requests.filter((r) => r.method === "POST" && re.test(r.path));
const fileOnBranch = (branch: string, path: string) =>
  gh.git.fileAt(gh.git.resolve(branch)!, path)?.content;

beforeEach(async () => {
  gh = await startGitHubServer();
  sleeps = [];
  logs = [];
});
afterEach(async () => {
  await gh.stop();
});

describe("proposePromotion", () => {
  it("opens one pull request from one commit on the branch, and a rerun updates the same one", async () => {
    const first = await proposePromotion(client(), proposal());
    expect(first).toMatchObject({
      created: true,
      branchMoved: true,
      warnings: [],
      pullRequest: { number: 1, draft: false },
    });
    expect(first.pullRequest.url).toBe(`${gh.origin}/${gh.owner}/${gh.repo}/pull/1`);
    const head = gh.git.commits.get(first.commit)!;
    expect(head.parents).toEqual([gh.git.refs.get("refs/heads/main")]);
    expect(
      fileOnBranch("mlops/mango-ripeness-v2", "models/mango-ripeness/production.json")?.toString(),
    ).toBe('{"version":"v2"}\n');
    expect(fileOnBranch("mlops/mango-ripeness-v2", "models/mango-ripeness/v2/probe.bin")).toEqual(
      Buffer.from([0, 255, 1, 254]),
    );
    expect(fileOnBranch("mlops/mango-ripeness-v2", "README.md")?.toString()).toBe(
      "# mango-mlops\n",
    );
    expect(fileOnBranch("main", "models/mango-ripeness/production.json")).toBeUndefined();
    expect(pulls()[0]).toMatchObject({
      title: "Promote mango-ripeness v2",
      body: proposal().body,
      labels: ["mlops:approved", "mlops:promotion"],
    });
    expect(gh.state.labels.get("mlops:approved")).toMatchObject({
      color: "0e8a16",
      description: "the analyst approved",
    });
    // Not a draft: nobody is asked to review.
    expect(pulls()[0]!.pull!.requested_reviewers).toEqual([]);

    const same = await proposePromotion(client(), proposal());
    expect(same).toMatchObject({
      created: false,
      branchMoved: false,
      commit: first.commit,
      pullRequest: { number: 1 },
    });

    const changed = await proposePromotion(
      client(),
      proposal({
        files: [
          {
            path: "models/mango-ripeness/production.json",
            content: '{"version":"v2","rerun":true}\n',
          },
        ],
        body: "## Analysis\n\nRerun: accuracy 0.94.",
      }),
    );
    expect(changed).toMatchObject({
      created: false,
      branchMoved: true,
      pullRequest: { number: 1 },
    });
    expect(changed.commit).not.toBe(first.commit);
    expect(gh.git.refs.get("refs/heads/mlops/mango-ripeness-v2")).toBe(changed.commit);
    expect(pulls()).toHaveLength(1);
    expect(pulls()[0]!.body).toBe("## Analysis\n\nRerun: accuracy 0.94.");
    expect(posts(/\/pulls$/)).toHaveLength(1);
  });

  it("opens HUMAN_REVIEW as a draft with its label and the configured reviewers; a later APPROVE swaps the label", async () => {
    const review = await proposePromotion(
      client(),
      proposal({
        draft: true,
        title: "[review] Promote mango-ripeness v2",
        labels: [{ name: "mlops:needs-review", color: "fbca04" }, "mlops:promotion"],
        removeLabels: ["mlops:approved"],
        reviewers: ["alice", "@mango-farms/ml-reviewers"],
      }),
    );
    expect(review).toMatchObject({ created: true, pullRequest: { draft: true }, warnings: [] });
    expect(pulls()[0]!.pull).toMatchObject({
      draft: true,
      requested_reviewers: ["alice"],
      requested_teams: ["ml-reviewers"],
    });
    expect(pulls()[0]!.labels).toEqual(["mlops:needs-review", "mlops:promotion"]);
    expect(gh.state.labels.get("mlops:needs-review")!.color).toBe("fbca04");

    const approved = await proposePromotion(client(), proposal());
    expect(pulls()[0]!.labels).toEqual(["mlops:promotion", "mlops:approved"]);
    // REST cannot undraft: GraphQL's markPullRequestReadyForReview does.
    expect(approved).toMatchObject({ pullRequest: { number: 1, draft: false }, warnings: [] });
    expect(pulls()[0]!.pull!.draft).toBe(false);
    const mutations = () => gh.state.graphql.filter((q) => q !== "viewer");
    expect(mutations()).toEqual(["markPullRequestReadyForReview"]);

    // And back: a rerun that needs review again makes it a draft (convertPullRequestToDraft).
    const again = await proposePromotion(client(), proposal({ draft: true }));
    expect(again).toMatchObject({ pullRequest: { number: 1, draft: true }, warnings: [] });
    expect(pulls()[0]!.pull!.draft).toBe(true);
    expect(mutations()).toEqual(["markPullRequestReadyForReview", "convertPullRequestToDraft"]);
  });

  it("warns, without failing, when a reviewer cannot be requested", async () => {
    const result = await proposePromotion(
      client(),
      proposal({ draft: true, reviewers: ["mallory"] }),
    );
    expect(result.pullRequest.number).toBe(1);
    expect(result.warnings.join("\n")).toMatch(/mallory.*collaborators/);
  });

  it("retries a 502 and then succeeds, with one commit and one pull request", async () => {
    gh.failNext("POST", /\/git\/commits$/, { status: 502, body: { message: "Server Error" } });
    gh.failNext("GET", /\/pulls$/, { status: 503, times: 2 });
    const result = await proposePromotion(client(), proposal());
    expect(result.created).toBe(true);
    expect(sleeps).toEqual([1000, 1000, 2000]);
    expect(logs[0]).toMatch(/GitHub answered 502 on POST .*git\/commits; retry 1\/4/);
    expect(pulls()).toHaveLength(1);
    expect(gh.git.refs.get("refs/heads/mlops/mango-ripeness-v2")).toBe(result.commit);
  });

  it("waits for the rate limit's reset on a 403 with x-ratelimit-remaining 0, then succeeds", async () => {
    const reset = NOW / 1000 + 42;
    gh.failNext("POST", /\/git\/blobs$/, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: {
        message: "API rate limit exceeded for installation ID 1.",
        documentation_url: "https://docs.github.com/rest/rate-limit",
      },
    });
    gh.failNext("POST", /\/labels$/, {
      status: 429,
      headers: { "retry-after": "7" },
      body: { message: "You have exceeded a secondary rate limit." },
    });
    const result = await proposePromotion(client(), proposal());
    expect(result.created).toBe(true);
    expect(sleeps).toEqual([43_000, 7_000]);
    expect(pulls()[0]!.labels).toEqual(["mlops:approved", "mlops:promotion"]);
  });

  it("fails at once with a clear error when the rate limit resets later than it waits, and opens nothing", async () => {
    gh.failNext("GET", /\/git\/ref\/heads\/main$/, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 3600) },
      body: { message: "API rate limit exceeded" },
    });
    const err = await proposePromotion(client(), proposal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubRateLimitError);
    expect((err as Error).message).toMatch(
      /resets at 2025-06-01T13:00:00.000Z .*rerun after the reset/,
    );
    expect(sleeps).toEqual([]);
    expect(pulls()).toHaveLength(0);
  });

  it("reconciles a 422 for a branch that already exists (a lost answer, retried) by moving it", async () => {
    gh.failNext("POST", /\/git\/refs$/, { status: 502, afterApply: true });
    const result = await proposePromotion(client(), proposal());
    expect(
      gh.requests
        .filter((r) => r.method === "POST" && /\/git\/refs$/.test(r.path))
        .map((r) => r.status),
    ).toEqual([502, 422]);
    expect(
      gh.requests.some(
        (r) => r.method === "PATCH" && /git\/refs\/heads\/mlops\/mango-ripeness-v2$/.test(r.path),
      ),
    ).toBe(true);
    expect(gh.git.refs.get("refs/heads/mlops/mango-ripeness-v2")).toBe(result.commit);
  });

  it("reconciles a 422 'A pull request already exists' (lost answer, or a stale list) and never opens two", async () => {
    gh.failNext("POST", /\/pulls$/, { status: 502, afterApply: true });
    const lost = await proposePromotion(client(), proposal());
    expect(posts(/\/pulls$/).map((r) => r.status)).toEqual([502, 422]);
    expect(lost.pullRequest.number).toBe(1);

    // A list that misses the open pull request (a concurrent run opened it a moment ago).
    gh.failNext("GET", /\/pulls$/, { status: 200, body: [] });
    const stale = await proposePromotion(client(), proposal({ body: "updated analysis" }));
    expect(stale).toMatchObject({ created: false, pullRequest: { number: 1 } });
    expect(posts(/\/pulls$/).map((r) => r.status)).toEqual([502, 422, 422]);
    expect(pulls()).toHaveLength(1);
    expect(pulls()[0]!.body).toBe("updated analysis");
  });

  it("cuts an analysis longer than GitHub accepts, saying what was left out and where the rest is", async () => {
    const long = `## Analysis\n\n${"Accuracy rose on every class.\n".repeat(2200)}## Lineage\n\n${"a row\n".repeat(2000)}`;
    const result = await proposePromotion(client(), proposal({ body: long }));
    const body = pulls()[0]!.body!;
    expect(result.created).toBe(true);
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body.startsWith("## Analysis\n\nAccuracy rose on every class.\n")).toBe(true);
    const omitted = long.length - body.indexOf("\n\n---\n**Cut to fit");
    expect(body).toMatch(
      new RegExp(
        `\\*\\*Cut to fit GitHub's limit of 65,536 characters:\\*\\* ${omitted.toLocaleString("en-US")} of ${long.length.toLocaleString("en-US")} characters are left out \\(the rest of "Analysis" and the section "Lineage"\\)\\. The full report: the run's report\\.md, in the \`mlops-run-<run id>\` artifact`,
      ),
    );
  });

  it("names the missing base branch and the setting that fixes it", async () => {
    await expect(proposePromotion(client(), proposal({ baseBranch: "trunk" }))).rejects.toThrow(
      /base branch "trunk" does not exist .*MLOPS_BASE_BRANCH/,
    );
  });
});
