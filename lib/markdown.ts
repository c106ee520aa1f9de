/**
 * Text from outside the project (manifest keys, labels, file names, error messages that
 * quote them) made inert in GitHub-flavoured Markdown, for pull request comments, bodies
 * and job summaries: no link, image, HTML tag, emphasis, heading, @mention or #reference
 * can come out of it, and it cannot break out of its code span or table cell.
 *
 * None of the project's dependencies escapes Markdown (escape-html, which some of them
 * bring along, escapes HTML only), so these are small helpers written to CommonMark and
 * GitHub's rules.
 */

const ZERO_WIDTH_SPACE = "\u200b";

/** Line breaks as spaces: inline text that must stay on its line (a list item, a cell). */
const oneLine = (text: string) => text.replace(/\r\n?|\n/g, " ");

/**
 * Plain text as inline Markdown that renders as exactly that text. Every ASCII
 * punctuation character is backslash-escaped (CommonMark allows it for all of them, and
 * it stops links, images, HTML, emphasis and autolinks); `@name` and `#123` get a
 * zero-width space after the sign, since GitHub links mentions and references in the
 * rendered text, escaped or not. Line breaks become spaces.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/([@#])(?=[A-Za-z0-9])/g, `$1${ZERO_WIDTH_SPACE}`)
    .replace(/[!-/:-@[-`{-~]/g, "\\$&");
}

/**
 * Text as an inline code span, whatever backticks it holds: the fence is one backtick
 * longer than the longest run inside, padded with a space where the text starts or ends
 * with a backtick or a space (CommonMark strips one each side). Line breaks become spaces.
 */
export function codeSpan(text: string): string {
  const flat = oneLine(text);
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(flat) && flat.trim() !== "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Text as a fenced code block whose fence no line of the text can close. */
export function codeBlock(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}

/** Inline Markdown made safe for one table cell: `|` escaped (also inside code spans), one line. */
export function tableCell(markdown: string): string {
  return oneLine(markdown).replace(/\|/g, "\\|");
}

/** A value (a number, or Markdown already made safe) as one trimmed table cell. */
export function cell(value: string | number): string {
  return tableCell(String(value).replace(/\s*\r?\n\s*/g, " ")).trim();
}
