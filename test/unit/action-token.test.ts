/**
 * The token an action opens pull requests with: `pr_token` (an app or personal token) when
 * given, else `github_token` with a warning on the job summary that says what will not run.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chooseToken, githubTokenWarning, warnIfGithubToken } from "../../actions/lib/token.ts";

const NAMES = ["INPUT_PR_TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_STEP_SUMMARY"];
let dir: string;
let saved: Record<string, string | undefined>;

// @actions/core keeps the summary file's path once it has read it: one file for all tests.
beforeAll(async () => {
  saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  dir = await mkdtemp(join(tmpdir(), "token-"));
});
beforeEach(async () => {
  process.env.GITHUB_STEP_SUMMARY = join(dir, "summary.md");
  await writeFile(process.env.GITHUB_STEP_SUMMARY, "");
});
afterAll(async () => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
  await rm(dir, { recursive: true, force: true });
});

describe("the pull request token", () => {
  it("prefers pr_token, falls back to github_token, and is absent when neither is set", () => {
    process.env.INPUT_GITHUB_TOKEN = "ghs_workflow";
    process.env.INPUT_PR_TOKEN = "ghs_app";
    expect(chooseToken()).toEqual({ token: "ghs_app", source: "pr_token" });
    process.env.INPUT_PR_TOKEN = "  ";
    expect(chooseToken()).toEqual({ token: "ghs_workflow", source: "github_token" });
    delete process.env.INPUT_GITHUB_TOKEN;
    expect(chooseToken()).toBeUndefined();
  });

  it("a pull request opened with github.token gets a summary warning; one opened with an app token none", async () => {
    const url = "https://github.com/o/r/pull/7";
    await warnIfGithubToken({ token: "t", source: "pr_token" }, url);
    await warnIfGithubToken({ token: "t", source: "github_token" }, undefined);
    expect(await readFile(process.env.GITHUB_STEP_SUMMARY!, "utf8")).toBe("");
    await warnIfGithubToken({ token: "t", source: "github_token" }, url);
    const summary = await readFile(process.env.GITHUB_STEP_SUMMARY!, "utf8");
    expect(summary).toContain("<h3>Checks will not run on this pull request</h3>");
    expect(summary).toContain(url);
    for (const fix of ["MLOPS_APP_CLIENT_ID", "MLOPS_APP_PRIVATE_KEY", "MLOPS_PR_TOKEN"])
      expect(summary).toContain(fix);
  });

  it("the warning is text: markup in what it quotes is shown, not rendered", async () => {
    expect(githubTokenWarning("<b>x</b>")).toContain("<b>x</b>");
    await warnIfGithubToken({ token: "t", source: "github_token" }, "<b>x</b>");
    const summary = await readFile(process.env.GITHUB_STEP_SUMMARY!, "utf8");
    expect(summary).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(summary).not.toContain("<b>");
  });
});
