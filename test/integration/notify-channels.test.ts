/**
 * The channel notifier against real local receivers: a webhook server for Slack and Teams,
 * a real SMTP server, and a GitHub issues stand-in reached through the Octokit of
 * @actions/github. A rejected candidate reaches all four; a 500 is retried; a channel that
 * is down does not stop the others; the webhook URL never shows in a log line or a ref.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notifier } from "../../graph/services.ts";
import { createFileNotifier } from "../../lib/notify/index.ts";
import {
  type AlertInput,
  createChannelNotifier,
  type ChannelNotifierOptions,
  HttpStatusError,
  NotifySettingsSchema,
  parseRetryAfter,
  withRetry,
} from "../../lib/notify/index.ts";
import {
  startIssuesStandIn,
  startSmtpReceiver,
  startWebhookReceiver,
} from "../helpers/notify-receivers.ts";

const SLACK_PATH = "/services/T000/B000/sl4ck-s3cret-token";
const TEAMS_PATH = "/workflows/teams-s3cret-sig?sig=abc123";

const rejected: AlertInput = {
  runId: "run-7",
  severity: "error",
  title: "mango-ripeness v3 rejected",
  body: [
    "What happened: the candidate trained on data-manifests/farm-b.json was judged against production v2 and rejected.",
    "Why: maduro F1 fell 6.0 points (allowed 0.0).",
    "Evidence: accuracy 91.0% -> 88.5%.",
    "Next step: look at the data in data-manifests/farm-b.json and push a corrected manifest; production is unchanged.",
  ].join("\n"),
};

let webhooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let github: Awaited<ReturnType<typeof startIssuesStandIn>>;
let runDir: string;

beforeAll(async () => {
  [webhooks, smtp, github] = await Promise.all([
    startWebhookReceiver(),
    startSmtpReceiver(),
    startIssuesStandIn("acme", "mango"),
  ]);
  runDir = await mkdtemp(join(tmpdir(), "notify-"));
});
afterAll(async () => {
  await Promise.all([
    webhooks.stop(),
    smtp.stop(),
    github.stop(),
    rm(runDir, { recursive: true, force: true }),
  ]);
});

/** A notifier on all four channels, with its log lines, masked secrets and a sleep that only records. */
function setup(overrides: Partial<ChannelNotifierOptions> = {}, env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const secrets: string[] = [];
  const sleeps: number[] = [];
  const log = (m: string) => lines.push(m);
  const notifier = createChannelNotifier({
    config: NotifySettingsSchema.parse({
      slack: {},
      teams: { webhook_url_env: "TEAMS_URL" },
      email: {
        smtp_host: "127.0.0.1",
        smtp_port: smtp.port,
        from: "MLOps <mlops@acme.org>",
        to: ["grower-ops@acme.org"],
        user_env: "SMTP_USER",
        password_env: "SMTP_PASS",
      },
      github_issue: { labels: ["mlops-alert", "model"] },
      retries: 2,
    }),
    env: {
      MLOPS_SLACK_WEBHOOK_URL: webhooks.url(SLACK_PATH),
      TEAMS_URL: webhooks.url(TEAMS_PATH),
      SMTP_USER: "mlops-bot",
      SMTP_PASS: "smtp-pa55word",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "acme/mango",
      GITHUB_RUN_ID: "99",
      ...env,
    },
    octokit: getOctokit("test-token", { baseUrl: github.baseUrl }),
    repo: { owner: "acme", repo: "mango" },
    log,
    setSecret: (s) => secrets.push(s),
    file: createFileNotifier(log),
    sleep: async (ms) => void sleeps.push(ms),
    ...overrides,
  });
  // It must fit where the graph takes a notifier.
  const asGraphNotifier: Notifier = notifier;
  return { notifier: asGraphNotifier, lines, secrets, sleeps };
}

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const posted = (path: string) => webhooks.requests.filter((r) => r.path === path);

