/**
 * alert_human's real channels: Slack (Block Kit), Teams (Adaptive Card), e-mail (SMTP) and
 * a GitHub issue, configured by the `notify` section, fanned out by `createChannelNotifier`.
 */
export {
  type AlertContent,
  type AlertInput,
  type AlertNotifier,
  type AlertSeverity,
  type DeliveryRef,
  dedupeKeyOf,
  fromAlertMessage,
  workflowRunLink,
} from "./content.ts";
export {
  EmailChannelSchema,
  GithubIssueChannelSchema,
  NotifySettingsSchema,
  SlackChannelSchema,
  TeamsChannelSchema,
  type EmailChannel,
  type NotifySettings,
} from "./config.ts";
export { escapeMrkdwn, postSlack, renderSlackMessage, type SlackPayload } from "./slack.ts";
export { postTeams, renderTeamsCard, type TeamsPayload } from "./teams.ts";
export {
  createSmtpTransport,
  escapeHtml,
  renderEmail,
  sendEmail,
  type MailTransport,
  type RenderedEmail,
} from "./email.ts";
export {
  issueMarker,
  openOrUpdateIssue,
  renderIssue,
  type GithubClient,
  type IssueRef,
  type RenderedIssue,
} from "./github-issue.ts";
export {
  HttpStatusError,
  isRetryable,
  parseRetryAfter,
  withRetry,
  type RetryOptions,
} from "./retry.ts";
export { postJson, type FetchLike } from "./webhook.ts";
export {
  createChannelNotifier,
  redact,
  secretsOf,
  type ChannelNotifierOptions,
} from "./notifier.ts";
export { createFileNotifier } from "./file.ts";
