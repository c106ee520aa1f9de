/**
 * The typed alert (alert.ts) and its channels: Slack (Block Kit), Teams (Adaptive Card),
 * e-mail (SMTP), a GitHub issue and the local file, configured by the `notify` section,
 * fanned out by `createChannelNotifier`.
 */
export {
  type Alert,
  type AlertEvidence,
  type AlertFact,
  type AlertLink,
  type AlertNotifier,
  type AlertSeverity,
  type DeliveryRef,
  dedupeKeyOf,
  HEADINGS,
  webLinks,
  withLinks,
  workflowRunLink,
} from "./alert.ts";
export { alertMarkdown, evidenceMarkdown } from "./markdown.ts";
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
export { createFileNotifier, renderAlertFile } from "./file.ts";
