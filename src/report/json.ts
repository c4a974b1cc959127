import type { Finding } from '../core/finding.js';
import { countFindings, sortedFindings } from './summary.js';
import type { FormatOptions, LintReport } from './types.js';

/** Bump when a field is renamed or removed; adding fields keeps the version. */
export const JSON_REPORT_VERSION = 1;

export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  tool: { name: 'plan'; version: string };
  summary: { files: number; errors: number; warnings: number; infos: number };
  findings: Finding[];
}

/** Fixed key order, absent fields left out, so diffs of two reports show only real changes. */
function normalize(f: Finding): Finding {
  const out: Finding = { rule: f.rule, severity: f.severity, message: f.message };
  if (f.file !== undefined) out.file = f.file;
  if (f.line !== undefined) out.line = f.line;
  if (f.column !== undefined) out.column = f.column;
  if (f.endLine !== undefined) out.endLine = f.endLine;
  if (f.endColumn !== undefined) out.endColumn = f.endColumn;
  if (f.plan !== undefined) out.plan = f.plan;
  if (f.task !== undefined) out.task = f.task;
  return out;
}

export function toJsonReport(report: LintReport): JsonReport {
  const counts = countFindings(report.findings);
  return {
    version: JSON_REPORT_VERSION,
    tool: { name: 'plan', version: report.toolVersion },
    summary: { files: report.filesChecked, errors: counts.error, warnings: counts.warning, infos: counts.info },
    findings: sortedFindings(report.findings).map(normalize),
  };
}

export function json(report: LintReport, _options: FormatOptions): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

export default json;
