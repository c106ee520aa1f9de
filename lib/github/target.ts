/**
 * Where deploy_to_production sends its proposal: a local git branch (the embedded default)
 * or a GitHub branch + pull request. The node builds one `PromotionRequest` and does not
 * know which; the run's environment picks the target (`GITHUB_TOKEN` + `GITHUB_REPOSITORY`,
 * as every Actions job has, select GitHub).
 */
import { commitToBranch } from "../git.ts";
import { gitHubClientFromEnv, type GitHubClient, type RetryPolicy } from "./client.ts";
import { proposePromotion, type LabelSpec } from "./promotion.ts";

/**
 * How the pull request's body points at the proposal's own files (its plots), once the
 * commit exists: on GitHub the file at that commit by URL, which renders as an image for
 * anyone who can read the repository and survives the branch's deletion after the merge;
 * on a local branch the file's path in the repository.
 */
export interface ProposalLinks {
  /** Where `path` (a repository path of the proposal's commit) is seen. */
  file(path: string): string;
  /** True when `file` gives URLs (GitHub), false for repository paths (local git). */
  hosted: boolean;
}

/** The proposal, as deploy_to_production builds it. */
export interface PromotionRequest {
  decision: "APPROVE" | "HUMAN_REVIEW";
  baseBranch: string;
  branch: string;
  files: { path: string; content: string | Buffer }[];
  commitMessage: string;
  title: string;
  /** The analysis: the pull request's body, or how to compose it from the commit's links. */
  body: string | ((links: ProposalLinks) => string);
}

/** Where the proposal went. */
export interface PromotionResult {
  target: "local-git" | "github";
  branch: string;
  commit: string;
  base: string;
  draft: boolean;
  /** The body as composed for this commit (what the pull request shows). */
  body: string;
  /** The commit's files as the body links them. */
  links: ProposalLinks;
  /** Only on GitHub. */
  pullRequest?: { number: number; url: string; created: boolean };
  warnings: string[];
}

/** A place promotions are proposed. */
export interface PromotionTarget {
  readonly kind: "local-git" | "github";
  propose(request: PromotionRequest): Promise<PromotionResult>;
}

const LABELS = {
  promotion: {
    name: "mlops:promotion",
    color: "1d76db",
    description: "model promotion proposed by mango-mlops",
  },
  APPROVE: {
    name: "mlops:approved",
    color: "0e8a16",
    description: "the analyst approved this model",
  },
  HUMAN_REVIEW: {
    name: "mlops:needs-review",
    color: "fbca04",
    description: "a person must review this model before merging",
  },
} satisfies Record<string, LabelSpec>;

/** Pure: the labels a decision puts on the pull request, and the other decision's label to take off. */
export function decisionLabels(decision: PromotionRequest["decision"]): {
  labels: LabelSpec[];
  remove: string[];
} {
  const other = decision === "APPROVE" ? LABELS.HUMAN_REVIEW : LABELS.APPROVE;
  return { labels: [LABELS.promotion, LABELS[decision]], remove: [other.name] };
}

/** The body of `request` for the commit whose files `links` point at. */
const composeBody = (request: PromotionRequest, links: ProposalLinks) =>
  typeof request.body === "function" ? request.body(links) : request.body;

/** A local branch's links: the files' repository paths, as they lie on the branch. */
export const localLinks: ProposalLinks = { file: (path) => path, hosted: false };

/**
 * The web root of the GitHub whose REST API is `apiUrl`: `https://api.github.com` ->
 * `https://github.com`, `https://api.<tenant>.ghe.com` -> `https://<tenant>.ghe.com`,
 * GitHub Enterprise Server's `https://<host>/api/v3` -> `https://<host>`.
 */
