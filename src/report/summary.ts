import { compareFindings, countFindings, type Finding, type FindingCounts } from '../core/finding.js';

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `E errors, W warnings, I infos`, the wording every text formatter shares. */
export function countsText(counts: FindingCounts): string {
  return `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.info, 'info')}`;
}

/** A sorted copy: output must not depend on the order validators happened to finish in. */
export function sortedFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export { countFindings };

/** A usable 1-based position, or undefined: validators may leave 0 or NaN where they know nothing. */
export function position(n: number | undefined): number | undefined {
  return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}
