/**
 * Orderings that do not depend on the locale, so a digest reads the same everywhere (and no
 * Intl collator has to be built, which costs milliseconds).
 */

export function compareText(a: string | null, b: string | null): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A key that sorts ids in natural order: PLN-2 before PLN-10. */
export function naturalKey(id: string): string {
  return id.replace(/\d+/g, (digits) => digits.padStart(16, '0'));
}

/** Rows by plan, then id in natural order. */
export function sortByPlanAndId<T extends { plan: string; id: string }>(rows: T[]): T[] {
  const keyed = rows.map((row) => ({ row, key: `${row.plan}\u0000${naturalKey(row.id)}` }));
  keyed.sort((a, b) => compareText(a.key, b.key));
  return keyed.map((k) => k.row);
}
