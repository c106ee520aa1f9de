/**
 * The GitHub stand-in's GraphQL endpoint (POST /api/graphql on a GHES-style root), for what
 * REST cannot do: `markPullRequestReadyForReview` and `convertPullRequestToDraft` on a pull
 * request named by its node id, and `viewer { login }`. The query must name the operation
 * and take `pullRequestId` in its input, inline or as a variable; an unknown node id, a
 * query it does not know, or a draft where drafts are not supported answers with GraphQL's
 * `errors`, as GitHub does (HTTP 200).
 */
import { pullNodeId, type Reply } from "./github-route-kit.ts";
import type { ServerState } from "./github-state.ts";

/** GitHub's message when a repository's plan has no draft pull requests. */
export const DRAFT_UNSUPPORTED = "Draft pull requests are not supported in this repository.";

const MUTATIONS = {
  markPullRequestReadyForReview: false,
  convertPullRequestToDraft: true,
} as const;

const failure = (message: string, type: string, path?: string): Reply => ({
  status: 200,
  body: {
    ...(path ? { data: { [path]: null } } : {}),
    errors: [{ type, message, ...(path ? { path: [path] } : {}), locations: [] }],
  },
});

/** The `pullRequestId` of `mutation`'s input: inline, or the variable it names. */
function pullRequestId(
  query: string,
  mutation: string,
  variables: Record<string, unknown>,
): string | undefined {
  const m = query.match(
    new RegExp(
      `${mutation}\\s*\\(\\s*input\\s*:\\s*\\{\\s*pullRequestId\\s*:\\s*(\\$\\w+|"[^"]*")`,
    ),
  );
  if (!m) return undefined;
  const ref = m[1]!;
  const value = ref.startsWith("$") ? variables[ref.slice(1)] : ref.slice(1, -1);
  return typeof value === "string" ? value : undefined;
}

/** Answers one GraphQL request. */
export function answerGraphQL(s: ServerState, body: unknown): Reply {
  const { query, variables = {} } = (body ?? {}) as {
    query?: unknown;
    variables?: Record<string, unknown>;
  };
  if (typeof query !== "string")
    return {
      status: 400,
      body: { message: "A query attribute must be specified and must be a string." },
    };
  for (const [mutation, draft] of Object.entries(MUTATIONS)) {
    if (!new RegExp(`\\bmutation\\b[\\s\\S]*\\b${mutation}\\b`).test(query)) continue;
    s.graphql.push(mutation);
    const id = pullRequestId(query, mutation, variables);
    if (id === undefined)
      return failure(
        `Argument 'input' on Field '${mutation}' has an invalid value: pullRequestId is required.`,
        "argumentLiteralsIncompatible",
      );
    const pr = s.issues.find((i) => i.pull && pullNodeId(s, i) === id);
    if (!pr)
      return failure(
        `Could not resolve to a node with the global id of '${id}'.`,
        "NOT_FOUND",
        mutation,
      );
    if (draft && s.refusals.draftUnsupported)
      return failure(DRAFT_UNSUPPORTED, "UNPROCESSABLE", mutation);
    if (pr.state !== "open") return failure("Pull request is closed.", "UNPROCESSABLE", mutation);
    pr.pull!.draft = draft;
    pr.updated_at = new Date().toISOString();
    return {
      status: 200,
      body: { data: { [mutation]: { pullRequest: { isDraft: draft, number: pr.number, id } } } },
    };
  }
  if (/\bviewer\s*\{\s*login\b/.test(query)) {
    s.graphql.push("viewer");
    return { status: 200, body: { data: { viewer: { login: s.login } } } };
  }
  return failure(
    "This stand-in answers only markPullRequestReadyForReview, convertPullRequestToDraft and viewer { login }.",
    "UNKNOWN_QUERY",
  );
}
