/**
 * A GitHub issue per problem. The issue body carries a hidden marker with the alert's
 * dedupe key; while an issue with that marker is open, a rerun comments on it instead of
 * opening another, so a manifest that keeps failing gives one thread, not a pile. GitHub
 * refuses an issue or comment body over 65,536 characters (422): a longer alert is
 * shortened at line and item boundaries (fit.ts) until both bodies are within
 * ISSUE_BODY_MAX, and says what was left out and where the full report is.
 */
import type { getOctokit } from "@actions/github";
import { escapeMarkdown } from "../markdown.ts";
import { type Alert, dedupeKeyOf } from "./alert.ts";
import { cutText, type FittedAlert, fitAlert, type RenderOptions, reportOf } from "./fit.ts";
import { alertMarkdown } from "./markdown.ts";

/**
 * The longest issue or comment body sent: GitHub's 65,536 less a margin. Measured in
 * UTF-16 units, which are never fewer than the characters GitHub counts.
 */
export const ISSUE_BODY_MAX = 65_000;

/** The Octokit of `@actions/github` (`getOctokit(token, { baseUrl })`). */
export type GithubClient = ReturnType<typeof getOctokit>;

/** The rendered issue. */
export interface RenderedIssue {
  title: string;
  body: string;
  labels: string[];
}

/** Where the alert went on GitHub. */
export interface IssueRef {
  action: "opened" | "commented";
  number: number;
  /** The issue's URL, or the comment's when an open issue was commented on. */
  url: string;
}

/** The hidden line that finds an issue again. */
export function issueMarker(dedupeKey: string): string {
  return `<!-- mango-mlops-alert:${dedupeKey} -->`;
}

/** The comment that says an open issue's problem happened again: the body without its marker. */
export function issueCommentBody(rendered: RenderedIssue, marker: string): string {
  return [
    `This happened again: **${escapeMarkdown(rendered.title)}**`,
    "",
    rendered.body.replace(marker, "").trim(),
    "",
  ].join("\n");
}

function buildIssue({ alert, leftOut }: FittedAlert, labels: string[]): RenderedIssue {
  const markdown = alertMarkdown(alert, { inert: true, leftOut });
  const body = `${issueMarker(dedupeKeyOf(alert))}\n${markdown}`;
  // GitHub refuses titles over 256 characters.
  const title = cutText(alert.title, 256);
  return { title, body, labels };
}

/** The issue for an alert, with its marker, its body and comment within ISSUE_BODY_MAX; pure. */
export function renderIssue(
  alert: Alert,
  labels: string[] = ["mlops-alert"],
  opts: RenderOptions = {},
): RenderedIssue {
  const marker = issueMarker(dedupeKeyOf(alert));
  const fits = (f: FittedAlert) => {
    const issue = buildIssue(f, labels);
    return (
      issue.body.length <= ISSUE_BODY_MAX &&
      issueCommentBody(issue, marker).length <= ISSUE_BODY_MAX
    );
  };
  return buildIssue(fitAlert(alert, fits, "GitHub", reportOf(alert, opts)), labels);
}

/**
 * Opens the issue, or comments on the open issue whose body holds the same marker. The
 * search is narrowed to the first label when there is one, so it reads a few pages at most.
 */
export async function openOrUpdateIssue(
  octokit: GithubClient,
  repo: { owner: string; repo: string },
  rendered: RenderedIssue,
  dedupeKey: string,
): Promise<IssueRef> {
  const marker = issueMarker(dedupeKey);
  const existing = await findOpenIssue(octokit, repo, marker, rendered.labels[0]);
  if (existing) {
    const body = issueCommentBody(rendered, marker);
    const { data } = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: existing,
      body,
    });
    return { action: "commented", number: existing, url: data.html_url };
  }
  const body = rendered.body.includes(marker) ? rendered.body : `${marker}\n${rendered.body}`;
  const { data } = await octokit.rest.issues.create({
    ...repo,
    title: rendered.title,
    body,
    labels: rendered.labels,
  });
  return { action: "opened", number: data.number, url: data.html_url };
}

async function findOpenIssue(
  octokit: GithubClient,
  repo: { owner: string; repo: string },
  marker: string,
  label: string | undefined,
): Promise<number | null> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
    ...repo,
    state: "open",
    per_page: 100,
    ...(label ? { labels: label } : {}),
  });
  for await (const page of pages) {
    // The issues list includes pull requests; an alert never lives on one.
    const hit = page.data.find((issue) => !issue.pull_request && issue.body?.includes(marker));
    if (hit) return hit.number;
  }
  return null;
}
