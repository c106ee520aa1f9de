/**
 * A stateful stand-in for GitHub's REST API on 127.0.0.1 (node:http), for integration
 * tests that drive the real Octokit. It keeps refs, commits, trees, blobs, contents,
 * pull requests, issues, comments, labels, requested reviewers, releases and release
 * assets (on an uploads path, as uploads.github.com is a separate host), and answers
 * with GitHub's shapes, status codes and error messages: 404 for unknown things, 422
 * "Validation Failed" / "Reference already exists" for duplicates, 405 for unmergeable
 * pull requests, Link headers for paging. Only the endpoints the project uses exist;
 * anything else is a 404, so a new call shows up as a failing test, not a silent pass.
 *
 * Every request and every answer is held to GitHub's published REST description
 * (github-contract.ts): a departure is recorded and `stop()` throws it, so the test that
 * caused it fails. GraphQL (POST /api/graphql) answers what REST cannot do
 * (github-graphql.ts). Refusals that depend on the plan or settings (a draft on GitHub
 * Free, the workflow's token refused a pull request, an upload cut off) are switched on
 * through `refusals`, the login and `state`.
 *
 * `failNext` injects faults (502, rate limits, ...) before, or after, a request is applied.
 * The API root is `<origin>/api/v3`, as on GitHub Enterprise Server, so code that
 * assumes api.github.com's root paths fails here.
 *
 * The endpoints are github-routes.ts; the state they keep is github-state.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ContractRecorder } from "./github-contract.ts";
import { GitRefusal, GitStore } from "./github-git-store.ts";
import { answerGraphQL } from "./github-graphql.ts";
import { refusal, type Reply, type Route } from "./github-route-kit.ts";
import { download } from "./github-routes-releases.ts";
import { routes } from "./github-routes.ts";
import { newState, type Refusals, type ServerState } from "./github-state.ts";

/** A fault to answer instead of (or after) handling matching requests. */
export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** Apply the request first, then answer with the fault: a lost response. */
  afterApply?: boolean;
}

/** One request the server saw, for assertions about what was (not) sent. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
}

/** Options of the stand-in. */
export interface GitHubServerOptions {
  owner?: string;
  repo?: string;
  token?: string;
  defaultBranch?: string;
  /** The login the token belongs to: author of pull requests and comments. */
  login?: string;
  /** Users reviews may be requested from. */
  collaborators?: string[];
  /** Refusals real GitHub gives that are off by default (see `Refusals`). */
  refusals?: Refusals;
}

/** A running stand-in and handles on its state. */
export interface RunningGitHubServer {
  /** The API root to pass as Octokit's `baseUrl`. */
  baseUrl: string;
  origin: string;
  owner: string;
  repo: string;
  token: string;
  git: GitStore;
  state: ServerState;
  requests: SeenRequest[];
  /** Departures from GitHub's REST description seen so far (stop() throws on any). */
  violations: string[];
  /** The REST operations (operationIds) served. */
  operations: Set<string>;
  failNext(method: string, path: RegExp, fault: Fault): void;
  /** Stops the server; rejects when a request or answer departed from GitHub's description. */
  stop(): Promise<void>;
}

