/**
 * One comment per report on an issue or pull request, edited on every rerun instead of
 * piling up (as CML does): a hidden HTML marker in the body finds it again.
 */
import type { GitHubClient } from "./client.ts";

/** The hidden marker line for `marker` (letters, digits, `.`, `_`, `-`, `/`). */
export function stickyMarker(marker: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(marker))
    throw new Error(
      `sticky comment marker "${marker}" may hold only letters, digits, ".", "_", "-" and "/"`,
    );
  return `<!-- mango-mlops:${marker} -->`;
}

/** Pure: the comment body as posted, the marker first so it survives edits to the rest. */
export function renderStickyComment(marker: string, body: string): string {
  return `${stickyMarker(marker)}\n${body}`;
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
 * when it exists. An identical body sends nothing, so reruns do not notify anyone.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  issueNumber: number,
  marker: string,
  body: string,
): Promise<StickyComment> {
  const { octokit, owner, repo } = client;
  const text = renderStickyComment(marker, body);
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
