/**
 * The channel notifier wired to the local receivers (notify-receivers.ts): a webhook server
 * for Slack and Teams, a real SMTP server and the GitHub issues stand-in, with a run folder
 * for the file channel. `notifier()` builds one on all four channels and records its log
 * lines, the secrets it masked and the backoffs it slept.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import type { Notifier } from "../../graph/services.ts";
import {
  createChannelNotifier,
  createFileNotifier,
  type ChannelNotifierOptions,
  NotifySettingsSchema,
} from "../../lib/notify/index.ts";
import { startIssuesStandIn, startSmtpReceiver, startWebhookReceiver } from "./notify-receivers.ts";

/** The webhook paths; each holds a secret-looking part that must never reach a log line. */
export const SLACK_PATH = "/services/T000/B000/sl4ck-s3cret-token";
export const TEAMS_PATH = "/workflows/teams-s3cret-sig?sig=abc123";

/** The receivers, a run folder, and a notifier factory over them. */
export async function startNotifyRig() {
  const [webhooks, smtp, github] = await Promise.all([
    startWebhookReceiver(),
    startSmtpReceiver(),
    startIssuesStandIn("acme", "mango"),
  ]);
  const runDir = await mkdtemp(join(tmpdir(), "notify-"));

  function notifier(overrides: Partial<ChannelNotifierOptions> = {}, env: NodeJS.ProcessEnv = {}) {
    const lines: string[] = [];
    const secrets: string[] = [];
    const sleeps: number[] = [];
    const log = (m: string) => lines.push(m);
    const built = createChannelNotifier({
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
    const asGraphNotifier: Notifier = built;
    return { notifier: asGraphNotifier, lines, secrets, sleeps };
  }

  return {
    webhooks,
    smtp,
    github,
    runDir,
    notifier,
    /** The POSTs one webhook path received, oldest first. */
    posted: (path: string) => webhooks.requests.filter((r) => r.path === path),
    stop: () =>
      Promise.all([
        webhooks.stop(),
        smtp.stop(),
        github.stop(),
        rm(runDir, { recursive: true, force: true }),
      ]).then(() => undefined),
  };
}

export type NotifyRig = Awaited<ReturnType<typeof startNotifyRig>>;

/** A port nothing listens on: one the OS just handed out and took back. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
