import { SEVERITY_RANK, compareFindings, type Finding, type Severity } from '../core/finding.js';
import { countFindings, countsText, plural, position } from './summary.js';
import type { FormatOptions, LintReport } from './types.js';

export type AnnotationCommand = 'error' | 'warning' | 'notice';

export const ANNOTATION: Record<Severity, AnnotationCommand> = { error: 'error', warning: 'warning', info: 'notice' };

/**
 * What GitHub turns into annotations: the first 10 of each kind in a step and 50 in a job; the rest
 * stay in the log only (actions/toolkit docs/problem-matchers.md, "Limitations").
 */
export const ANNOTATION_LIMITS = { perKindPerStep: 10, perJob: 50 } as const;

/** The runner's own escaping for a command's data (the part after `::`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The runner's escaping for a property value, where `:` and `,` are separators. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Only positions the runner keeps: it drops col/endColumn unless on one line with a line number,
 * drops line/endLine when the range ends before it starts, and columns that end before they start.
 */
function range(f: Finding): Array<[string, number | undefined]> {
  const line = position(f.line);
  if (line === undefined) return [];
  let endLine = position(f.endLine);
  if (endLine !== undefined && endLine < line) endLine = undefined;
  const oneLine = endLine === undefined || endLine === line;
  const col = oneLine ? position(f.column) : undefined;
  let endColumn = col !== undefined ? position(f.endColumn) : undefined;
  if (endColumn !== undefined && endColumn < col!) endColumn = undefined;
  return [['line', line], ['col', col], ['endLine', endLine], ['endColumn', endColumn]];
}

function properties(f: Finding): string {
  const props: Array<[string, string | number | undefined]> = f.file ? [['file', f.file], ...range(f)] : [];
  props.push(['title', f.rule]);
  return props
    .filter((p): p is [string, string | number] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
}

export function annotation(f: Finding): string {
  return `::${ANNOTATION[f.severity]} ${properties(f)}::${escapeData(f.message)}`;
}

/** How many findings of each severity GitHub will not show as annotations when written in `sorted` order. */
export function beyondLimits(sorted: readonly Finding[]): Record<Severity, number> {
  const shown: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  const hidden: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  let total = 0;
  for (const f of sorted) {
    if (shown[f.severity] < ANNOTATION_LIMITS.perKindPerStep && total < ANNOTATION_LIMITS.perJob) {
      shown[f.severity]++;
      total++;
    } else hidden[f.severity]++;
  }
  return hidden;
}

function list(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/**
 * Workflow commands, most relevant first: GitHub shows only the first 10 errors, 10 warnings and 10
 * notices of a step, so errors (sorted by file and line) come before warnings, and warnings before
 * notices. Every finding is still written for the log, and a last line says how many GitHub hid.
 */
export function github(report: LintReport, _options: FormatOptions): string {
  const findings = [...report.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || compareFindings(a, b));
  const lines = findings.map(annotation);
  lines.push(`plan: ${countsText(countFindings(findings))}`);
  const hidden = beyondLimits(findings);
  const parts = (['error', 'warning', 'info'] as const).filter((s) => hidden[s] > 0).map((s) => plural(hidden[s], ANNOTATION[s]));
  const count = hidden.error + hidden.warning + hidden.info;
  if (count > 0) lines.push(`plan: ${list(parts)} beyond GitHub's annotation limits ${count === 1 ? 'is' : 'are'} in the full report (--format sarif)`);
  return `${lines.join('\n')}\n`;
}

export default github;
