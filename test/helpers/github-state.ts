/**
 * What the GitHub stand-in (github-server.ts) keeps besides git objects: issues and pull
 * requests (sharing numbers, as on GitHub), comments, labels and releases with their
 * assets' bytes. The routes read and change it; tests assert on it.
 */

/** Everything the routes read and change besides git objects. */
export interface ServerState {
  owner: string;
  repo: string;
  login: string;
  defaultBranch: string;
  collaborators: Set<string>;
  origin: string;
  issues: Issue[];
  comments: Map<number, Comment>;
  labels: Map<string, Label>;
  releases: Release[];
  nextId: () => number;
}

/** An issue or, with `pull`, a pull request (they share numbers, as on GitHub). */
export interface Issue {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  labels: string[];
  user: string;
  created_at: string;
  updated_at: string;
  pull?: {
    head: string;
    base: string;
    draft: boolean;
    merged: boolean;
    merge_commit_sha: string | null;
    head_sha_at_close: string | null;
    requested_reviewers: string[];
    requested_teams: string[];
  };
}

/** An issue comment. */
export interface Comment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

/** A repository label. */
export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

/** A release and its assets' bytes. */
export interface Release {
  id: number;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  created_at: string;
  assets: {
    id: number;
    name: string;
    label: string | null;
    content_type: string;
    bytes: Buffer;
    created_at: string;
  }[];
}
