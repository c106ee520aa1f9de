/**
 * The refusals real GitHub gives that depend on the plan or the repository's settings, played
 * by the GitHub stand-in and met by the real Octokit: a draft refused on GitHub Free or Pro
 * (the proposal is opened for review and says why), the workflow's token refused a pull
 * request (checked before the push where it can be; otherwise the push is taken back and the
 * error names the setting), and a release asset whose upload never finished.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import { proposePromotion, type PromotionProposal } from "../../lib/github/promotion.ts";
import { publishRelease } from "../../lib/github/release.ts";
import { PullRequestsNotPermittedError } from "../../lib/github/remote-branch.ts";
import { sha256 } from "../../lib/storage/index.ts";
import {
  startGitHubServer,
  type GitHubServerOptions,
  type RunningGitHubServer,
} from "../helpers/github-server.ts";

let gh: RunningGitHubServer | undefined;
afterEach(async () => {
  await gh?.stop();
  gh = undefined;
});

async function start(options: GitHubServerOptions = {}): Promise<GitHubClient> {
  gh = await startGitHubServer(options);
  return createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {}, log: () => {} },
  });
}

const BRANCH = "mlops/mango-ripeness-v2";
const review = (over: Partial<PromotionProposal> = {}): PromotionProposal => ({
  baseBranch: "main",
  branch: BRANCH,
  files: [{ path: "models/mango-ripeness/production.json", content: '{"version":"v2"}\n' }],
  commitMessage: "Promote mango-ripeness v2",
  title: "[review] Promote mango-ripeness v2",
  body: "## Analysis\n\nMacro F1 0.91; the ripe class fell 4 points.",
  draft: true,
  labels: [{ name: "mlops:needs-review", color: "fbca04" }, "mlops:promotion"],
  removeLabels: ["mlops:approved"],
  reviewers: ["alice"],
  ...over,
});
const pulls = () => gh!.state.issues.filter((i) => i.pull);
const seen = (method: string, re: RegExp) =>
  gh!.requests.filter((r) => r.method === method && re.test(r.path));

describe("a draft GitHub refuses (a private repository on GitHub Free or Pro)", () => {
  it("opens the HUMAN_REVIEW proposal for review instead, marked and requested as a draft would be", async () => {
    const client = await start({ refusals: { draftUnsupported: true } });
    const out = await proposePromotion(client, review());
    expect(seen("POST", /\/pulls$/).map((r) => r.status)).toEqual([422, 201]);
    expect(out.pullRequest).toMatchObject({ number: 1, draft: false });
    const pr = pulls()[0]!;
    expect(pr.pull).toMatchObject({ draft: false, requested_reviewers: ["alice"] });
    expect(pr.title).toBe("[review] Promote mango-ripeness v2");
    expect(pr.labels).toEqual(["mlops:needs-review", "mlops:promotion"]);
    expect(pr.body!.split("\n")[0]).toMatch(
      /^> \*\*Needs review before merging\.\*\* GitHub would not make this pull request a draft \("Draft pull requests are not supported in this repository\."; drafts need a public repository/,
    );
    expect(pr.body!.endsWith(review().body)).toBe(true);
    expect(out.warnings).toEqual([
      expect.stringMatching(
        /^pull request #1 is open for review, not a draft: GitHub refused a draft \("Draft pull requests are not supported in this repository\."\)\. .*the configured reviewers are asked as for a draft/,
      ),
    ]);

    // A rerun that still needs review tries GraphQL, is refused again, and keeps the line.
    const again = await proposePromotion(client, review({ body: "## Analysis\n\nRerun." }));
    expect(again).toMatchObject({ created: false, pullRequest: { number: 1, draft: false } });
    expect(gh!.state.graphql.filter((q) => q !== "viewer")).toEqual(["convertPullRequestToDraft"]);
    expect(pulls()[0]!.body).toMatch(
      /^> \*\*Needs review before merging\.\*\*.*\n\n## Analysis\n\nRerun\.$/,
    );
    expect(again.warnings.join("\n")).toMatch(/#1 is open for review, not a draft/);

    // APPROVE later: nothing to undraft, the line goes.
    const approved = await proposePromotion(
      client,
      review({ draft: false, title: "Promote mango-ripeness v2", body: "approved" }),
    );
    expect(approved.warnings).toEqual([]);
    expect(pulls()).toHaveLength(1);
    expect(pulls()[0]!.body).toBe("approved");
  });
});

describe("the workflow's token refused a pull request (Allow GitHub Actions to create ... is off)", () => {
  const ACTIONS = { login: "github-actions[bot]" };
  const setting =
    /Settings -> Actions -> General -> Workflow permissions, tick "Allow GitHub Actions to create and approve pull requests".*pr_token input/;

  it("takes back the branch it pushed and names the setting, when the setting cannot be read first", async () => {
    const client = await start(ACTIONS);
    const main = gh!.git.refs.get("refs/heads/main");
    const err = await proposePromotion(client, review({ draft: false })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PullRequestsNotPermittedError);
    expect((err as Error).message).toMatch(
      /^GitHub Actions may not open pull requests in mango-farms\/mango-mlops: GitHub refused the pull request \("GitHub Actions is not permitted to create or approve pull requests\."\) after the branch mlops\/mango-ripeness-v2 was pushed; the branch mlops\/mango-ripeness-v2 this run created was deleted\. Production is unchanged\./,
    );
    expect((err as Error).message).toMatch(setting);
    // The setting was asked first (a GITHUB_TOKEN may not read it), then the push, then the refusal.
    expect(seen("GET", /actions\/permissions\/workflow$/).map((r) => r.status)).toEqual([403]);
    expect(seen("POST", /\/pulls$/).map((r) => r.status)).toEqual([403]);
    expect(gh!.git.refs.has(`refs/heads/${BRANCH}`)).toBe(false);
    expect(gh!.git.refs.get("refs/heads/main")).toBe(main);
    expect(pulls()).toHaveLength(0);
  });

  it("moves a branch that existed before back where it was", async () => {
    const client = await start(ACTIONS);
    const before = gh!.git.commitFiles(BRANCH, { "notes.md": "an earlier attempt\n" }, "wip").sha;
    await expect(proposePromotion(client, review())).rejects.toThrow(
      `the branch ${BRANCH} was moved back to ${before.slice(0, 10)}, where it was before this run`,
    );
    expect(gh!.git.refs.get(`refs/heads/${BRANCH}`)).toBe(before);
  });

  it("refuses before pushing anything when the setting can be read and is off", async () => {
    const client = await start({ ...ACTIONS, refusals: { actionsTokenReadsSettings: true } });
    await expect(proposePromotion(client, review())).rejects.toThrow(
      /its workflow permissions do not allow GitHub Actions to create pull requests, and this run's token is the workflow's own \(github-actions\[bot\]\); nothing was pushed\. Production is unchanged\./,
    );
    expect(seen("POST", /\/git\//)).toEqual([]);
    expect(gh!.git.refs.has(`refs/heads/${BRANCH}`)).toBe(false);
  });

  it("goes on where the setting is on, or the token is not the workflow's own", async () => {
    let client = await start(ACTIONS);
    gh!.state.actions.canApprovePullRequestReviews = true;
    expect((await proposePromotion(client, review())).created).toBe(true);
    await gh!.stop();
    // A fine-grained token of a person reads the setting "off", which does not bind it.
    client = await start({ login: "release-manager" });
    expect(gh!.state.actions.canApprovePullRequestReviews).toBe(false);
    expect((await proposePromotion(client, review())).created).toBe(true);
    expect(gh!.state.graphql).toEqual(["viewer"]);
  });
});

describe("a release asset whose upload never finished (state open)", () => {
  const bytes = Buffer.from("\x1c\x00\x00\x00TFL3 weights of v2");
  const file = { name: "mango_model_v2.tflite", sha256: sha256(bytes), bytes };
  const publish = (client: GitHubClient) =>
    publishRelease(client, {
      tag: "mango-ripeness-v2",
      commit: gh!.git.refs.get("refs/heads/main")!,
      name: "mango-ripeness v2",
      body: "",
      assets: [file],
    });
  const assets = () => gh!.state.releases[0]!.assets;

  it("deletes an upload cut off mid-way (retried into 422 already_exists) and uploads again", async () => {
    const client = await start({ refusals: { uploadsLeftOpen: 1 } });
    const out = await publish(client);
    expect(seen("POST", /^\/api\/uploads\//).map((r) => r.status)).toEqual([502, 422, 201]);
    expect(seen("DELETE", /releases\/assets\/\d+$/).map((r) => r.status)).toEqual([204]);
    expect(out.release.assets).toMatchObject([{ name: file.name, uploaded: true }]);
    expect(assets()).toMatchObject([{ name: file.name, state: "uploaded" }]);
    expect((await fetch(out.release.assets[0]!.url)).status).toBe(200);
  });

  it("treats an asset left open by an earlier run as not attached, saying so", async () => {
    const client = await start();
    await publish(client);
    assets()[0]!.state = "open";
    const again = await publish(client);
    expect(again.notes).toEqual([
      `release mango-ripeness-v2 had ${file.name} in state "open" (an upload that never finished); deleted and uploaded again`,
    ]);
    expect(assets()).toMatchObject([{ state: "uploaded" }]);
    expect(again.release.assets).toMatchObject([{ uploaded: true }]);
  });

  it("fails clearly when the upload does not finish twice", async () => {
    const client = await start({ refusals: { uploadsLeftOpen: 2 } });
    await expect(publish(client)).rejects.toThrow(
      `release mango-ripeness-v2: the upload of ${file.name} did not finish twice (state "open") (fix: rerun the promote workflow)`,
    );
  });
});
