/**
 * The `notify` section of `mlops.config.json` and the environment variables of the alert
 * channels. A channel is on when its section is present or its variables are set (plan.ts
 * decides); a section's fields win over the variables. Secrets (webhook URLs, the SMTP
 * password) come only from environment variables, never from the file, which is
 * committed: a secret-looking field in the file is an error that says where it belongs.
 */
import { z } from "zod";
import { noRepeats } from "../config-checks.ts";

/**
 * The variables the workflows pass: webhook URLs and the SMTP login are repository
 * secrets, the SMTP server and addresses repository variables.
 */
export const NOTIFY_ENV = {
  slackWebhookUrl: "MLOPS_SLACK_WEBHOOK_URL",
  teamsWebhookUrl: "MLOPS_TEAMS_WEBHOOK_URL",
  smtpHost: "MLOPS_SMTP_HOST",
  smtpPort: "MLOPS_SMTP_PORT",
  smtpSecure: "MLOPS_SMTP_SECURE",
  emailFrom: "MLOPS_ALERT_EMAIL_FROM",
  /** Comma-separated addresses. */
  emailTo: "MLOPS_ALERT_EMAIL_TO",
  smtpUser: "MLOPS_SMTP_USER",
  smtpPassword: "MLOPS_SMTP_PASSWORD",
} as const;

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const envName = z
  .string()
  .regex(ENV_NAME, "expected an environment variable name such as MLOPS_SLACK_WEBHOOK_URL");
const notHere = (what: string, env: string) =>
  z
    .never({
      error: `${what} is a secret and is never read from the config file: put it in the environment variable ${env} (a repository secret in Actions)`,
    })
    .optional();
const address = z
  .string()
  .regex(
    /^[^@\s]+@[^@\s]+$|<[^@\s]+@[^@\s]+>$/,
    "expected an e-mail address (a@b.org or Name <a@b.org>)",
  );

/** Slack incoming webhook (Block Kit message). */
export const SlackChannelSchema = z.strictObject({
  /** The variable holding the webhook URL (https://hooks.slack.com/services/...). */
  webhook_url_env: envName.default(NOTIFY_ENV.slackWebhookUrl),
  webhook_url: notHere("The Slack webhook URL", NOTIFY_ENV.slackWebhookUrl),
});

/** Microsoft Teams webhook (Adaptive Card): a Workflows "post to a channel" URL or a legacy connector. */
export const TeamsChannelSchema = z.strictObject({
  webhook_url_env: envName.default(NOTIFY_ENV.teamsWebhookUrl),
  webhook_url: notHere("The Teams webhook URL", NOTIFY_ENV.teamsWebhookUrl),
});

const EmailFields = z.strictObject({
  smtp_host: z.string().min(1),
  /**
   * 587 with `secure: false` (STARTTLS when offered), 465 with `secure: true` (TLS from the
   * start). Unset: MLOPS_SMTP_PORT, else 587.
   */
  smtp_port: z.number().int().min(1).max(65_535).optional(),
  /** Unset: MLOPS_SMTP_SECURE, else true on port 465 only. */
  secure: z.boolean().optional(),
  from: address,
  to: z.array(address).min(1),
  /**
   * Variables holding the SMTP login (unset: MLOPS_SMTP_USER and MLOPS_SMTP_PASSWORD); both
   * empty = no authentication (a relay inside the network).
   */
  user_env: envName.optional(),
  password_env: envName.optional(),
  password: notHere(
    "The SMTP password",
    `${NOTIFY_ENV.smtpPassword} (or the one password_env names)`,
  ),
});

/** E-mail over SMTP. */
export const EmailChannelSchema = EmailFields.superRefine((email, ctx) => {
  const [set, unset] = email.user_env ? ["user_env", "password_env"] : ["password_env", "user_env"];
  if (!email.user_env !== !email.password_env)
    ctx.addIssue({
      code: "custom",
      path: [unset],
      message: `is missing while ${set} is set: an SMTP login needs both (fix: name the variable of the other half, or remove ${set} for a relay without login)`,
    });
});

/**
 * An issue in the repository the pipeline runs on, commented on again while it stays open.
 * On by default in Actions (with a GitHub client); elsewhere only with this section.
 */
export const GithubIssueChannelSchema = z.strictObject({
  /** false turns the channel off, in Actions too. */
  enabled: z.boolean().default(true),
  /** The first label also narrows the search for an open issue about the same problem. */
  labels: z.array(z.string().min(1)).superRefine(noRepeats("label")).default(["mlops-alert"]),
});

/** The `notify` section. */
export const NotifySettingsSchema = z
  .strictObject({
    slack: SlackChannelSchema.optional(),
    teams: TeamsChannelSchema.optional(),
    email: EmailChannelSchema.optional(),
    github_issue: GithubIssueChannelSchema.optional(),
    /** Further attempts per channel after a dropped connection, a 429 or a 5xx. */
    retries: z.number().int().min(0).max(10).default(3),
    /** Per attempt, per channel. */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  })
  .prefault({});
export type NotifySettings = z.infer<typeof NotifySettingsSchema>;
export type EmailChannel = z.infer<typeof EmailChannelSchema>;