const API = "/api/v3";
const UPLOADS = "/api/uploads";
/** Where Octokit sends GraphQL when the REST root is `/api/v3` (as on GHES). */
const GRAPHQL = "/api/graphql";

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the stand-in on 127.0.0.1 with an initial commit on the default branch. */
export async function startGitHubServer(
  options: GitHubServerOptions = {},
): Promise<RunningGitHubServer> {
  const owner = options.owner ?? "mango-farms";
  const repo = options.repo ?? "mango-mlops";
  const token = options.token ?? "test-token";
  const git = new GitStore();
  const state = newState({ owner, repo, ...options });
  git.commitFiles(state.defaultBranch, { "README.md": "# mango-mlops\n" }, "Initial commit");
  const faults: { method: string; path: RegExp; fault: Fault; left: number }[] = [];
  const requests: SeenRequest[] = [];
  const contract = new ContractRecorder();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      contract.violations.push(`stand-in error on ${req.method} ${req.url}: ${String(err)}`);
      send(res, {
        status: 500,
        body: { message: `stand-in error: ${(err as Error).stack ?? String(err)}` },
      });
    });
  });

  function send(res: ServerResponse, reply: Reply, path = "?", method = "?"): void {
    requests.push({ method, path, status: reply.status });
    const headers: Record<string, string> = {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-github-request-id": `REQ-${requests.length}`,
      ...reply.headers,
    };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
    } else if (Buffer.isBuffer(reply.body)) {
      res
        .writeHead(reply.status, { "content-type": "application/octet-stream", ...headers })
        .end(reply.body);
    } else {
      res
        .writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...headers })
        .end(JSON.stringify(reply.body));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", state.origin);
    const method = req.method ?? "GET";
    // Octokit URL-encodes path parameters (`heads%2Fmain`, `models%2Fx.json`).
    const path = decodeURIComponent(url.pathname);
    const raw = await readBody(req);
    if (method === "GET" && path.startsWith("/download/")) {
      // browser_download_url: public in a public repository, so no token needed.
      return send(res, download(state, path), path, method);
    }
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${token}` && auth !== `Bearer ${token}` && auth !== `bearer ${token}`)
      return send(res, refusal(401, "Bad credentials"), path, method);
    const root = [API, UPLOADS].find((r) => url.pathname.startsWith(`${r}/`));
    const route = root && findRoute(method, path.slice(root.length), root === UPLOADS);
    const graphql = method === "POST" && url.pathname === GRAPHQL;
    let body: unknown = raw;
    if (!(route && route.route.raw) && root !== UPLOADS) {
      try {
        body = raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
      } catch {
        return send(res, { status: 400, body: { message: "Problems parsing JSON" } }, path, method);
      }
    }
    const op =
      root && !contract.outside(method, url.pathname)
        ? contract.request({
            method,
            path: url.pathname.slice(root.length),
            upload: root === UPLOADS,
            query: url.searchParams,
            contentType: req.headers["content-type"],
            body,
          })
        : undefined;
    const fault = faults.find((f) => f.left > 0 && f.method === method && f.path.test(path));
    if (fault) fault.left -= 1;
    const faultReply: Reply | undefined = fault && {
      status: fault.fault.status,
      headers: fault.fault.headers,
      body: fault.fault.body ?? { message: "Server Error" },
    };
    if (faultReply && !fault?.fault.afterApply) return send(res, faultReply, path, method);

    let reply: Reply;
    if (graphql) {
      reply = answerGraphQL(state, body);
    } else if (!route || route.params.owner !== owner || route.params.repo !== repo) {
      reply = refusal(404, "Not Found");
    } else {
      try {
        reply = route.route.handle({
          state,
          git,
          params: route.params,
          query: url.searchParams,
          body: (body ?? {}) as never,
          headers: req.headers,
          url,
        });
      } catch (err) {
        if (!(err instanceof GitRefusal)) throw err;
        reply = refusal(err.status, err.message);
      }
    }
    // The stand-in's answer is held to the description, also when a fault replaces it.
    if (op) contract.response(op, `${method} ${url.pathname}`, reply.status, reply.body);
    send(res, faultReply ?? reply, path, method);
  }

  function findRoute(
    method: string,
    path: string,
    upload: boolean,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of routes) {
      if (route.method !== method || Boolean(route.upload) !== upload) continue;
      const m = path.match(route.pattern);
      if (m) return { route, params: m.groups ?? {} };
    }
    return undefined;
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${state.origin}${API}`,
    origin: state.origin,
    owner,
    repo,
    token,
    git,
    state,
    requests,
    violations: contract.violations,
    operations: contract.operations,
    failNext(method, path, fault) {
      faults.push({ method: method.toUpperCase(), path, fault, left: fault.times ?? 1 });
    },
    async stop() {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      const departures = contract.error();
      if (departures) throw departures;
    },
  };
}
