/**
 * Slack incoming webhook: the alert as a Block Kit message. Rendering is pure and keeps
 * within Slack's limits (a header of 150 characters, 3000 per section, 10 fields, 25
 * buttons), since a payload over any of them is refused whole with `invalid_blocks`.
 */
import { type Alert, type AlertEvidence, type AlertSeverity, HEADINGS, webLinks } from "./alert.ts";
import { type FetchLike, postJson } from "./webhook.ts";

/** A Block Kit message as the webhook takes it; `text` is the notification's fallback. */
export interface SlackPayload {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const EMOJI: Record<AlertSeverity, string> = {
  error: ":red_circle:",
  warning: ":warning:",
  info: ":information_source:",
};

/** Slack's mrkdwn treats these three as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
const mrkdwn = (text: string) => ({ type: "mrkdwn", text });
const plain = (text: string) => ({ type: "plain_text", text, emoji: true });

// mrkdwn has no lists: bullets are characters, a labelled list's items indented under it.
const evidenceMrkdwn = (evidence: AlertEvidence[]) =>
  evidence
    .flatMap((e) =>
      typeof e === "string"
        ? [`• ${escapeMrkdwn(e)}`]
        : [`• ${escapeMrkdwn(e.label)}:`, ...e.items.map((i) => `    ◦ ${escapeMrkdwn(i)}`)],
    )
    .join("\n");

/** The Block Kit message for an alert; pure. */
export function renderSlackMessage(alert: Alert): SlackPayload {
  const blocks: Array<Record<string, unknown>> = [
    { type: "header", text: plain(cut(`${EMOJI[alert.severity]} ${alert.title}`, 150)) },
  ];
  if (alert.whatHappened)
    blocks.push({ type: "section", text: mrkdwn(cut(escapeMrkdwn(alert.whatHappened), 3000)) });
  if (alert.facts.length > 0) {
    blocks.push({
      type: "section",
      fields: alert.facts
        .slice(0, 10)
        .map((f) => mrkdwn(cut(`*${escapeMrkdwn(f.name)}*\n${escapeMrkdwn(f.value)}`, 2000))),
    });
  }
  const section = (heading: string, text: string) => {
    if (text) blocks.push({ type: "section", text: mrkdwn(cut(`*${heading}*\n${text}`, 3000)) });
  };
  section(HEADINGS.why, escapeMrkdwn(alert.why));
  section(HEADINGS.evidence, evidenceMrkdwn(alert.evidence));
  section(HEADINGS.nextStep, escapeMrkdwn(alert.nextStep));
  const links = webLinks(alert)
    .filter((l) => l.url.length <= 3000)
    .slice(0, 25);
  if (links.length > 0) {
    blocks.push({
      type: "actions",
      elements: links.map((l, i) => ({
        type: "button",
        text: plain(cut(l.label, 75)),
        url: l.url,
        action_id: `link_${i}`,
      })),
    });
  }
  blocks.push({
    type: "context",
    elements: [mrkdwn(`mango-mlops · run \`${escapeMrkdwn(alert.runId)}\` · ${alert.severity}`)],
  });
  return {
    text: cut(escapeMrkdwn(`${alert.title}: ${alert.whatHappened}`), 3000),
    blocks: blocks.slice(0, 50),
  };
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
