import type { KpiStatus } from './kpis.js';
import type { Trend } from './trend.js';

/** How numbers read in a digest; templates call these through helpers and never compute. */

export const NO_DATA = 'no data';

export function formatNumber(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_DATA;
  const fixed = value.toFixed(decimals);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

const UNITS: Record<string, (n: string) => string> = {
  percentage: (n) => `${n}%`,
  percent: (n) => `${n}%`,
  points_per_day: (n) => `${n} pts/day`,
  points: (n) => `${n} pts`,
  days: (n) => `${n} ${n === '1' ? 'day' : 'days'}`,
  hours: (n) => `${n} h`,
  count: (n) => n,
};

/** A value with its unit: `96%`, `1.57 pts/day`, `2.5 days`, `3 widgets`; no value is "no data". */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_DATA;
  const n = formatNumber(value, unit === 'percentage' || unit === 'percent' ? 1 : 2);
  return (UNITS[unit] ?? ((x: string) => `${x} ${unit.replace(/_/g, ' ')}`))(n);
}

export const STATUS_LABELS: Record<KpiStatus, string> = {
  met: '✅ met',
  at_risk: '⚠️ at risk',
  missed: '❌ missed',
  no_data: '➖ no data',
};

/** `▲ +0.3 (better) vs 1.2` style: the move against the previous cycles' mean. */
export function formatTrend(trend: Trend | null, unit: string): string {
  if (!trend) return NO_DATA;
  const arrow = trend.direction === 'up' ? '▲' : trend.direction === 'down' ? '▼' : '▶';
  const sign = trend.delta > 0 ? '+' : trend.delta < 0 ? '−' : '±';
  // a change of a percentage is in percentage points, not percent of itself
  const magnitude = unit === 'percentage' || unit === 'percent' ? `${formatNumber(Math.abs(trend.delta), 1)} pp` : formatValue(Math.abs(trend.delta), unit);
  const verdict = trend.better === null ? 'flat' : trend.better ? 'better' : 'worse';
  return `${arrow} ${sign}${magnitude} (${verdict}) vs ${formatValue(trend.previous_mean, unit)}`;
}

export function formatPercent(value: number | null | undefined): string {
  return formatValue(value, 'percentage');
}