export function serverUrlOfApi(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname.startsWith("api.")) return `${url.protocol}//${url.host.slice(4)}`;
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, "").replace(/\/$/, "")}`;
}

/**
 * GitHub's links to files of `commit`: `<server>/<owner>/<repo>/blob/<commit>/<path>?raw=true`,
 * which a pull request body renders as an image for viewers of a private repository too.
 */
export function gitHubLinks(
  server: string,
  repository: { owner: string; repo: string },
  commit: string,
): ProposalLinks {
  const root = `${server.replace(/\/$/, "")}/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}`;
  const encoded = (path: string) => path.split("/").map(encodeURIComponent).join("/");
  return { file: (path) => `${root}/blob/${commit}/${encoded(path)}?raw=true`, hosted: true };
}

/** The embedded default: a commit on a local branch (see lib/git.ts); the node writes the body to a file. */
export function localGitPromotionTarget(repoDir: string): PromotionTarget {
  return {
    kind: "local-git",
    async propose(request) {
      const { commit, base } = await commitToBranch(repoDir, {
        baseRef: request.baseBranch,
        branch: request.branch,
        files: request.files,
        message: request.commitMessage,
      });
      return {
        target: "local-git",
        branch: request.branch,
        commit,
        base,
        draft: request.decision === "HUMAN_REVIEW",
        body: composeBody(request, localLinks),
        links: localLinks,
        warnings: [],
      };
    },
  };
}

/**
 * GitHub: branch, commit and pull request through the REST API; HUMAN_REVIEW is a draft
 * with reviewers requested. `serverUrl` (`GITHUB_SERVER_URL`) roots the body's links to
 * the commit's files; without it, the web root of the client's API.
 */
export function githubPromotionTarget(
  client: GitHubClient,
  options: { reviewers: string[]; serverUrl?: string },
): PromotionTarget {
  const server =
    options.serverUrl?.trim() || serverUrlOfApi(client.octokit.request.endpoint.DEFAULTS.baseUrl);
  return {
    kind: "github",
    async propose(request) {
      const { labels, remove } = decisionLabels(request.decision);
      const draft = request.decision === "HUMAN_REVIEW";
      let links: ProposalLinks = localLinks;
      const out = await proposePromotion(client, {
        baseBranch: request.baseBranch,
        branch: request.branch,
        files: request.files,
        commitMessage: request.commitMessage,
        title: request.title,
        body: "",
        composeBody: (commit) => {
          links = gitHubLinks(server, client, commit);
          return composeBody(request, links);
        },
        draft,
        labels,
        removeLabels: remove,
        reviewers: options.reviewers,
      });
      return {
        target: "github",
        branch: request.branch,
        commit: out.commit,
        base: out.base,
        draft: out.pullRequest.draft,
        body: out.body,
        links,
        pullRequest: {
          number: out.pullRequest.number,
          url: out.pullRequest.url,
          created: out.created,
        },
        warnings: out.warnings,
      };
    },
  };
}

/**
 * GitHub when `GITHUB_TOKEN` and `GITHUB_REPOSITORY` are set (`GITHUB_API_URL` for GHES,
 * api.github.com otherwise; `GITHUB_SERVER_URL` for the links to the commit's files), else
 * local git in `repoDir`. The token decides: Actions sets
 * GITHUB_REPOSITORY in every job, so a job that passes no token (CI, the demo) stays
 * local. A token without a repository is an error naming the variable.
 */
export function promotionTargetFromEnv(
  env: Record<string, string | undefined>,
  options: { repoDir: string; reviewers?: string[]; retry?: Partial<RetryPolicy> },
): PromotionTarget {
  return promotionTargetFor(gitHubClientFromEnv(env, options.retry), {
    ...options,
    serverUrl: env.GITHUB_SERVER_URL,
  });
}

/** A pull request on GitHub through `client`, or a local branch when there is none. */
export function promotionTargetFor(
  client: GitHubClient | undefined,
  options: { repoDir: string; reviewers?: string[]; serverUrl?: string },
): PromotionTarget {
  return client
    ? githubPromotionTarget(client, {
        reviewers: options.reviewers ?? [],
        ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
      })
    : localGitPromotionTarget(options.repoDir);
}
