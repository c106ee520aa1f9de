/**
 * Slack incoming webhook: the alert as a Block Kit message. Rendering is pure and keeps
 * within Block Kit's limits (SLACK_LIMITS), since a payload over any of them is refused
 * whole with `invalid_blocks`: a long alert is shortened at line and item boundaries
 * (fit.ts) and says what was left out and where the full report is.
 */
import type {
  ActionsBlock,
  Button,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
} from "@slack/types";
import { type Alert, type AlertEvidence, type AlertSeverity, HEADINGS, webLinks } from "./alert.ts";
import { cutText, type FittedAlert, fitAlert, type RenderOptions, reportOf } from "./fit.ts";
import { type FetchLike, postJson } from "./webhook.ts";

/** A Block Kit message as the webhook takes it; `text` is the notification's fallback. */
export interface SlackPayload {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit's limits for a message (docs.slack.dev, Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  /** The notification fallback; Slack takes more, a notification shows far less. */
  text: 3000,
} as const;

const EMOJI: Record<AlertSeverity, string> = {
  error: ":red_circle:",
  warning: ":warning:",
  info: ":information_source:",
};

/** Slack's mrkdwn treats these three as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `raw` escaped in at most `max` characters, cut before escaping so no entity is split. */
function escapedWithin(raw: string, max: number): string {
  let room = max;
  for (;;) {
    const escaped = escapeMrkdwn(cutText(raw, room));
    if (escaped.length <= max) return escaped;
    room -= escaped.length - max;
  }
}

const mrkdwn = (text: string): MrkdwnElement => ({ type: "mrkdwn", text });
const plain = (text: string): PlainTextElement => ({ type: "plain_text", text, emoji: true });

// mrkdwn has no lists: bullets are characters, a labelled list's items indented under it.
const evidenceMrkdwn = (evidence: AlertEvidence[]) =>
  evidence
    .flatMap((e) =>
      typeof e === "string"
        ? [`• ${escapeMrkdwn(e)}`]
        : [`• ${escapeMrkdwn(e.label)}:`, ...e.items.map((i) => `    ◦ ${escapeMrkdwn(i)}`)],
    )
    .join("\n");

function factFields(alert: Alert): MrkdwnElement[] {
  const field = (name: string, value: string) => {
    const head = `*${escapeMrkdwn(cutText(name, 100))}*\n`;
    return mrkdwn(head + escapedWithin(value, SLACK_LIMITS.fieldText - head.length));
  };
  const { facts } = alert;
  if (facts.length <= SLACK_LIMITS.fields) return facts.map((f) => field(f.name, f.value));
  const shown = facts.slice(0, SLACK_LIMITS.fields - 1);
  return [
    ...shown.map((f) => field(f.name, f.value)),
    field("More", `${facts.length - shown.length} more facts in the full report`),
  ];
}

function linkButtons(alert: Alert): ActionsBlock | null {
  const buttons: Button[] = webLinks(alert)
    .filter((l) => l.url.length <= SLACK_LIMITS.buttonUrl)
    .slice(0, SLACK_LIMITS.actionsElements)
    .map((l, i) => ({
      type: "button",
      text: plain(cutText(l.label, SLACK_LIMITS.buttonText)),
      url: l.url,
      action_id: `link_${i}`,
    }));
  return buttons.length > 0 ? { type: "actions", elements: buttons } : null;
}

// The sections that can grow with the alert are left uncut here: fitSlack shortens the
// alert until they are within the limits.
function buildSlack({ alert, leftOut }: FittedAlert): SlackPayload {
  const title = `${EMOJI[alert.severity]} ${alert.title}`;
  const blocks: KnownBlock[] = [
    { type: "header", text: plain(cutText(title, SLACK_LIMITS.headerText)) },
  ];
  if (alert.whatHappened)
    blocks.push({ type: "section", text: mrkdwn(escapeMrkdwn(alert.whatHappened)) });
  if (alert.facts.length > 0) blocks.push({ type: "section", fields: factFields(alert) });
  const section = (heading: string, text: string) => {
    if (text) blocks.push({ type: "section", text: mrkdwn(`*${heading}*\n${text}`) });
  };
  section(HEADINGS.why, escapeMrkdwn(alert.why));
  section(HEADINGS.evidence, evidenceMrkdwn(alert.evidence));
  section(HEADINGS.nextStep, escapeMrkdwn(alert.nextStep));
  if (leftOut) {
    const link =
      leftOut.url && !/[\s<>|]/.test(leftOut.url) ? ` <${leftOut.url}|workflow run>` : "";
    blocks.push({
      type: "section",
      text: mrkdwn(`:scissors: ${escapeMrkdwn(leftOut.text)}${link}`),
    });
  }
  const buttons = linkButtons(alert);
  if (buttons) blocks.push(buttons);
  blocks.push({
    type: "context",
    elements: [
      mrkdwn(
        `mango-mlops · run \`${escapeMrkdwn(cutText(alert.runId, 200))}\` · ${alert.severity}`,
      ),
    ],
  });
  return {
    text: escapedWithin(`${alert.title}: ${alert.whatHappened}`, SLACK_LIMITS.text),
    blocks,
  };
}

/** Whether every block that grows with the alert is within its limit. */
function withinLimits(payload: SlackPayload): boolean {
  return (
    payload.blocks.length <= SLACK_LIMITS.blocks &&
    payload.blocks.every(
      (b) => b.type !== "section" || !b.text || b.text.text.length <= SLACK_LIMITS.sectionText,
    )
  );
}

/** The Block Kit message for an alert, within Block Kit's limits; pure. */
export function renderSlackMessage(alert: Alert, opts: RenderOptions = {}): SlackPayload {
  const fits = (f: FittedAlert) => withinLimits(buildSlack(f));
  return buildSlack(fitAlert(alert, fits, "Slack", reportOf(alert, opts)));
}

/** Posts the message to the webhook URL; throws an error without the URL on failure. */
export async function postSlack(
  url: string,
  payload: SlackPayload,
  fetchImpl: FetchLike = fetch,
  timeoutMs = 10_000,
): Promise<void> {
  await postJson("Slack", url, payload, fetchImpl, timeoutMs);
}
