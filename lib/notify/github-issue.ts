/**
 * A GitHub issue per problem. The issue body carries a hidden marker with the alert's
 * dedupe key; while an issue with that marker is open, a rerun comments on it instead of
 * opening another, so a manifest that keeps failing gives one thread, not a pile.
 */
import type { getOctokit } from "@actions/github";
import { type Alert, dedupeKeyOf } from "./alert.ts";
import { alertMarkdown } from "./markdown.ts";

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

/** The issue for an alert, with its marker; pure. */
export function renderIssue(alert: Alert, labels: string[] = ["mlops-alert"]): RenderedIssue {
  const body = `${issueMarker(dedupeKeyOf(alert))}\n${alertMarkdown(alert, { inert: true })}`;
  // GitHub refuses titles over 256 characters.
  const title = alert.title.length <= 256 ? alert.title : `${alert.title.slice(0, 255)}…`;
  return { title, body, labels };
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
    const body = [
      `This happened again: **${rendered.title}**`,
      "",
      rendered.body.replace(marker, "").trim(),
      "",
    ].join("\n");
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
