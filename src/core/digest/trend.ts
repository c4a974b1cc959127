import type { KpiDirection } from './kpis.js';
import { mean, round } from './stats.js';

export interface Trend {
  /** Mean of the previous cycles that have a value. */
  previous_mean: number;
  /** How many previous cycles that mean is over (at most 3). */
  cycles: number;
  delta: number;
  direction: 'up' | 'down' | 'flat';
  /** Whether the move is an improvement for this KPI; null when flat. */
  better: boolean | null;
}

/** The change against the mean of the previous cycles; null without a current value or any previous one. */
export function trendOf(current: number | null, previous: ReadonlyArray<number | null>, direction: KpiDirection): Trend | null {
  const known = previous.filter((v): v is number => v !== null);
  const base = mean(known);
  if (current === null || base === null) return null;
  const delta = round(current - base);
  const move = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  return { previous_mean: round(base), cycles: known.length, delta, direction: move, better: move === 'flat' ? null : (move === 'up') === (direction === 'higher_is_better') };
}

const BARS = '▁▂▃▄▅▆▇█';
const NO_VALUE = '·';

/** One block per value, scaled between the smallest and largest; `·` marks a cycle without data. */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return values.map(() => NO_VALUE).join('');
  const low = Math.min(...known);
  const high = Math.max(...known);
  return values
    .map((v) => {
      if (v === null) return NO_VALUE;
      if (high === low) return BARS[3];
      return BARS[Math.round(((v - low) / (high - low)) * (BARS.length - 1))];
    })
    .join('');
}
