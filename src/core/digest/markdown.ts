/** Text made safe for the Markdown a digest is: table cells and inline text. */

const HTML = /[<>&]/g;
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/** One table cell: pipes escaped, line breaks as <br>, markup characters as entities. */
export function escapeTableCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value)
    .replace(HTML, (c) => ENTITIES[c]!)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>')
    .trim();
}

/** Inline text outside tables (list items, headings): one line, markup characters as entities. */
export function escapeInline(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value)
    .replace(HTML, (c) => ENTITIES[c]!)
    .replace(/\s*(?:\r\n|\r|\n)\s*/g, ' ')
    .trim();
}
