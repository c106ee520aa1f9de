/**
 * Which channels alert_human uses, from the `notify` section of `mlops.config.json`. A
 * channel is on when its section is present. Secrets (webhook URLs, the SMTP password)
 * come only from environment variables the config names, never from the file, which is
 * committed: a secret-looking field in the file is an error that says where it belongs.
 */
import { z } from "zod";
import { noRepeats } from "../config-checks.ts";

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
  webhook_url_env: envName.default("MLOPS_SLACK_WEBHOOK_URL"),
  webhook_url: notHere("The Slack webhook URL", "MLOPS_SLACK_WEBHOOK_URL"),
});

/** Microsoft Teams webhook (Adaptive Card): a Workflows "post to a channel" URL or a legacy connector. */
export const TeamsChannelSchema = z.strictObject({
  webhook_url_env: envName.default("MLOPS_TEAMS_WEBHOOK_URL"),
  webhook_url: notHere("The Teams webhook URL", "MLOPS_TEAMS_WEBHOOK_URL"),
});

const EmailFields = z.strictObject({
  smtp_host: z.string().min(1),
  /** 587 with `secure: false` (STARTTLS when offered), 465 with `secure: true` (TLS from the start). */
  smtp_port: z.number().int().min(1).max(65_535).default(587),
  secure: z.boolean().default(false),
  from: address,
  to: z.array(address).min(1),
  /** Variables holding the SMTP login; both unset = no authentication (a relay inside the network). */
  user_env: envName.optional(),
  password_env: envName.optional(),
  password: notHere("The SMTP password", "the variable named by password_env"),
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

/** An issue in the repository the pipeline runs on, commented on again while it stays open. */
export const GithubIssueChannelSchema = z.strictObject({
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