describe("channel notifier", () => {
  it("a rejected candidate produces an issue, a Slack message, a Teams card and an email", async () => {
    const { notifier, lines, secrets } = setup();
    const refs = await notifier.notify(rejected, runDir);

    expect(refs.map((r) => r.channel)).toEqual(["file", "slack", "teams", "email", "github_issue"]);
    expect(refs.find((r) => r.channel === "slack")!.location).toBe("slack webhook");
    expect(refs.find((r) => r.channel === "github_issue")!.location).toBe(
      `${github.baseUrl}/acme/mango/issues/1`,
    );
    expect(await readFile(join(runDir, "alert.md"), "utf8")).toMatch(
      /^# mango-ripeness v3 rejected/,
    );

    const [slack] = posted(SLACK_PATH);
    expect(slack!.contentType).toMatch(/^application\/json/);
    const slackJson = slack!.json as {
      text: string;
      blocks: Array<{ type: string; elements?: Array<{ url?: string }> }>;
    };
    expect(slackJson.blocks.map((b) => b.type)).toEqual([
      "header",
      "section",
      "section",
      "section",
      "section",
      "section",
      "actions",
      "context",
    ]);
    expect(slackJson.text).toMatch(/^mango-ripeness v3 rejected: the candidate trained/);
    expect(slackJson.blocks.find((b) => b.type === "actions")!.elements![0]!.url).toBe(
      "https://github.com/acme/mango/actions/runs/99",
    );

    const [teams] = posted(TEAMS_PATH);
    expect(teams!.contentType).toMatch(/^application\/json/);
    const card = teams!.json as {
      type: string;
      attachments: Array<{
        contentType: string;
        content: { type: string; version: string; body: Array<{ text?: string }> };
      }>;
    };
    expect(card.type).toBe("message");
    expect(card.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.attachments[0]!.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.attachments[0]!.content.body.map((b) => b.text)).toContain(
      "maduro F1 fell 6.0 points (allowed 0.0).",
    );

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({
      from: "mlops@acme.org",
      to: ["grower-ops@acme.org"],
      user: "mlops-bot",
      subject: "[mango-mlops ERROR] mango-ripeness v3 rejected",
    });
    expect(mail.headers.get("x-mango-mlops-run")).toBe("run-7");
    expect(refs.find((r) => r.channel === "email")!.location).toBe(mail.headers.get("message-id"));
    expect(mail.text).toContain("Next step:\nlook at the data in data-manifests/farm-b.json");
    expect(mail.html).toContain("<h3>Evidence</h3>\n<p>accuracy 91.0% -&gt; 88.5%.</p>");

    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]).toMatchObject({
      title: "mango-ripeness v3 rejected",
      labels: ["mlops-alert", "model"],
    });
    expect(github.issues[0]!.body).toMatch(
      /^<!-- mango-mlops-alert:mango-ripeness-v3-rejected -->\n\*\*ERROR\*\*/,
    );

    expect(secrets.sort()).toEqual(
      [webhooks.url(SLACK_PATH), webhooks.url(TEAMS_PATH), "smtp-pa55word"].sort(),
    );
    expect(lines.join("\n")).not.toMatch(/s3cret|pa55word/);
  });

  it("a rerun comments on the open issue instead of opening another", async () => {
    const { notifier } = setup();
    const refs = await notifier.notify({ ...rejected, runId: "run-8" }, runDir);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]!.comments).toHaveLength(1);
    expect(github.issues[0]!.comments[0]).toMatch(
      /^This happened again: \*\*mango-ripeness v3 rejected\*\*/,
    );
    expect(github.issues[0]!.comments[0]).not.toContain("<!-- mango-mlops-alert");
    expect(refs.find((r) => r.channel === "github_issue")!.location).toBe(
      `${github.baseUrl}/acme/mango/issues/1#issuecomment-1`,
    );
  });

  it("retries Slack after a 500, honouring the backoff", async () => {
    webhooks.fail(SLACK_PATH, 500);
    const before = posted(SLACK_PATH).length;
    const { notifier, lines, sleeps } = setup({
      config: NotifySettingsSchema.parse({ slack: {}, retries: 2 }),
    });
    const refs = await notifier.notify(rejected, runDir);
    expect(refs.map((r) => r.channel)).toEqual(["file", "slack"]);
    expect(posted(SLACK_PATH).length - before).toBe(2);
    expect(sleeps).toEqual([500]);
    expect(lines.join("\n")).toMatch(
      /alert to slack: attempt 1 failed \(Slack webhook answered 500: service_unavailable\); retrying in 500 ms/,
    );
  });

  it("a channel that is down does not stop the others, and its error carries no secret", async () => {
    const issuesBefore = github.issues[0]!.comments.length;
    const mailsBefore = smtp.mails.length;
    webhooks.fail(TEAMS_PATH, 503, 503, 503);
    const { notifier, lines, sleeps } = setup(
      {},
      {
        MLOPS_SLACK_WEBHOOK_URL: `http://127.0.0.1:${await closedPort()}/services/T/B/d0wn-s3cret`,
      },
    );
    const refs = await notifier.notify(rejected, runDir);

    expect(refs.map((r) => r.channel)).toEqual([
      "file",
      "slack (failed)",
      "teams (failed)",
      "email",
      "github_issue",
    ]);
    const slack = refs[1]!;
    expect(slack.reason).toMatch(/^Slack webhook unreachable \(ECONNREFUSED\)$/);
    expect(slack.location).toBe("slack webhook");
    expect(refs[2]!.reason).toBe("Teams webhook answered 503: service_unavailable");
    expect(sleeps).toEqual(expect.arrayContaining([500, 1000]));
    expect(smtp.mails.length).toBe(mailsBefore + 1);
    expect(github.issues[0]!.comments.length).toBe(issuesBefore + 1);

    const everything = [...lines, ...refs.map((r) => `${r.reason} ${r.location}`)].join("\n");
    expect(everything).toMatch(/warning: alert to slack failed/);
    expect(everything).not.toMatch(/s3cret|pa55word|sig=abc/);
  });

  it("a missing secret or GitHub client is a failed channel with the fix, not an exception", async () => {
    const { notifier, lines } = setup({ octokit: undefined }, { MLOPS_SLACK_WEBHOOK_URL: "" });
    const refs = await notifier.notify(rejected, runDir);
    expect(refs.find((r) => r.channel === "slack (failed)")!.reason).toMatch(
      /MLOPS_SLACK_WEBHOOK_URL is not set \(fix: /,
    );
    expect(refs.find((r) => r.channel === "github_issue (failed)")!.reason).toMatch(
      /no GitHub client/,
    );
    expect(refs.find((r) => r.channel === "teams")).toBeDefined();
    // Configuration errors are not retried.
    expect(lines.join("\n")).not.toMatch(/alert to slack: attempt/);
  });
});

describe("retry", () => {
  it("honours retry-after up to the cap, and stops on a 4xx", async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    let n = 0;
    const out = await withRetry(
      async () => {
        if (n++ < 2) throw new HttpStatusError("429", 429, n === 1 ? 2_000 : 120_000);
        return "sent";
      },
      { retries: 3, sleep, maxDelayMs: 30_000 },
    );
    expect(out).toBe("sent");
    expect(sleeps).toEqual([2_000, 30_000]);

    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpStatusError("404", 404);
        },
        { retries: 3, sleep },
      ),
    ).rejects.toThrow("404");
    expect(calls).toBe(1);
  });

  it("reads retry-after as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(
      parseRetryAfter("Wed, 01 Jan 2031 00:00:10 GMT", Date.parse("Wed, 01 Jan 2031 00:00:00 GMT")),
    ).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});
