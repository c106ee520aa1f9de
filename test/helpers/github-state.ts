/**
 * What the GitHub stand-in (github-server.ts) keeps besides git objects: issues and pull
 * requests (sharing numbers, as on GitHub), comments, labels, releases with their assets'
 * bytes, the repository's Actions setting, and the refusals a test switches on. The routes
 * read and change it; tests assert on it.
 */

/** The login GitHub gives the workflow's own token (GITHUB_TOKEN). */
export const ACTIONS_BOT = "github-actions[bot]";

/**
 * Refusals real GitHub gives that depend on the plan or on settings, off by default; a test
 * switches one on through the options or `state.refusals`.
 */
export interface Refusals {
  /**
   * A private repository on GitHub Free or Pro: POST /pulls with `draft: true` answers 422
   * "Draft pull requests are not supported in this repository.", and so does GraphQL's
   * convertPullRequestToDraft.
   */
  draftUnsupported?: boolean;
  /**
   * The Actions token (login `github-actions[bot]`) may read the repository's workflow
   * permissions. GitHub's own GITHUB_TOKEN cannot (the endpoint needs Administration read,
   * which a workflow cannot grant it): it gets 403 "Resource not accessible by integration".
   */
  actionsTokenReadsSettings?: boolean;
  /** The next this many asset uploads are cut off: stored in state `open`, answered with 502. */
  uploadsLeftOpen?: number;
}

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
  /** Settings -> Actions -> General -> Workflow permissions. */
  actions: {
    defaultWorkflowPermissions: "read" | "write";
    /** "Allow GitHub Actions to create and approve pull requests": off in new repositories. */
    canApprovePullRequestReviews: boolean;
  };
  refusals: Refusals;
  /** The GraphQL operations answered, in order (`viewer`, `markPullRequestReadyForReview`, ...). */
  graphql: string[];
  /** The repository's numeric id (in node ids and repository objects). */
  repoId: number;
  nextId: () => number;
}

/** A fresh state for `owner/repo`; `origin` is set once the server listens. */
export function newState(o: {
  owner: string;
  repo: string;
  login?: string;
  defaultBranch?: string;
  collaborators?: string[];
  refusals?: Refusals;
}): ServerState {
  let id = 1000;
  return {
    owner: o.owner,
    repo: o.repo,
    login: o.login ?? "mango-mlops[bot]",
    defaultBranch: o.defaultBranch ?? "main",
    collaborators: new Set(o.collaborators ?? ["alice", "bob"]),
    origin: "",
    issues: [],
    comments: new Map(),
    labels: new Map(),
    releases: [],
    actions: { defaultWorkflowPermissions: "read", canApprovePullRequestReviews: false },
    refusals: { ...o.refusals },
    graphql: [],
    repoId: 424242,
    nextId: () => ++id,
  };
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
    /** The head's commit when last seen (GitHub keeps it after the branch is deleted). */
    last_head_sha: string;
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
    /** `open` until the upload finishes (an interrupted upload stays `open`). */
    state: "uploaded" | "open";
    created_at: string;
  }[];
}
