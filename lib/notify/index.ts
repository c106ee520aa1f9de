/**
 * The typed alert (alert.ts) and its channels: Slack (Block Kit), Teams (Adaptive Card),
 * e-mail (SMTP), a GitHub issue and the local file, turned on by the `notify` section and
 * the environment (plan.ts), each kept within its service's size limits (fit.ts), fanned
 * out by `createChannelNotifier`.
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
  NOTIFY_ENV,
  NotifySettingsSchema,
  SlackChannelSchema,
  TeamsChannelSchema,
  type EmailChannel,
  type NotifySettings,
} from "./config.ts";
export {
  describePlan,
  planChannels,
  webhookUrlProblem,
  type ChannelPlan,
  type EmailTarget,
  type PlanContext,
  type PlannedChannel,
} from "./plan.ts";
export {
  cutText,
  fitAlert,
  leftOutNote,
  reportOf,
  type FittedAlert,
  type FullReport,
  type LeftOutNote,
  type RenderOptions,
} from "./fit.ts";
export {
  escapeMrkdwn,
  postSlack,
  renderSlackMessage,
  SLACK_LIMITS,
  type SlackPayload,
} from "./slack.ts";
export {
  postTeams,
  renderTeamsCard,
  TEAMS_MAX_BYTES,
  teamsPayloadBytes,
  type TeamsPayload,
} from "./teams.ts";
export {
  createSmtpTransport,
  EMAIL_PART_MAX,
  escapeHtml,
  renderEmail,
  sendEmail,
  type MailTransport,
  type RenderedEmail,
} from "./email.ts";
export {
  ISSUE_BODY_MAX,
  issueCommentBody,
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
