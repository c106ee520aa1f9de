/**
 * The alert as GitHub-flavoured Markdown: the body of the GitHub issue and of `alert.md`.
 * Evidence is a list (a labelled list nests under its label); facts are a table whose
 * cells are escaped so a `|` or a newline in a value cannot break it.
 */
import { type Alert, type AlertEvidence, HEADINGS } from "./alert.ts";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
// A line break inside a list item must stay inside it.
const item = (text: string, indent: string) => `${indent}- ${text.replace(/\n/g, `\n${indent}  `)}`;

/** Evidence as a Markdown list. */
export function evidenceMarkdown(evidence: AlertEvidence[]): string {
  return evidence
    .flatMap((e) =>
      typeof e === "string"
        ? [item(e, "")]
        : [item(`${e.label}:`, ""), ...e.items.map((i) => item(i, "  "))],
    )
    .join("\n");
}

/** The alert's body below its title: severity and what happened, the sections, facts, links. */
export function alertMarkdown(alert: Alert): string {
  const section = (heading: string, text: string) => (text ? ["", `### ${heading}`, "", text] : []);
  return [
    `**${alert.severity.toUpperCase()}**: ${alert.whatHappened}`,
    ...section(HEADINGS.why, alert.why),
    ...section(HEADINGS.evidence, evidenceMarkdown(alert.evidence)),
    ...section(HEADINGS.nextStep, alert.nextStep),
    ...(alert.facts.length > 0
      ? [
          "",
          "| | |",
          "| --- | --- |",
          ...alert.facts.map((f) => `| ${cell(f.name)} | ${cell(f.value)} |`),
        ]
      : []),
    ...(alert.links.length > 0 ? ["", ...alert.links.map((l) => `- [${l.label}](${l.url})`)] : []),
    "",
  ].join("\n");
}
