/**
 * The pipeline run's job summary, written with `core.summary` from the typed summary that
 * app/pipeline.ts returns (graph/render-summary.ts): headings, tables, links and the plots
 * at the proposal's commit. `core.summary` puts text into HTML as it is given, so every
 * text and attribute is escaped here first: a manifest key or a reason is never markup.
 */
import * as core from "@actions/core";
import type { RunSummary, SummaryLink, SummarySection } from "../../graph/render-summary.ts";
import { escapeHtml } from "../../lib/notify/index.ts";

/** An escaped `<a>` for a list item. */
const anchor = (l: SummaryLink) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.text)}</a>`;

/** Adds one section to the summary's buffer. */
function addSection(summary: typeof core.summary, section: SummarySection): void {
  summary.addHeading(escapeHtml(section.heading), 3);
  if (section.lines?.length) summary.addList(section.lines.map(escapeHtml));
  if (section.table)
    summary.addTable([
      section.table.header.map((h) => ({ data: escapeHtml(h), header: true })),
      ...section.table.rows.map((row) => row.map(escapeHtml)),
    ]);
  if (section.code) summary.addCodeBlock(escapeHtml(section.code));
  if (section.links?.length) summary.addList(section.links.map(anchor));
  for (const image of section.images ?? [])
    summary.addImage(escapeHtml(image.url), escapeHtml(image.text)).addBreak();
}

/** Appends the run's summary to the job summary file (`GITHUB_STEP_SUMMARY`). */
export async function writeJobSummary(summary: RunSummary): Promise<void> {
  core.summary.addHeading(escapeHtml(summary.title), 2);
  for (const section of summary.sections) addSection(core.summary, section);
  await core.summary.write();
}
