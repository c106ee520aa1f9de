/**
 * Local receivers for alert channels, all on 127.0.0.1 with a free port: a webhook server
 * recording Slack/Teams POSTs (with scripted failures), a real SMTP server (smtp-server)
 * recording parsed messages, and a minimal GitHub REST stand-in for issues and comments.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

async function listen(server: Server | SMTPServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const net = server instanceof SMTPServer ? server.server : server;
  return (net.address() as AddressInfo).port;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** One recorded webhook POST. */
export interface WebhookRequest {
  path: string;
  contentType: string | undefined;
  json: unknown;
}

/** A webhook receiver; `fail(path, ...statuses)` makes the next POSTs to a path answer those statuses. */
export async function startWebhookReceiver() {
  const requests: WebhookRequest[] = [];
  const scripted = new Map<string, number[]>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? "/";
    requests.push({ path, contentType: req.headers["content-type"], json: JSON.parse(body) });
    const status = scripted.get(path)?.shift() ?? 200;
    res
      .writeHead(status, { "content-type": "text/plain" })
      .end(status === 200 ? "ok" : "service_unavailable");
  });
  const port = await listen(server);
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    fail: (path: string, ...statuses: number[]) => void scripted.set(path, statuses),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One message the SMTP server accepted, parsed. */
export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
}

function decodeQp(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

function decodeWords(s: string): string {
  return s.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_, enc: string, data: string) =>
    enc.toUpperCase() === "B"
      ? Buffer.from(data, "base64").toString("utf8")
      : decodeQp(data.replace(/_/g, " ")),
  );
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return headers;
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  return {
    headers: parseHeaders(raw.slice(0, at)),
    body: raw.slice(at).replace(/^\r?\n\r?\n/, ""),
  };
}

function decodeBody(part: { headers: Map<string, string>; body: string }): string {
  const cte = part.headers.get("content-transfer-encoding")?.toLowerCase();
  if (cte === "quoted-printable") return decodeQp(part.body);
  if (cte === "base64") return Buffer.from(part.body, "base64").toString("utf8");
  return part.body;
}

/** Parses a MIME message as nodemailer writes it: one text part, or multipart/alternative text + html. */
export function parseMail(
  raw: string,
): Pick<ReceivedMail, "headers" | "subject" | "text" | "html"> {
  const top = splitPart(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(top.headers.get("content-type") ?? "")?.[1];
  const parts = boundary
    ? top.body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((p) => splitPart(p.replace(/^\r?\n/, "")))
    : [top];
  const find = (type: string) => parts.find((p) => p.headers.get("content-type")?.startsWith(type));
  const text = find("text/plain");
  const html = find("text/html");
  return {
    headers: top.headers,
    subject: decodeWords(top.headers.get("subject") ?? ""),
    text: text ? decodeBody(text).replace(/\r\n/g, "\n") : "",
    html: html ? decodeBody(html).replace(/\r\n/g, "\n") : "",
  };
}

/** A real SMTP server without TLS that accepts any login and records what it receives. */
export async function startSmtpReceiver() {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === "string" ? session.user : undefined,
          ...parseMail(Buffer.concat(chunks).toString("utf8")),
        });
        callback();
      });
    },
  });
  const port = await listen(server);
  return { port, mails, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An issue as the stand-in keeps it. */
export interface StoredIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: "open" | "closed";
  comments: string[];
}

/** Just enough of GitHub's issues API for the github_issue channel, reached through a real Octokit. */
export async function startIssuesStandIn(owner: string, repo: string) {
  const issues: StoredIssue[] = [];
  const calls: string[] = [];
  let base = "";
  const issueJson = (i: StoredIssue) => ({
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name) => ({ name })),
    html_url: `${base}/${owner}/${repo}/issues/${i.number}`,
  });
  const send = (res: ServerResponse, status: number, json: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const body = req.method === "POST" ? JSON.parse(await readBody(req)) : {};
    calls.push(`${req.method} ${url.pathname}`);
    const prefix = `/repos/${owner}/${repo}/issues`;
    if (url.pathname === prefix && req.method === "GET") {
      const label = url.searchParams.get("labels");
      const state = url.searchParams.get("state") ?? "open";
      return send(
        res,
        200,
        issues
          .filter((i) => i.state === state && (!label || i.labels.includes(label)))
          .map(issueJson),
      );
    }
    if (url.pathname === prefix && req.method === "POST") {
      const issue: StoredIssue = {
        number: issues.length + 1,
        title: body.title,
        body: body.body ?? "",
        labels: body.labels ?? [],
        state: "open",
        comments: [],
      };
      issues.push(issue);
      return send(res, 201, issueJson(issue));
    }
    const comment = new RegExp(`^${prefix}/(\\d+)/comments$`).exec(url.pathname);
    const target = comment && issues.find((i) => i.number === Number(comment[1]));
    if (target && req.method === "POST") {
      target.comments.push(body.body);
      return send(res, 201, {
        id: target.comments.length,
        body: body.body,
        html_url: `${base}/${owner}/${repo}/issues/${target.number}#issuecomment-${target.comments.length}`,
      });
    }
    return send(res, 404, { message: "Not Found" });
  });
  const port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  return {
    baseUrl: base,
    issues,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
