/**
 * The alert as GitHub-flavoured Markdown: the body of the GitHub issue and of `alert.md`.
 * Evidence is a list (a labelled list nests under its label); facts are a table whose
 * cells are escaped so a `|` or a newline in a value cannot break it. In the GitHub
 * issue (`inert`) every text from the alert is escaped (lib/markdown.ts): a manifest key
 * or reason cannot become a link, an image, HTML or a @mention; alert.md and the console
 * keep the text as written.
 */
import { escapeMarkdown, tableCell } from "../markdown.ts";
import { type Alert, type AlertEvidence, HEADINGS } from "./alert.ts";
import type { LeftOutNote } from "./fit.ts";

/** How alert text is written: `inert` (escaped, for GitHub, where it renders) or as is (a file, a console). */
export interface MarkdownOptions {
  inert?: boolean;
  /** The line of a shortened alert (fit.ts), after the sections. */
  leftOut?: LeftOutNote | null;
}

const noteMarkdown = (note: LeftOutNote, text: (s: string) => string) => {
  const link = note.url && !/[\s()<>]/.test(note.url) ? ` ([workflow run](${note.url}))` : "";
  return ["", `_${text(note.text)}_${link}`];
};

/** Evidence as a Markdown list. */
export function evidenceMarkdown(evidence: AlertEvidence[], opts: MarkdownOptions = {}): string {
  const text = textOf(opts);
  // A line break inside a list item must stay inside it.
  const item = (s: string, indent: string) =>
    `${indent}- ${text(s).replace(/\n/g, `\n${indent}  `)}`;
  return evidence
    .flatMap((e) =>
      typeof e === "string"
        ? [item(e, "")]
        : [item(`${e.label}:`, ""), ...e.items.map((i) => item(i, "  "))],
    )
    .join("\n");
}

// Alert text quotes manifest keys, labels and reasons: where it renders, it is made inert.
const textOf = (opts: MarkdownOptions) => (s: string) =>
  opts.inert ? s.split("\n").map(escapeMarkdown).join("\n") : s;

/** The alert's body below its title: severity and what happened, the sections, facts, links. */
export function alertMarkdown(alert: Alert, opts: MarkdownOptions = {}): string {
  const text = textOf(opts);
  // escapeMarkdown already escapes `|` and joins lines; as written, tableCell does that.
  const cell = (s: string) => (opts.inert ? escapeMarkdown(s) : tableCell(s));
  const section = (heading: string, text: string) => (text ? ["", `### ${heading}`, "", text] : []);
  return [
    `**${alert.severity.toUpperCase()}**: ${text(alert.whatHappened)}`,
    ...section(HEADINGS.why, text(alert.why)),
    ...section(HEADINGS.evidence, evidenceMarkdown(alert.evidence, opts)),
    ...section(HEADINGS.nextStep, text(alert.nextStep)),
    ...(opts.leftOut ? noteMarkdown(opts.leftOut, text) : []),
    ...(alert.facts.length > 0
      ? [
          "",
          "| | |",
          "| --- | --- |",
          ...alert.facts.map((f) => `| ${cell(f.name)} | ${cell(f.value)} |`),
        ]
      : []),
    ...(alert.links.length > 0
      ? ["", ...alert.links.map((l) => `- [${text(l.label)}](${l.url})`)]
      : []),
    "",
  ].join("\n");
}
