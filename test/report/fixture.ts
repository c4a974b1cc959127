import type { Finding } from '../../src/core/finding.js';
import type { LintReport, RuleInfo } from '../../src/report/types.js';

export const RULES: RuleInfo[] = [
  { id: 'deps/cycle', description: 'Task dependencies must not form a cycle. The cycle is printed.', defaultSeverity: 'error', helpUri: 'https://example.com/rules/deps-cycle' },
  { id: 'yaml/trailing-space', description: 'No trailing spaces', defaultSeverity: 'warning' },
  { id: 'coverage/min', description: 'Stories covered by tasks.', defaultSeverity: 'info' },
  { id: 'unused/rule', description: 'Never reported.', defaultSeverity: 'error' },
];

/** Every shape a finding can take: with and without file, line, column and range; all severities. */
export const FINDINGS: Finding[] = [
  { rule: 'yaml/trailing-space', severity: 'warning', message: 'trailing space', file: 'plans/b.yaml', line: 7 },
  { rule: 'deps/cycle', severity: 'error', message: 'cycle: a -> b -> a', file: 'plans/a.yaml', line: 3, column: 5, endLine: 3, endColumn: 12, plan: 'alpha', task: 'a' },
  { rule: 'coverage/min', severity: 'info', message: 'coverage 80% >= 75%', plan: 'alpha' },
  { rule: 'deps/cycle', severity: 'error', message: 'cycle in file with space', file: 'my plans/q&a #1.yaml', line: 1, column: 1 },
  { rule: 'schema/unknown', severity: 'error', message: 'file-level, no line', file: 'plans/a.yaml' },
  { rule: 'yaml/trailing-space', severity: 'warning', message: 'bad line numbers are dropped', file: 'plans/c.yaml', line: 0, column: 0 },
];

export function report(findings: Finding[] = FINDINGS, filesChecked = 4): LintReport {
  return { findings, filesChecked, toolVersion: '0.1.0', rules: RULES };
}

export const ANSI = /\u001b\[/;
