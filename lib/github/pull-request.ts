/**
 * The promotion's pull request on GitHub (promotion.ts): the open one from the branch
 * updated, or a new one (a 422 "already exists" reconciled by finding it); its labels
 * created with their colours, added and taken off; reviewers requested, a refusal being a
 * warning rather than a failure. A draft GitHub refuses (a private repository on GitHub Free
 * or Pro) becomes a pull request that says it needs review; a rerun whose decision changed
 * makes the pull request a draft, or ready for review, through GraphQL (REST cannot); a
 * refusal to the workflow's token to open pull requests undoes the push and says which
 * setting to change (remote-branch.ts).
 */
import { isGitHubError, type GitHubClient } from "./client.ts";
import type { LabelSpec, PromotionProposal } from "./promotion.ts";
import { PullRequestsNotPermittedError } from "./remote-branch.ts";

/** What the proposal reads back of a pull request. */
export interface PullSummary {
  number: number;
  url: string;
  draft: boolean;
  labels: string[];
}

/** A pull request as REST answers it, as far as this file reads it. */
interface RestPull {
  number: number;
  node_id: string;
  title: string;
  body: string | null;
  html_url: string;
  draft?: boolean;
  labels: { name?: string }[];
}

const summarize = (pr: RestPull, draft = pr.draft === true): PullSummary => ({
  number: pr.number,
  url: pr.html_url,
  draft,
  labels: pr.labels.map((l) => l.name ?? "").filter(Boolean),
});

const DRAFT_UNSUPPORTED = /Draft pull requests are not supported/i;
const ACTIONS_MAY_NOT = /GitHub Actions is not permitted to create or approve pull requests/i;

/** The most the not-a-draft line takes at the top of a body (promotion.ts keeps it free). */
export const NOT_A_DRAFT_ROOM = 500;

/** GitHub's own words in a refusal: the message, else the first error's. */
function refusalText(err: unknown): string {
  const e = err as { message?: string; errors?: { message?: string }[] };
  const data = (err as { response?: { data?: typeof e } }).response?.data;
  const text = data?.message ?? data?.errors?.[0]?.message ?? e.errors?.[0]?.message ?? e.message;
  return String(text ?? "refused")
    .replace(/\s+/g, " ")
    .slice(0, 200);
}

/** Pure: the line at the top of a HUMAN_REVIEW pull request GitHub would not keep as a draft. */
export function notADraftLine(reason: string): string {
  return `> **Needs review before merging.** GitHub would not make this pull request a draft ("${reason}"; drafts need a public repository, or GitHub Team or Enterprise for a private one), so it is open for review instead.\n\n`;
}

const notADraftWarning = (number: number, reason: string) =>
  `pull request #${number} is open for review, not a draft: GitHub refused a draft ("${reason}"). It is titled and labelled for review, the configured reviewers are asked as for a draft, and its first line says so; nobody should merge it before a person has reviewed it (fix: a public repository, or GitHub Team or Enterprise, allows drafts)`;

/** A GraphQL refusal (errors in the answer) or an HTTP refusal of the mutation. */
const isGraphQLRefusal = (err: unknown) =>
  (err as Error | undefined)?.name === "GraphqlResponseError" ||
  [403, 404, 422].some((status) => isGitHubError(err, status));

/**
 * Makes the pull request a draft, or ready for review, with GraphQL's
 * convertPullRequestToDraft or markPullRequestReadyForReview: REST cannot change `draft`.
 */
async function setDraft(
  client: GitHubClient,
  nodeId: string,
  draft: boolean,
): Promise<{ draft: boolean } | { refused: string }> {
  const mutation = draft ? "convertPullRequestToDraft" : "markPullRequestReadyForReview";
  try {
    const out = await client.octokit.graphql<Record<string, { pullRequest: { isDraft: boolean } }>>(
      `mutation($id: ID!) { ${mutation}(input: { pullRequestId: $id }) { pullRequest { isDraft number } } }`,
      { id: nodeId },
    );
    return { draft: out[mutation]!.pullRequest.isDraft };
  } catch (err) {
    if (!isGraphQLRefusal(err)) throw err;
    return { refused: refusalText(err) };
  }
}

async function findOpenPull(client: GitHubClient, branch: string, baseBranch: string) {
  const { octokit, owner, repo } = client;
  const open = await octokit.rest.pulls.list({
    owner,
    repo,
    state: "open",
    head: `${owner}:${branch}`,
    base: baseBranch,
    per_page: 10,
  });
  return open.data[0];
}

type Upserted = { pull: PullSummary; created: boolean; warnings: string[] };

/** An open pull request brought to the proposal: draft or not, then title and body. */
async function updatePull(
  client: GitHubClient,
  p: PromotionProposal,
  existing: RestPull,
): Promise<Upserted> {
  const { octokit, owner, repo } = client;
  const warnings: string[] = [];
  let draft = existing.draft === true;
  let body = p.body;
  if (draft !== p.draft) {
    const changed = await setDraft(client, existing.node_id, p.draft);
    if ("draft" in changed) draft = changed.draft;
    else if (p.draft) {
      body = notADraftLine(changed.refused) + p.body;
      warnings.push(notADraftWarning(existing.number, changed.refused));
    } else
      warnings.push(
        `pull request #${existing.number} is still a draft: GitHub refused to mark it ready for review ("${changed.refused}") (fix: press "Ready for review" on the pull request page)`,
      );
  }
  if (existing.title === p.title && existing.body === body)
    return { pull: summarize(existing, draft), created: false, warnings };
  const updated = await octokit.rest.pulls.update({
    owner,
    repo,
    pull_number: existing.number,
    title: p.title,
    body,
  });
  return { pull: summarize(updated.data), created: false, warnings };
}

