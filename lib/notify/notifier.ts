/**
 * The notifier alert_human uses when channels are configured: it fans an alert out to the
 * local file channel and every configured channel at once, retries each on its own, and
 * never throws, since one channel being down must not cost the run its other alerts or
 * its report. Secrets are registered with `setSecret` (`core.setSecret` in Actions) as
 * soon as the notifier exists, and every error is stripped of them and of URLs before it
 * reaches a log line or an AlertRef.
 */
import type { NotifySettings } from "./config.ts";
import {
  type Alert,
  type AlertNotifier,
  type DeliveryRef,
  dedupeKeyOf,
  withLinks,
  workflowRunLink,
} from "./alert.ts";
import { createSmtpTransport, type MailTransport, renderEmail, sendEmail } from "./email.ts";
import { type GithubClient, openOrUpdateIssue, renderIssue } from "./github-issue.ts";
import { withRetry } from "./retry.ts";
import { postSlack, renderSlackMessage } from "./slack.ts";
import { postTeams, renderTeamsCard } from "./teams.ts";
import type { FetchLike } from "./webhook.ts";

/** What the channel notifier is built from; clients are passed in so tests point them at local servers. */
export interface ChannelNotifierOptions {
  config: NotifySettings;
  /** Where secrets are read from (`process.env`). */
  env: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  /** Default: a nodemailer SMTP transport built from `config.email` and the env. */
  smtpTransport?: MailTransport;
  /** Needed by the github_issue channel: `getOctokit(token, { baseUrl })`. */
  octokit?: GithubClient;
  repo?: { owner: string; repo: string };
  log: (message: string) => void;
  /** Default: `log` with a "warning:" prefix; `core.warning` in Actions. */
  warn?: (message: string) => void;
  /** `core.setSecret` in Actions, so the runner masks them in any output. */
  setSecret?: (secret: string) => void;
  /** The local channel (console + alert.md): `createFileNotifier(log)` (file.ts). */
  file?: AlertNotifier;
  /** Injectable so tests of retries do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

interface Channel {
  name: string;
  /** Where it goes, said without secrets: shown when delivery fails. */
  target: string;
  send(alert: Alert): Promise<string>;
}

/** Replaces each secret, and every URL's path and query, in an error text. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      out = out.split(form).join("***");
  }
  // A webhook's path is its credential; an unknown URL in an error might be one too.
  return out.replace(/\b(https?:\/\/[^/\s"'<>]+)\/[^\s"'<>]*/g, "$1/***");
}

/** The secrets the configured channels read from the environment. */
export function secretsOf(config: NotifySettings, env: NodeJS.ProcessEnv): string[] {
  const names = [
    config.slack?.webhook_url_env,
    config.teams?.webhook_url_env,
    config.email?.password_env,
  ];
  return names.flatMap((name) => (name && env[name] ? [env[name]!] : []));
}

function channelsOf(o: ChannelNotifierOptions, warn: (m: string) => void): Channel[] {
  const { config, env } = o;
  const fetchImpl = o.fetch ?? fetch;
  const channels: Channel[] = [];
  const secret = (name: string) => {
    const value = env[name];
    if (!value)
      throw new Error(
        `${name} is not set (fix: set it in the environment, a repository secret in Actions)`,
      );
    return value;
  };
  if (config.slack) {
    const { webhook_url_env } = config.slack;
    channels.push({
      name: "slack",
      target: "slack webhook",
      send: async (alert) => (
        await postSlack(
          secret(webhook_url_env),
          renderSlackMessage(alert),
          fetchImpl,
          config.timeout_ms,
        ),
        "slack webhook"
      ),
    });
  }
  if (config.teams) {
    const { webhook_url_env } = config.teams;
    channels.push({
      name: "teams",
      target: "teams webhook",
      send: async (alert) => (
        await postTeams(
          secret(webhook_url_env),
          renderTeamsCard(alert),
          fetchImpl,
          config.timeout_ms,
        ),
        "teams webhook"
      ),
    });
  }
  if (config.email) {
    const email = config.email;
    let transport = o.smtpTransport;
    channels.push({
      name: "email",
      target: `smtp ${email.smtp_host}:${email.smtp_port}`,
      send: async (alert) => {
        transport ??= createSmtpTransport(email, env, config.timeout_ms);
        const sent = await sendEmail(
          transport,
          { from: email.from, to: email.to },
          renderEmail(alert),
          alert.runId,
        );
        if (sent.rejected.length > 0) warn(`email: the server refused ${sent.rejected.join(", ")}`);
        return sent.messageId;
      },
    });
  }
  if (config.github_issue?.enabled) {
    const { labels } = config.github_issue;
    channels.push({
      name: "github_issue",
      target: o.repo ? `${o.repo.owner}/${o.repo.repo} issues` : "github issues",
      send: async (alert) => {
        if (!o.octokit || !o.repo)
          throw new Error(
            "no GitHub client or repository was given (fix: run in Actions with GITHUB_TOKEN, or drop notify.github_issue)",
          );
        const ref = await openOrUpdateIssue(
          o.octokit,
          o.repo,
          renderIssue(alert, labels),
          dedupeKeyOf(alert),
        );
        return ref.url;
      },
    });
  }
  return channels;
}

/** A Notifier (graph/services.ts) that fans out to the file channel and every configured channel. */
export function createChannelNotifier(options: ChannelNotifierOptions): AlertNotifier {
  const { config, env, log } = options;
  const warn = options.warn ?? ((m: string) => log(`warning: ${m}`));
  const secrets = secretsOf(config, env);
  for (const s of secrets) options.setSecret?.(s);
  const channels = channelsOf(options, warn);
  const describe = (error: unknown) =>
    redact(error instanceof Error ? error.message : String(error), secrets);
  const runLink = workflowRunLink(env);

  return {
    async notify(given, runDir) {
      // Every channel, the local one included, links the run that raised the alert.
      const alert = runLink ? withLinks(given, [runLink]) : given;
      const local: Promise<DeliveryRef[]> = options.file
        ? Promise.resolve()
            .then(() => options.file!.notify(alert, runDir))
            .catch((error: unknown) => {
              warn(`alert to file failed: ${describe(error)}`);
              return [{ channel: "file (failed)", reason: describe(error), location: runDir }];
            })
        : Promise.resolve([]);
      const remote = channels.map(async (channel): Promise<DeliveryRef> => {
        try {
          const location = await withRetry(() => channel.send(alert), {
            retries: config.retries,
            sleep: options.sleep,
            onRetry: (error, attempt, delayMs) =>
              log(
                `alert to ${channel.name}: attempt ${attempt} failed (${describe(error)}); retrying in ${delayMs} ms`,
              ),
          });
          log(`alert sent to ${channel.name}: ${location}`);
          return { channel: channel.name, reason: alert.title, location };
        } catch (error) {
          warn(`alert to ${channel.name} failed: ${describe(error)}`);
          return {
            channel: `${channel.name} (failed)`,
            reason: describe(error),
            location: channel.target,
          };
        }
      });
      return [...(await local), ...(await Promise.all(remote))];
    },
  };
}
