/**
 * One comment per report on an issue or pull request, edited on every rerun instead of
 * piling up (as CML does): a hidden HTML marker in the body finds it again. A report longer
 * than GitHub takes is cut to its limit, saying what was left out and where the whole is.
 */
import { fitToBodyLimit, GITHUB_BODY_LIMIT, type GitHubClient } from "./client.ts";

/** Where a cut comment sends its reader when the caller names no place. */
const FULL_REPORT = "the job summary of the workflow run that posted this comment";

/** The hidden marker line for `marker` (letters, digits, `.`, `_`, `-`, `/`). */
export function stickyMarker(marker: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(marker))
    throw new Error(
      `sticky comment marker "${marker}" may hold only letters, digits, ".", "_", "-" and "/"`,
    );
  return `<!-- mango-mlops:${marker} -->`;
}

/**
 * Pure: the comment body as posted, the marker first so it survives edits to the rest, within
 * GitHub's limit (a longer body is cut, saying so and pointing at `fullReport`).
 */
export function renderStickyComment(
  marker: string,
  body: string,
  fullReport = FULL_REPORT,
): string {
  const head = `${stickyMarker(marker)}\n`;
  return head + fitToBodyLimit(body, fullReport, GITHUB_BODY_LIMIT - head.length);
}

/** Pure: the first comment carrying the marker, if any. */
export function findStickyComment<T extends { body?: string | null }>(
  comments: T[],
  marker: string,
): T | undefined {
  const tag = stickyMarker(marker);
  // The closing " -->" is part of the tag, so marker "a" never matches "ab".
  return comments.find((c) => c.body?.includes(tag));
}

/** The comment after the upsert. */
export interface StickyComment {
  id: number;
  url: string;
  /** created: new comment; updated: body changed; unchanged: same body, nothing sent. */
  action: "created" | "updated" | "unchanged";
}

/**
 * Creates the comment marked `marker` on issue/pull request `issueNumber`, or edits it
 * when it exists. An identical body sends nothing, so reruns do not notify anyone. A body
 * over GitHub's limit is cut; `options.fullReport` says where the whole report is.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  issueNumber: number,
  marker: string,
  body: string,
  options: { fullReport?: string } = {},
): Promise<StickyComment> {
  const { octokit, owner, repo } = client;
  const text = renderStickyComment(marker, body, options.fullReport);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const existing = findStickyComment(comments, marker);
  if (existing) {
    if (existing.body === text)
      return { id: existing.id, url: existing.html_url, action: "unchanged" };
    const updated = await octokit.rest.issues.updateComment({
      owner,
      repo,
      comment_id: existing.id,
      body: text,
    });
    return { id: updated.data.id, url: updated.data.html_url, action: "updated" };
  }
  const created = await octokit.rest.issues.createComment({
    owner,
    repo,
    issue_number: issueNumber,
    body: text,
  });
  return { id: created.data.id, url: created.data.html_url, action: "created" };
}
