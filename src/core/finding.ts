/** The one result type that lint, gates, governance and verify all report through. */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable rule id, e.g. `deps/cycle`; see `rules.ts` for the catalogue. */
  rule: string;
  severity: Severity;
  message: string;
  /** Repository-relative POSIX path. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based, in UTF-16 code units like editors count. */
  column?: number;
  endLine?: number;
  endColumn?: number;
  plan?: string;
  task?: string;
}

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.rule.localeCompare(b.rule) ||
    a.message.localeCompare(b.message)
  );
}

export interface FindingCounts {
  error: number;
  warning: number;
  info: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  const counts: FindingCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}
