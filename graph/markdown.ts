/**
 * Markdown table cells: a value that holds a `|` or a line break would split its cell or
 * end the table, so every value written into a cell goes through `cell`.
 */

/** The value as one table cell: `|` escaped, line breaks and surrounding space flattened. */
export function cell(value: string | number): string {
  return String(value)
    .replace(/\|/g, "\\|")
    .replace(/\s*\r?\n\s*/g, " ")
    .trim();
}
