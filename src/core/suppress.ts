import type { Finding } from './finding.js';
import type { LineIndex } from './parse/lines.js';

export interface Suppression {
  file: string;
  /** The line of the directive; it silences findings on the next line. */
  line: number;
  column: number;
  rules: string[];
  reason: string;
  used: boolean;
}

const DIRECTIVE = /(#|<!--)\s*plan-disable-next-line\b(.*?)(?:-->\s*)?$/;

/** Finds `# plan-disable-next-line <rule>[, rule] -- <reason>` (or the `<!-- -->` form in Markdown). */
export function findSuppressions(file: string, text: string, lines: LineIndex): { suppressions: Suppression[]; findings: Finding[] } {
  const suppressions: Suppression[] = [];
  const findings: Finding[] = [];
  if (!text.includes('plan-disable-next-line')) return { suppressions, findings };
  for (let line = 1; line <= lines.lineCount; line++) {
    const content = lines.lineText(line);
    const match = DIRECTIVE.exec(content);
    if (!match) continue;
    const column = match.index + 1;
    const body = match[2]!;
    const split = body.indexOf(' -- ');
    const rulePart = (split === -1 ? body : body.slice(0, split)).trim();
    const reason = split === -1 ? '' : body.slice(split + 4).trim();
    const rules = rulePart.split(/[\s,]+/).filter(Boolean);
    if (rules.length === 0) {
      findings.push({ rule: 'suppress/invalid', severity: 'error', message: 'plan-disable-next-line names no rule; write "plan-disable-next-line <rule> -- <reason>"', file, line, column });
      continue;
    }
    if (reason === '') {
      findings.push({ rule: 'suppress/missing-reason', severity: 'error', message: `suppression of ${rules.join(', ')} gives no reason; add " -- <why>"`, file, line, column });
    }
    suppressions.push({ file, line, column, rules, reason, used: false });
  }
  return { suppressions, findings };
}

/** Drops suppressed findings and reports suppressions that silenced nothing. */
export function applySuppressions(findings: Finding[], suppressions: Suppression[]): Finding[] {
  if (suppressions.length === 0) return findings;
  const byLine = new Map<string, Suppression[]>();
  for (const s of suppressions) {
    const key = `${s.file}\0${s.line + 1}`;
    byLine.set(key, [...(byLine.get(key) ?? []), s]);
  }
  const kept = findings.filter((finding) => {
    if (finding.rule.startsWith('suppress/') || finding.line === undefined) return true;
    const candidates = byLine.get(`${finding.file}\0${finding.line}`);
    const match = candidates?.find((s) => s.rules.some((r) => finding.rule === r || finding.rule.startsWith(`${r}/`)));
    if (!match) return true;
    match.used = true;
    return false;
  });
  for (const s of suppressions) {
    if (!s.used) kept.push({ rule: 'suppress/unused', severity: 'warning', message: `suppression of ${s.rules.join(', ')} matches no finding on the next line; remove it`, file: s.file, line: s.line, column: s.column });
  }
  return kept;
}
