/**
 * E-mail over SMTP: the alert as a plain-text and an HTML part. Everything from the alert
 * is HTML-escaped (an analyst's reason or a file name may hold markup), and only http(s)
 * links become anchors. Mail has no hard size limit, but a message over a few MB is
 * refused by many servers: each part is kept within EMAIL_PART_MAX (fit.ts).
 */
import { createTransport } from "nodemailer";
import { type Alert, type AlertEvidence, HEADINGS, webLinks } from "./alert.ts";
import { type FittedAlert, fitAlert, type RenderOptions, reportOf } from "./fit.ts";
import type { EmailTarget } from "./plan.ts";

/** The most characters of the text part, and of the HTML part. */
export const EMAIL_PART_MAX = 1_000_000;

/** The rendered e-mail. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What sending needs from a transport: nodemailer's `Transporter` fits, so does a test double. */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: string[];
    subject: string;
    text: string;
    html: string;
    headers: Record<string, string>;
  }): Promise<{ messageId: string; rejected?: unknown[] }>;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const paragraph = (text: string) => `<p>${text.split("\n").map(escapeHtml).join("<br>\n")}</p>`;

const evidenceText = (evidence: AlertEvidence[]) =>
  evidence
    .flatMap((e) =>
      typeof e === "string" ? [`- ${e}`] : [`- ${e.label}:`, ...e.items.map((i) => `  - ${i}`)],
    )
    .join("\n");

const li = (text: string, nested = "") =>
  `<li>${text.split("\n").map(escapeHtml).join("<br>\n")}${nested}</li>`;
const evidenceHtml = (evidence: AlertEvidence[]) =>
  [
    "<ul>",
    ...evidence.map((e) =>
      typeof e === "string"
        ? li(e)
        : li(`${e.label}:`, `\n<ul>\n${e.items.map((i) => li(i)).join("\n")}\n</ul>\n`),
    ),
    "</ul>",
  ].join("\n");

function buildEmail({ alert, leftOut }: FittedAlert): RenderedEmail {
  // A subject is one header line: a newline in a title must not start another header.
  const subject = `[mango-mlops ${alert.severity.toUpperCase()}] ${alert.title}`.replace(
    /[\r\n]+/g,
    " ",
  );
  const links = webLinks(alert);
  const sections = [
    { heading: HEADINGS.why, text: alert.why, html: paragraph(alert.why) },
    {
      heading: HEADINGS.evidence,
      text: evidenceText(alert.evidence),
      html: evidenceHtml(alert.evidence),
    },
    { heading: HEADINGS.nextStep, text: alert.nextStep, html: paragraph(alert.nextStep) },
  ].filter((s) => s.text);
  const note = leftOut
    ? {
        text: ["", `${leftOut.text}${leftOut.url ? `: ${leftOut.url}` : ""}`],
        html: [
          `<p><em>${escapeHtml(leftOut.text)}</em>${leftOut.url ? ` <a href="${escapeHtml(leftOut.url)}">workflow run</a>` : ""}</p>`,
        ],
      }
    : { text: [], html: [] };
  const text = [
    alert.title,
    "",
    alert.whatHappened,
    ...sections.flatMap((s) => ["", `${s.heading}:`, s.text]),
    ...note.text,
    "",
    ...alert.facts.map((f) => `${f.name}: ${f.value}`),
    ...(links.length > 0 ? ["", ...links.map((l) => `${l.label}: ${l.url}`)] : []),
    "",
  ].join("\n");
  const html = [
    "<!doctype html>",
    `<html><body style="font-family: sans-serif">`,
    `<h2>${escapeHtml(alert.title)}</h2>`,
    paragraph(alert.whatHappened),
    ...sections.flatMap((s) => [`<h3>${escapeHtml(s.heading)}</h3>`, s.html]),
    ...note.html,
    "<table>",
    ...alert.facts.map(
      (f) => `<tr><th align="left">${escapeHtml(f.name)}</th><td>${escapeHtml(f.value)}</td></tr>`,
    ),
    "</table>",
    ...(links.length > 0
      ? [
          "<ul>",
          ...links.map((l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a></li>`),
          "</ul>",
        ]
      : []),
    "</body></html>",
    "",
  ].join("\n");
  return { subject, text, html };
}

/** The e-mail for an alert, each part within EMAIL_PART_MAX; pure. */
export function renderEmail(alert: Alert, opts: RenderOptions = {}): RenderedEmail {
  const fits = (f: FittedAlert) => {
    const email = buildEmail(f);
    return email.text.length <= EMAIL_PART_MAX && email.html.length <= EMAIL_PART_MAX;
  };
  return buildEmail(fitAlert(alert, fits, "e-mail", reportOf(alert, opts)));
}

/** Sends the e-mail; resolves to the Message-ID the transport assigned. */
export async function sendEmail(
  transport: MailTransport,
  envelope: { from: string; to: string[] },
  email: RenderedEmail,
  runId: string,
): Promise<{ messageId: string; rejected: string[] }> {
  const info = await transport.sendMail({
    from: envelope.from,
    to: envelope.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    // Lets mail filters and threading rules pick pipeline alerts out.
    headers: { "X-Mango-MLOps-Run": runId },
  });
  return { messageId: info.messageId, rejected: (info.rejected ?? []).map(String) };
}

/**
 * A nodemailer SMTP transport for the planned server (plan.ts), the login read from the
 * environment variables it names. Throws when only one of the two is set.
 */
export function createSmtpTransport(
  channel: EmailTarget,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): MailTransport {
  // Blank counts as unset, as in plan.ts; a set value is used exactly as given.
  const [user, pass] = [channel.user_env, channel.password_env].map((name) =>
    env[name]?.trim() ? env[name] : undefined,
  );
  if (Boolean(user) !== Boolean(pass)) {
    throw new Error(
      `SMTP login incomplete: set both ${channel.user_env} and ${channel.password_env}, or neither`,
    );
  }
  return createTransport({
    host: channel.smtp_host,
    port: channel.smtp_port,
    secure: channel.secure,
    auth: user && pass ? { user, pass } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}
