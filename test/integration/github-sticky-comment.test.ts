/**
 * Sticky comments against the GitHub stand-in: a rerun edits the one comment with its
 * marker, found even past the first page of comments, and leaves other comments alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.ts";
import {
  findStickyComment,
  renderStickyComment,
  upsertStickyComment,
} from "../../lib/github/sticky-comment.ts";
import { startGitHubServer, type RunningGitHubServer } from "../helpers/github-server.ts";

let gh: RunningGitHubServer;
let client: GitHubClient;

beforeAll(async () => {
  gh = await startGitHubServer();
  client = createGitHubClient({
    token: gh.token,
    baseUrl: gh.baseUrl,
    owner: gh.owner,
    repo: gh.repo,
    retry: { sleep: async () => {} },
  });
});
afterAll(async () => {
  await gh.stop();
});

const commentsOn = (n: number) =>
  [...gh.state.comments.values()].filter((c) => c.issue_number === n);

describe("upsertStickyComment", () => {
  it("creates the comment once, then edits it on reruns, leaving other comments alone", async () => {
    const { octokit, owner, repo } = client;
    const issue = (await octokit.rest.issues.create({ owner, repo, title: "Manifest review" })).data
      .number;
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: issue,
      body: "a person's comment",
    });

    const first = await upsertStickyComment(client, issue, "manifest-review", "Score 8.1 / 10");
    expect(first.action).toBe("created");
    expect(first.url).toContain(`/issues/${issue}#issuecomment-${first.id}`);
    const second = await upsertStickyComment(
      client,
      issue,
      "manifest-review",
      "Score 6.2 / 10: 3 blurred images",
    );
    expect(second).toMatchObject({ id: first.id, action: "updated" });
    const third = await upsertStickyComment(
      client,
      issue,
      "manifest-review",
      "Score 6.2 / 10: 3 blurred images",
    );
    expect(third).toMatchObject({ id: first.id, action: "unchanged" });
    // Another report keeps its own comment.
    const other = await upsertStickyComment(
      client,
      issue,
      "manifest-review/farm-b",
      "Score 9.0 / 10",
    );
    expect(other.action).toBe("created");

    expect(commentsOn(issue).map((c) => c.body)).toEqual([
      "a person's comment",
      "<!-- mango-mlops:manifest-review -->\nScore 6.2 / 10: 3 blurred images",
      "<!-- mango-mlops:manifest-review/farm-b -->\nScore 9.0 / 10",
    ]);
    expect(gh.requests.filter((r) => r.method === "PATCH").length).toBe(1);
  });

  it("finds its comment past the first page of a busy pull request", async () => {
    const { octokit, owner, repo } = client;
    const issue = (await octokit.rest.issues.create({ owner, repo, title: "Busy thread" })).data
      .number;
    for (let i = 0; i < 105; i++)
      await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: issue,
        body: `chatter ${i}`,
      });
    const first = await upsertStickyComment(client, issue, "report", "v1");
    const again = await upsertStickyComment(client, issue, "report", "v2");
    expect(again).toMatchObject({ id: first.id, action: "updated" });
    expect(commentsOn(issue).filter((c) => c.body.includes("mango-mlops:report"))).toHaveLength(1);
  });

  it("cuts a report longer than GitHub takes, saying what was left out and where the whole is", async () => {
    const { octokit, owner, repo } = client;
    const issue = (await octokit.rest.issues.create({ owner, repo, title: "Huge review" })).data
      .number;
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `| img_${i}.jpg | blurred |`);
    const report = [
      "## Manifest review",
      "",
      "```text",
      ...rows(3000),
      "```",
      "## Lineage",
      "",
      "the end",
    ].join("\n");
    const where = "the job summary of https://github.com/mango-farms/mango-mlops/actions/runs/7";
    const first = await upsertStickyComment(client, issue, "manifest-review", report, {
      fullReport: where,
    });
    const posted = gh.state.comments.get(first.id)!.body;
    expect(report.length).toBeGreaterThan(65536);
    expect(posted.length).toBeLessThanOrEqual(65536);
    expect(posted.startsWith("<!-- mango-mlops:manifest-review -->\n## Manifest review\n")).toBe(
      true,
    );
    // The cut falls inside the code block: it is closed so the last line reads as text.
    expect(posted).toMatch(
      new RegExp(
        `\\|\\n\`\`\`\\n\\n---\\n\\*\\*Cut to fit GitHub's limit of 65,536 characters:\\*\\* [\\d,]+ of ${report.length.toLocaleString("en-US")} characters are left out \\(the rest of "Manifest review" and the section "Lineage"\\)\\. The full report: ${where.replace(/[.]/g, "\\.")}\\.\\n$`,
      ),
    );
    // The same long report again is the same comment: nothing sent.
    const again = await upsertStickyComment(client, issue, "manifest-review", report, {
      fullReport: where,
    });
    expect(again).toMatchObject({ id: first.id, action: "unchanged" });
  });

  it("answers a missing issue with GitHub's 404", async () => {
    await expect(upsertStickyComment(client, 999, "report", "x")).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe("sticky comment rendering", () => {
  it("puts the marker first and finds only the exact marker", () => {
    expect(renderStickyComment("a", "body")).toBe("<!-- mango-mlops:a -->\nbody");
    const comments = [
      { id: 1, body: renderStickyComment("ab", "x") },
      { id: 2, body: renderStickyComment("a", "y") },
    ];
    expect(findStickyComment(comments, "a")?.id).toBe(2);
    expect(findStickyComment(comments, "b")).toBeUndefined();
  });
  it("refuses a marker that could close the HTML comment early", () => {
    expect(() => renderStickyComment("x -->", "body")).toThrow(/may hold only/);
  });
});
