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
 * `failNext` injects faults (502, rate limits, ...) before, or after, a request is applied.
 * The API root is `<origin>/api/v3`, as on GitHub Enterprise Server, so code that
 * assumes api.github.com's root paths fails here.
 *
 * The endpoints are github-routes.ts; the state they keep is github-state.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GitRefusal, GitStore } from "./github-git-store.ts";
import type { Reply, Route } from "./github-route-kit.ts";
import { routes } from "./github-routes.ts";
import type { ServerState } from "./github-state.ts";

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
  failNext(method: string, path: RegExp, fault: Fault): void;
  stop(): Promise<void>;
}

const API = "/api/v3";
const UPLOADS = "/api/uploads";

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
  let id = 1000;
  const state: ServerState = {
    owner,
    repo,
    login: options.login ?? "mango-mlops[bot]",
    defaultBranch: options.defaultBranch ?? "main",
    collaborators: new Set(options.collaborators ?? ["alice", "bob"]),
    origin: "",
    issues: [],
    comments: new Map(),
    labels: new Map(),
    releases: [],
    nextId: () => ++id,
  };
  git.commitFiles(state.defaultBranch, { "README.md": "# mango-mlops\n" }, "Initial commit");
  const faults: { method: string; path: RegExp; fault: Fault; left: number }[] = [];
  const requests: SeenRequest[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
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
    const download = path.match(
      /^\/download\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/(.+)$/,
    );
    if (method === "GET" && download) {
      // browser_download_url: public in a public repository, so no token needed.
      const asset = state.releases
        .find((r) => r.tag_name === download[3])
        ?.assets.find((a) => a.name === download[4]);
      return send(
        res,
        asset
          ? { status: 200, body: asset.bytes }
          : { status: 404, body: { message: "Not Found" } },
        path,
        method,
      );
    }
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${token}` && auth !== `Bearer ${token}` && auth !== `bearer ${token}`) {
      return send(
        res,
        {
          status: 401,
          body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" },
        },
        path,
        method,
      );
    }
    const fault = faults.find((f) => f.left > 0 && f.method === method && f.path.test(path));
    if (fault) fault.left -= 1;
    const faultReply: Reply | undefined = fault && {
      status: fault.fault.status,
      headers: fault.fault.headers,
      body: fault.fault.body ?? { message: "Server Error" },
    };
    if (faultReply && !fault?.fault.afterApply) return send(res, faultReply, path, method);

    const root = path.startsWith(`${API}/`)
      ? API
      : path.startsWith(`${UPLOADS}/`)
        ? UPLOADS
        : undefined;
    const route = root && findRoute(method, path.slice(root.length), root === UPLOADS);
    let reply: Reply;
    if (!route || route.params.owner !== owner || route.params.repo !== repo) {
      reply = {
        status: 404,
        body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
      };
    } else {
      let body: unknown = raw;
      if (!route.route.raw) {
        try {
          body = raw.length ? JSON.parse(raw.toString("utf8")) : {};
        } catch {
          return send(
            res,
            { status: 400, body: { message: "Problems parsing JSON" } },
            path,
            method,
          );
        }
      }
      try {
        reply = route.route.handle({
          state,
          git,
          params: route.params,
          query: url.searchParams,
          body: body as never,
          headers: req.headers,
          url,
        });
      } catch (err) {
        if (!(err instanceof GitRefusal)) throw err;
        reply = {
          status: err.status,
          body: { message: err.message, documentation_url: "https://docs.github.com/rest" },
        };
      }
    }
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
    failNext(method, path, fault) {
      faults.push({ method: method.toUpperCase(), path, fault, left: fault.times ?? 1 });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
