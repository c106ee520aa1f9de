/**
 * The notifier alert_human uses: it fans an alert out to the local file channel and every
 * channel the config and the environment turn on (plan.ts) at once, retries each on its
 * own, and never throws, since one channel being down must not cost the run its other
 * alerts or its report. When built it logs which channels are on and why, and warns about
 * what is set but cannot work. Secrets are registered with `setSecret` (`core.setSecret`
 * in Actions) as soon as the notifier exists, and every error is stripped of them and of
 * URLs before it reaches a log line or an AlertRef.
 */
import { NOTIFY_ENV, type NotifySettings } from "./config.ts";
import {
  type Alert,
  type AlertLink,
  type AlertNotifier,
  type DeliveryRef,
  dedupeKeyOf,
  withLinks,
  workflowRunLink,
} from "./alert.ts";
import { createSmtpTransport, type MailTransport, renderEmail, sendEmail } from "./email.ts";
import type { FullReport } from "./fit.ts";
import { type GithubClient, openOrUpdateIssue, renderIssue } from "./github-issue.ts";
import { type ChannelPlan, describePlan, type PlannedChannel, planChannels } from "./plan.ts";
import { withRetry } from "./retry.ts";
import { postSlack, renderSlackMessage } from "./slack.ts";
import { postTeams, renderTeamsCard } from "./teams.ts";
import type { FetchLike } from "./webhook.ts";
import { runFolder } from "../run-folder.ts";

/** What the channel notifier is built from; clients are passed in so tests point them at local servers. */
export interface ChannelNotifierOptions {
  config: NotifySettings;
  /** Where secrets are read from (`process.env`). */
  env: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  /** Default: a nodemailer SMTP transport for the planned server (plan.ts) and the env's login. */
  smtpTransport?: MailTransport;
  /**
   * Needed by the github_issue channel (`getOctokit(token, { baseUrl })`), which is on by
   * default when `env` has GITHUB_ACTIONS=true and both of these are given.
   */
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
  send(alert: Alert, report: FullReport): Promise<string>;
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

/** The secrets the channels may read from the environment: the config's names and the defaults. */
export function secretsOf(config: NotifySettings, env: NodeJS.ProcessEnv): string[] {
  const names = [
    config.slack?.webhook_url_env,
    config.teams?.webhook_url_env,
    config.email?.password_env,
    NOTIFY_ENV.slackWebhookUrl,
    NOTIFY_ENV.teamsWebhookUrl,
    NOTIFY_ENV.smtpPassword,
  ];
  const values = names.flatMap((name) => (name && env[name]?.trim() ? [env[name]!] : []));
  return [...new Set(values)];
}

/**
 * The channel the plan turned on, if it did: it sends with its settings, or, when it
 * cannot work, fails each alert with the plan's reason (not retried: it is no outage).
 */
function channel<T>(
  name: string,
  target: string,
  planned: PlannedChannel<T> | undefined,
  send: (settings: T, alert: Alert, report: FullReport) => Promise<string>,
): Channel[] {
  if (!planned) return [];
  const { settings, problem } = planned;
  const fail = async (): Promise<string> => {
    throw new Error(problem);
  };
  return [{ name, target, send: settings ? (a, r) => send(settings, a, r) : fail }];
}

function channelsOf(plan: ChannelPlan, o: ChannelNotifierOptions, warn: (m: string) => void) {
  const { timeout_ms } = o.config;
  const fetchImpl = o.fetch ?? fetch;
  const mail = plan.email?.settings;
  let transport = o.smtpTransport;
  return [
    ...channel("slack", "slack webhook", plan.slack, async ({ url }, alert, report) => {
      await postSlack(url, renderSlackMessage(alert, { report }), fetchImpl, timeout_ms);
      return "slack webhook";
    }),
    ...channel("teams", "teams webhook", plan.teams, async ({ url }, alert, report) => {
      await postTeams(url, renderTeamsCard(alert, { report }), fetchImpl, timeout_ms);
      return "teams webhook";
    }),
    ...channel(
      "email",
      mail ? `smtp ${mail.smtp_host}:${mail.smtp_port}` : "smtp",
      plan.email,
      async (target, alert, report) => {
        transport ??= createSmtpTransport(target, o.env, timeout_ms);
        const envelope = { from: target.from, to: target.to };
        const sent = await sendEmail(
          transport,
          envelope,
          renderEmail(alert, { report }),
          alert.runId,
        );
        if (sent.rejected.length > 0) warn(`email: the server refused ${sent.rejected.join(", ")}`);
        return sent.messageId;
      },
    ),
    ...channel(
      "github_issue",
      o.repo ? `${o.repo.owner}/${o.repo.repo} issues` : "github issues",
      plan.github_issue,
      async ({ labels }, alert, report) => {
        // The plan turns the channel on only with both; this keeps the types honest.
        if (!o.octokit || !o.repo) throw new Error("no GitHub client or repository was given");
        const rendered = renderIssue(alert, labels, { report });
        return (await openOrUpdateIssue(o.octokit, o.repo, rendered, dedupeKeyOf(alert))).url;
      },
    ),
  ];
}

/** Where the full alert is: alert.md in the run folder, kept with the workflow run in Actions. */
function fullReportOf(alert: Alert, runDir: string, runLink: AlertLink | null): FullReport {
  return runLink
    ? {
        place: `alert.md in the run folder of ${alert.runId}, kept with the workflow run`,
        url: runLink.url,
      }
    : { place: runFolder(runDir).alert };
}

/** A Notifier (graph/services.ts) that fans out to the file channel and every configured channel. */
export function createChannelNotifier(options: ChannelNotifierOptions): AlertNotifier {
  const { config, env, log } = options;
  const warn = options.warn ?? ((m: string) => log(`warning: ${m}`));
  const secrets = secretsOf(config, env);
  for (const s of secrets) options.setSecret?.(s);
  const plan = planChannels(config, env, {
    inActions: env.GITHUB_ACTIONS === "true",
    github: Boolean(options.octokit && options.repo),
  });
  log(describePlan(plan));
  for (const warning of plan.warnings) warn(warning);
  const channels = channelsOf(plan, options, warn);
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
          const report = fullReportOf(alert, runDir, runLink);
          const location = await withRetry(() => channel.send(alert, report), {
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
