import { SEVERITY_RANK, compareFindings, type Finding, type Severity } from '../core/finding.js';
import { countFindings, countsText, position } from './summary.js';
import type { FormatOptions, LintReport } from './types.js';

export type AnnotationCommand = 'error' | 'warning' | 'notice';

export const ANNOTATION: Record<Severity, AnnotationCommand> = { error: 'error', warning: 'warning', info: 'notice' };

/** The runner's own escaping for a command's data (the part after `::`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The runner's escaping for a property value, where `:` and `,` are separators. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function properties(f: Finding): string {
  const props: [string, string | number | undefined][] = [];
  if (f.file) {
    const line = position(f.line);
    props.push(['file', f.file], ['line', line]);
    // The runner ignores col and the end of a range without a line.
    if (line !== undefined) {
      props.push(['col', position(f.column)], ['endLine', position(f.endLine)], ['endColumn', position(f.endColumn)]);
    }
  }
  props.push(['title', f.rule]);
  return props
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
}

export function annotation(f: Finding): string {
  return `::${ANNOTATION[f.severity]} ${properties(f)}::${escapeData(f.message)}`;
}

/**
 * Workflow commands, errors first: GitHub shows only the first 10 errors and 10 warnings of a step, so
 * the ones that fail the build must come before the rest. Every finding is still written for the log.
 */
export function github(report: LintReport, _options: FormatOptions): string {
  const findings = [...report.findings].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || compareFindings(a, b),
  );
  const lines = findings.map(annotation);
  lines.push(`plan: ${countsText(countFindings(findings))}`);
  return `${lines.join('\n')}\n`;
}

export default github;
