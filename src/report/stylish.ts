import { Chalk, type ChalkInstance } from 'chalk';
import type { Finding, Severity } from '../core/finding.js';
import { countFindings, countsText, plural, position, sortedFindings } from './summary.js';
import type { FormatOptions, LintReport } from './types.js';

export const REPOSITORY_GROUP = '(repository)';

/**
 * Messages and paths come from the files being linted; a stray ESC or newline in them must not move the
 * cursor or break the table, so control characters are shown as escapes.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function printable(text: string): string {
  return text.replace(/\r?\n|\t/g, ' ').replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function where(f: Finding): string {
  const line = position(f.line);
  if (line === undefined) return '-';
  const column = position(f.column);
  return column === undefined ? String(line) : `${line}:${column}`;
}

function paintSeverity(chalk: ChalkInstance, severity: Severity, text: string): string {
  if (severity === 'error') return chalk.red(text);
  if (severity === 'warning') return chalk.yellow(text);
  return chalk.blue(text);
}

interface Row {
  finding: Finding;
  where: string;
  message: string;
}

/** ESLint's stylish: findings grouped by file, one aligned row each, a one-line summary. */
export function stylish(report: LintReport, options: FormatOptions): string {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const findings = sortedFindings(report.findings);
  if (findings.length === 0) {
    return `${chalk.green(`✔ ${plural(report.filesChecked, 'file')} checked, no problems`)}\n`;
  }

  const groups = new Map<string, Row[]>();
  for (const finding of findings) {
    const key = finding.file ? printable(finding.file) : REPOSITORY_GROUP;
    let rows = groups.get(key);
    if (!rows) groups.set(key, (rows = []));
    rows.push({ finding, where: where(finding), message: printable(finding.message) });
  }

  const rows = [...groups.values()].flat();
  // a reduce, not Math.max(...rows): a spread of 100,000 findings overflows the call stack
  const widest = (length: (r: (typeof rows)[number]) => number) => rows.reduce((max, r) => Math.max(max, length(r)), 0);
  const whereWidth = widest((r) => r.where.length);
  const severityWidth = widest((r) => r.finding.severity.length);
  const messageWidth = widest((r) => r.message.length);

  const out: string[] = [];
  for (const [file, group] of groups) {
    out.push(chalk.underline(file));
    for (const row of group) {
      const { severity, rule } = row.finding;
      out.push(
        [
          '',
          chalk.dim(row.where.padEnd(whereWidth)),
          paintSeverity(chalk, severity, severity.padEnd(severityWidth)),
          row.message.padEnd(messageWidth),
          chalk.dim(printable(rule)),
        ].join('  '),
      );
    }
    out.push('');
  }

  const counts = countFindings(findings);
  const summary = `✖ ${plural(findings.length, 'problem')} (${countsText(counts)})`;
  const paint = counts.error > 0 ? chalk.red.bold : counts.warning > 0 ? chalk.yellow.bold : chalk.blue.bold;
  out.push(paint(summary));
  return `${out.join('\n')}\n`;
}

export default stylish;
