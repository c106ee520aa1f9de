/**
 * Microsoft Teams webhook: the alert as an Adaptive Card (1.4, what Teams renders) in the
 * message envelope that both Workflows "post to a channel" webhooks and the older
 * incoming-webhook connectors accept. Only 1.4 properties are used (a 1.5 one such as a
 * TextBlock's `style` is ignored or refused by some hosts). Teams takes about 28 KB a
 * message: a longer alert is shortened at line and item boundaries (fit.ts) until the
 * POSTed JSON is within TEAMS_MAX_BYTES, and says what was left out and where the rest is.
 */
import { type Alert, type AlertEvidence, type AlertSeverity, HEADINGS, webLinks } from "./alert.ts";
import { cutText, type FittedAlert, fitAlert, type RenderOptions, reportOf } from "./fit.ts";
import { type FetchLike, postJson } from "./webhook.ts";

/** The most UTF-8 bytes of JSON a Teams message may have here: 28 KB, less a margin. */
export const TEAMS_MAX_BYTES = 27_000;

/** The webhook body: one Adaptive Card attachment. */
export interface TeamsPayload {
  type: "message";
  attachments: Array<{
    contentType: "application/vnd.microsoft.card.adaptive";
    contentUrl: null;
    content: {
      $schema: string;
      type: "AdaptiveCard";
      version: "1.4";
      msteams: { width: "Full" };
      body: Array<Record<string, unknown>>;
      actions: Array<{ type: "Action.OpenUrl"; title: string; url: string }>;
    };
  }>;
}

const COLOR: Record<AlertSeverity, string> = {
  error: "Attention",
  warning: "Warning",
  info: "Accent",
};

/**
 * A TextBlock renders a Markdown subset, `[text](url)` links among it, and hosts differ on
 * backslash escapes: a zero-width space between `]` and `(` keeps text from a manifest (a
 * key, a reason) from becoming a link, and reads the same. Only there, so keys and paths
 * copied from the card stay exact.
 */
export function inertCardText(text: string): string {
  return text.replace(/\]\s*\(/g, "]\u200b(");
}

// Hosts differ on whether a single "\n" inside a TextBlock breaks the line; one block per
// line breaks it everywhere.
const lines = (text: string, spacing: string) =>
  text
    .split("\n")
    .filter((l) => l.trim())
    .map((line, i) => ({
      type: "TextBlock",
      text: inertCardText(line),
      wrap: true,
      spacing: i === 0 ? spacing : "None",
    }));

// Bullets are characters: a card's Markdown lists render differently from host to host.
const evidenceLines = (evidence: AlertEvidence[]) =>
  evidence
    .flatMap((e) =>
      typeof e === "string" ? [`• ${e}`] : [`• ${e.label}:`, ...e.items.map((i) => `  ◦ ${i}`)],
    )
    .join("\n");

function buildCard({ alert, leftOut }: FittedAlert): TeamsPayload {
  const body: Array<Record<string, unknown>> = [
    {
      type: "TextBlock",
      text: inertCardText(cutText(alert.title, 500)),
      size: "Large",
      weight: "Bolder",
      color: COLOR[alert.severity],
      wrap: true,
    },
    ...lines(alert.whatHappened, "Small"),
  ];
  if (alert.facts.length > 0) {
    body.push({
      type: "FactSet",
      facts: alert.facts.map((f) => ({
        title: inertCardText(f.name),
        value: inertCardText(f.value),
      })),
    });
  }
  const section = (heading: string, text: string) => {
    if (!text) return;
    body.push({
      type: "TextBlock",
      text: heading,
      weight: "Bolder",
      wrap: true,
      spacing: "Medium",
    });
    body.push(...lines(text, "Small"));
  };
  section(HEADINGS.why, alert.why);
  section(HEADINGS.evidence, evidenceLines(alert.evidence));
  section(HEADINGS.nextStep, alert.nextStep);
  if (leftOut) {
    const link =
      leftOut.url && !/[\s()]/.test(leftOut.url) ? ` ([workflow run](${leftOut.url}))` : "";
    body.push({
      type: "TextBlock",
      text: `${inertCardText(leftOut.text)}${link}`,
      wrap: true,
      isSubtle: true,
      spacing: "Medium",
    });
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          msteams: { width: "Full" },
          body,
          actions: webLinks(alert).map((l) => ({
            type: "Action.OpenUrl",
            title: l.label,
            url: l.url,
          })),
        },
      },
    ],
  };
}

/** The bytes the webhook receives for a payload. */
export function teamsPayloadBytes(payload: TeamsPayload): number {
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

/** The Teams message for an alert, within TEAMS_MAX_BYTES; pure. */
export function renderTeamsCard(alert: Alert, opts: RenderOptions = {}): TeamsPayload {
  const fits = (f: FittedAlert) => teamsPayloadBytes(buildCard(f)) <= TEAMS_MAX_BYTES;
  return buildCard(fitAlert(alert, fits, "Teams", reportOf(alert, opts)));
}

/** Posts the card to the webhook URL; throws an error without the URL on failure. */
export async function postTeams(
  url: string,
  payload: TeamsPayload,
  fetchImpl: FetchLike = fetch,
  timeoutMs = 10_000,
): Promise<void> {
  await postJson("Teams", url, payload, fetchImpl, timeoutMs);
}
