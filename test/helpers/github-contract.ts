/**
 * GitHub's published REST contract, held against the GitHub stand-in (github-server.ts):
 * the OpenAPI description of api.github.com in `@octokit/openapi` (dereferenced, so every
 * schema is inline). For each request the stand-in serves, the operation is found by
 * method and path template; its path and query parameters and its JSON body are checked
 * against the operation's parameters and request body, and the stand-in's answer against
 * the response schema declared for its status. What does not match is a violation, which
 * the server reports when it stops (so the test that caused it fails).
 *
 * The description's index and compiled schemas are github-contract-schemas.ts.
 */
import type { ErrorObject } from "ajv";
import {
  allOperations,
  parametersValidator,
  requestValidator,
  responseValidator,
  type Json,
  type Operation,
} from "./github-contract-schemas.ts";

export type { Operation } from "./github-contract-schemas.ts";

/** A request as the stand-in received it, its path relative to the API or uploads root. */
export interface ContractRequest {
  method: string;
  /** The path as sent (still percent-encoded), without the API or uploads root. */
  path: string;
  upload: boolean;
  query: URLSearchParams;
  contentType: string | undefined;
  /** Parsed JSON, or the raw bytes of a non-JSON body. */
  body: unknown;
}

/**
 * Statuses GitHub answers on any operation whether or not its description lists them: bad
 * credentials, a token without the permission, not found, and a busy or failing front end.
 */
const ANY_OPERATION = new Set([401, 403, 404, 502, 503, 504]);

/** The operation a request is, preferring the most literal template (`releases/latest` over `{id}`). */
export function findOperation(
  method: string,
  path: string,
  upload: boolean,
): { op: Operation; params: Record<string, string> } | undefined {
  let best: { op: Operation; params: Record<string, string> } | undefined;
  for (const op of allOperations()) {
    if (op.method !== method || op.upload !== upload) continue;
    const m = path.match(op.pattern);
    if (!m || (best && best.op.literals >= op.literals)) continue;
    const params = Object.fromEntries(op.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    best = { op, params };
  }
  return best;
}

/** Ajv's errors in a few lines, array indices folded so one error per item reads once. */
function describe(errors: ErrorObject[] | null | undefined): string[] {
  const lines = (errors ?? []).map((e) => {
    const at = e.instancePath.replace(/\/\d+(?=\/|$)/g, "/*") || "(root)";
    const extra = e.keyword === "additionalProperties" ? ` (${e.params.additionalProperty})` : "";
    return `${at}: ${e.message ?? e.keyword}${extra}`;
  });
  return [...new Set(lines)].filter((l) => !/must match a schema in anyOf$/.test(l)).slice(0, 12);
}

/** Violations of the operation's parameters and request body; empty when the request matches. */
export function checkRequest(
  req: ContractRequest,
  found: NonNullable<ReturnType<typeof findOperation>>,
): string[] {
  const { op, params } = found;
  const problems: string[] = [];
  for (const where of ["path", "query"] as const) {
    const values = where === "path" ? { ...params } : Object.fromEntries(req.query.entries());
    const v = parametersValidator(op, where);
    if (!v(values)) problems.push(...describe(v.errors).map((l) => `${where} ${l}`));
  }
  const content = (op.requestBody?.content ?? {}) as Record<string, Json>;
  const json = requestValidator(op);
  if (json && req.body !== undefined && !Buffer.isBuffer(req.body)) {
    if (!json(req.body)) problems.push(...describe(json.errors).map((l) => `body ${l}`));
  } else if (op.requestBody?.required && req.body === undefined) {
    problems.push("body: missing (the operation requires one)");
  } else if (op.requestBody?.required && !json) {
    const type = (req.contentType ?? "").split(";")[0]!.trim();
    if (!Object.keys(content).includes(type))
      problems.push(`body content-type "${type}" is not one of ${Object.keys(content).join(", ")}`);
  }
  return problems;
}

/** Violations of the response declared for `status`; empty when the answer matches. */
export function checkResponse(op: Operation, status: number, body: unknown): string[] {
  const declared = String(status) in op.responses ? String(status) : "default";
  if (!(declared in op.responses)) {
    if (ANY_OPERATION.has(status) && typeof (body as Json | undefined)?.message === "string")
      return [];
    return [
      `status ${status} is not a declared response (${Object.keys(op.responses).join(", ")})`,
    ];
  }
  if (!op.responses[declared]) return [];
  if (body === undefined || Buffer.isBuffer(body))
    return [`response ${status}: no JSON body, but the description declares one`];
  const v = responseValidator(op, declared);
  return v(body) ? [] : describe(v.errors).map((l) => `response ${status} ${l}`);
}

/** What the stand-in serves outside the REST description, each with the reason. */
export const OUTSIDE_THE_DESCRIPTION: { method: string; path: RegExp; reason: string }[] = [
  {
    method: "GET",
    path: /^\/download\//,
    reason:
      "a release asset's browser_download_url: bytes on the web host (github.com/<owner>/<repo>/releases/download/...), not a REST operation",
  },
  {
    method: "POST",
    path: /^\/api\/graphql$/,
    reason:
      "the GraphQL API (markPullRequestReadyForReview, convertPullRequestToDraft, viewer): not REST; its route checks the query and the node ids itself",
  },
];

/** Every request's operation and violations, kept for the server's stop(). */
export class ContractRecorder {
  readonly violations: string[] = [];
  /** The operationIds served, for coverage. */
  readonly operations = new Set<string>();

  /** Whether `path` (as sent, from the origin) is a listed exception. */
  outside(method: string, path: string): boolean {
    return OUTSIDE_THE_DESCRIPTION.some((e) => e.method === method && e.path.test(path));
  }

  /** Checks a request; its operation, or undefined (a violation unless listed as an exception). */
  request(req: ContractRequest): Operation | undefined {
    const found = findOperation(req.method, req.path, req.upload);
    const where = `${req.method} ${req.upload ? "(uploads) " : ""}${req.path}`;
    if (!found) {
      this.violations.push(`${where}: no operation in GitHub's REST description has this path`);
      return undefined;
    }
    this.operations.add(found.op.id);
    for (const v of checkRequest(req, found))
      this.violations.push(`${where} (${found.op.id}): request ${v}`);
    return found.op;
  }

  /** Checks the stand-in's answer to a request of operation `op`. */
  response(op: Operation, where: string, status: number, body: unknown): void {
    for (const v of checkResponse(op, status, body))
      this.violations.push(`${where} (${op.id}): ${v}`);
  }

  /** The violations as one error, or undefined when there are none. */
  error(): Error | undefined {
    if (!this.violations.length) return undefined;
    const list = [...new Set(this.violations)];
    return new Error(
      `the GitHub stand-in saw ${list.length} departure(s) from GitHub's REST description (@octokit/openapi):\n- ${list.join("\n- ")}\n(fix: make the stand-in answer, or the code ask, what the description says)`,
    );
  }
}