/** Opens the pull request; a draft GitHub refuses is opened for review, saying why. */
async function openPull(client: GitHubClient, p: PromotionProposal): Promise<Upserted> {
  const { octokit, owner, repo } = client;
  const create = async (draft: boolean, body: string) =>
    summarize(
      (
        await octokit.rest.pulls.create({
          owner,
          repo,
          head: p.branch,
          base: p.baseBranch,
          title: p.title,
          body,
          draft,
        })
      ).data,
    );
  try {
    return { pull: await create(p.draft, p.body), created: true, warnings: [] };
  } catch (err) {
    if (!p.draft || !isGitHubError(err, 422, DRAFT_UNSUPPORTED)) throw err;
    const reason = refusalText(err);
    const pull = await create(false, notADraftLine(reason) + p.body);
    return { pull, created: true, warnings: [notADraftWarning(pull.number, reason)] };
  }
}

/**
 * The open pull request from the branch, updated; or a new one. When GitHub refuses the
 * workflow's token a pull request, `undo` takes the push back (it says what it did) and the
 * error names the setting that allows it.
 */
export async function upsertPullRequest(
  client: GitHubClient,
  p: PromotionProposal,
  undo: () => Promise<string> = async () => "",
): Promise<Upserted> {
  const existing = await findOpenPull(client, p.branch, p.baseBranch);
  if (existing) return updatePull(client, p, existing);
  try {
    return await openPull(client, p);
  } catch (err) {
    if (isGitHubError(err, 403, ACTIONS_MAY_NOT)) {
      const undone = await undo();
      throw new PullRequestsNotPermittedError(
        `${client.owner}/${client.repo}`,
        `GitHub refused the pull request ("${refusalText(err)}") after the branch ${p.branch} was pushed${undone ? `; ${undone}` : ""}`,
        { cause: err },
      );
    }
    // A concurrent run, or our own create whose answer was lost and then retried.
    if (!isGitHubError(err, 422, /already exists/i)) throw err;
    const found = await findOpenPull(client, p.branch, p.baseBranch);
    if (!found) throw err;
    return updatePull(client, p, found);
  }
}

/** Creates missing labels (with their colours), adds them, and removes `remove` ones. */
export async function applyLabels(
  client: GitHubClient,
  number: number,
  labels: (string | LabelSpec)[],
  remove: string[],
  current: string[],
): Promise<void> {
  const { octokit, owner, repo } = client;
  const specs = labels.map((l) => (typeof l === "string" ? { name: l } : l));
  for (const spec of specs) {
    const exists = await octokit.rest.issues.getLabel({ owner, repo, name: spec.name }).then(
      () => true,
      (err: unknown) => {
        if (isGitHubError(err, 404)) return false;
        throw err;
      },
    );
    if (exists) continue;
    await octokit.rest.issues
      .createLabel({
        owner,
        repo,
        name: spec.name,
        color: spec.color ?? "ededed",
        ...(spec.description ? { description: spec.description } : {}),
      })
      .catch((err: unknown) => {
        if (!isGitHubError(err, 422, /already_exists/)) throw err;
      });
  }
  const missing = specs
    .map((s) => s.name)
    .filter((n) => !current.some((c) => c.toLowerCase() === n.toLowerCase()));
  if (missing.length)
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: missing });
  const wanted = new Set(specs.map((s) => s.name.toLowerCase()));
  for (const name of remove) {
    if (
      wanted.has(name.toLowerCase()) ||
      !current.some((c) => c.toLowerCase() === name.toLowerCase())
    )
      continue;
    await octokit.rest.issues
      .removeLabel({ owner, repo, issue_number: number, name })
      .catch((err: unknown) => {
        if (!isGitHubError(err, 404)) throw err;
      });
  }
}

/**
 * Requests reviews from users and `org/team` teams. A refusal (not a collaborator, the
 * author) is a warning: the pull request exists and is labelled, so a person still sees it.
 */
export async function requestReviewers(
  client: GitHubClient,
  number: number,
  reviewers: string[],
): Promise<string[]> {
  const { octokit, owner, repo } = client;
  const names = reviewers.map((r) => r.replace(/^@/, ""));
  const teams = names.filter((r) => r.includes("/")).map((r) => r.slice(r.indexOf("/") + 1));
  const users = names.filter((r) => !r.includes("/"));
  try {
    await octokit.rest.pulls.requestReviewers({
      owner,
      repo,
      pull_number: number,
      reviewers: users,
      team_reviewers: teams,
    });
    return [];
  } catch (err) {
    if (!isGitHubError(err, 422)) throw err;
    return [
      `could not request reviews from ${reviewers.join(", ")} on pull request #${number}: ${(err as Error).message} (fix: the configured reviewers must be collaborators, not the token's own account)`,
    ];
  }
}
