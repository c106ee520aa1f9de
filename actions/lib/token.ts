/**
 * Which token an action that opens pull requests uses. GitHub starts no workflow for an
 * event made with `github.token` (except workflow_dispatch and repository_dispatch), so a
 * pull request opened with it gets no CI and no manifest review, and a branch protection
 * that requires those checks blocks its merge. A GitHub App installation token
 * (actions/create-github-app-token) or a fine-grained personal access token, passed as
 * `pr_token`, opens it as someone whose events do start workflows. Without one the action
 * still works with `github_token`, and says on the run's summary what will not run.
 */
import * as core from "@actions/core";
import { escapeHtml } from "../../lib/notify/index.ts";
import { optionalInput } from "./inputs.ts";

/** The token the action's GitHub calls use, and where it came from. */
export interface ChosenToken {
  token: string;
  /** `pr_token`: an app or personal token; `github_token`: the workflow's own token. */
  source: "pr_token" | "github_token";
}

/** Reads `pr_token` and `github_token`; masks both; prefers `pr_token`. */
export function chooseToken(): ChosenToken | undefined {
  const prToken = optionalInput("pr_token");
  const githubToken = optionalInput("github_token");
  for (const t of [prToken, githubToken]) if (t) core.setSecret(t);
  if (prToken) return { token: prToken, source: "pr_token" };
  if (githubToken) return { token: githubToken, source: "github_token" };
  return undefined;
}

/** What a reviewer and the maintainer need to know about a pull request `github.token` opened. */
export function githubTokenWarning(pullRequest: string): string {
  return [
    `${pullRequest} was opened with github.token, and GitHub starts no workflow for events made with it:`,
    "CI and the manifest review will not run on this pull request, and a branch protection that requires their checks blocks its merge.",
    'Fix: give the workflow a GitHub App (repository variable MLOPS_APP_CLIENT_ID and secret MLOPS_APP_PRIVATE_KEY) or a fine-grained personal access token (secret MLOPS_PR_TOKEN), as the README\'s "Setting up a repository" says.',
    "Until then, closing and reopening the pull request starts its checks.",
  ].join(" ");
}

/** Warns, on the log and the job summary, when `github.token` opened a pull request. */
export async function warnIfGithubToken(
  chosen: ChosenToken | undefined,
  pullRequest: string | undefined,
): Promise<void> {
  if (!chosen || chosen.source !== "github_token" || !pullRequest) return;
  const text = githubTokenWarning(pullRequest);
  core.warning(text);
  await core.summary
    .addHeading("Checks will not run on this pull request", 3)
    .addRaw(`<p>${escapeHtml(text)}</p>`, true)
    .write();
}
