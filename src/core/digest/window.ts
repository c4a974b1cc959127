import { ConfigError, UsageError } from '../errors.js';
import { DAY_MS, addDays, dateAt, daysBetween, isDate, startOfDate } from './calendar.js';

export interface CycleConfig {
  length_days: number;
  anchor: string;
  timezone: string;
}

/** A half-open window of time, [start, end), that a digest reports on. */
export interface CycleWindow {
  /** The cycle's first day (`2024-01-15`) for configured cycles; `since..until` for explicit ranges. */
  id: string;
  kind: 'cycle' | 'range';
  start: number;
  end: number;
  /** First and last calendar day (inclusive) in the team's time zone. */
  firstDay: string;
  lastDay: string;
  /** Length in days: whole calendar days, or fractional for a range between two timestamps. */
  days: number;
  timezone: string;
}

export interface WindowSelection {
  cycle?: string;
  since?: string;
  until?: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

export const CYCLE_ID_HELP = 'a date (2024-01-15: the cycle containing it, named by its first day), current or previous';

function checkConfig(config: CycleConfig): void {
  if (!Number.isInteger(config.length_days) || config.length_days < 1) throw new ConfigError(`cycle.length_days must be a whole number of days >= 1, not ${config.length_days}`);
  if (!isDate(config.anchor)) throw new ConfigError(`cycle.anchor must be a date (YYYY-MM-DD), not "${config.anchor}"`);
}

function cycleAt(config: CycleConfig, index: number): CycleWindow {
  const firstDay = addDays(config.anchor, index * config.length_days);
  const next = addDays(firstDay, config.length_days);
  return { id: firstDay, kind: 'cycle', start: startOfDate(config.timezone, firstDay), end: startOfDate(config.timezone, next), firstDay, lastDay: addDays(next, -1), days: config.length_days, timezone: config.timezone };
}

function cycleIndexOf(config: CycleConfig, date: string): number {
  return Math.floor(daysBetween(config.anchor, date) / config.length_days);
}

/** The window named by --cycle, or --since/--until, or (neither) the cycle in progress at `now`. */
export function resolveWindow(selection: WindowSelection, config: CycleConfig, now: number): CycleWindow {
  checkConfig(config);
  if (selection.cycle !== undefined && (selection.since !== undefined || selection.until !== undefined)) throw new UsageError('use either --cycle or --since/--until, not both');
  if (selection.until !== undefined && selection.since === undefined) throw new UsageError('--until needs --since');
  if (selection.since !== undefined) return rangeWindow(selection.since, selection.until, config.timezone, now);
  const today = dateAt(config.timezone, now);
  const cycle = selection.cycle ?? 'current';
  if (cycle === 'current') return cycleAt(config, cycleIndexOf(config, today));
  if (cycle === 'previous') return cycleAt(config, cycleIndexOf(config, today) - 1);
  if (isDate(cycle)) return cycleAt(config, cycleIndexOf(config, cycle));
  throw new UsageError(`--cycle "${cycle}" is not a cycle: use ${CYCLE_ID_HELP}`);
}

function instant(text: string, flag: string, timeZone: string): number {
  if (isDate(text)) return startOfDate(timeZone, text);
  if (TIMESTAMP.test(text) && !Number.isNaN(Date.parse(text))) return Date.parse(text);
  throw new UsageError(`${flag} "${text}" is not a date (2024-01-15, midnight in the team's time zone) or a timestamp with a zone (2024-01-15T10:00:00Z)`);
}

function rangeWindow(since: string, until: string | undefined, timeZone: string, now: number): CycleWindow {
  const start = instant(since, '--since', timeZone);
  // Without --until a date range runs through today, a timestamp range up to now.
  const untilText = until ?? (isDate(since) ? addDays(dateAt(timeZone, now), 1) : new Date(now).toISOString());
  const end = instant(untilText, '--until', timeZone);
  if (end <= start) throw new UsageError(`--until ${untilText} must be after --since ${since}`);
  if (isDate(since) && isDate(untilText)) {
    return { id: `${since}..${untilText}`, kind: 'range', start, end, firstDay: since, lastDay: addDays(untilText, -1), days: daysBetween(since, untilText), timezone: timeZone };
  }
  const id = `${new Date(start).toISOString().replace('.000Z', 'Z')}..${new Date(end).toISOString().replace('.000Z', 'Z')}`;
  return { id, kind: 'range', start, end, firstDay: dateAt(timeZone, start), lastDay: dateAt(timeZone, end - 1), days: (end - start) / DAY_MS, timezone: timeZone };
}

/** The window just before this one, of the same length. */
export function previousWindow(window: CycleWindow, config: CycleConfig): CycleWindow {
  if (window.kind === 'cycle') return cycleAt(config, cycleIndexOf(config, window.firstDay) - 1);
  if (Number.isInteger(window.days) && window.id.split('..').every(isDate)) {
    const [since] = window.id.split('..') as [string];
    return rangeWindow(addDays(since, -window.days), since, window.timezone, window.end);
  }
  const length = window.end - window.start;
  return rangeWindow(new Date(window.start - length).toISOString(), new Date(window.start).toISOString(), window.timezone, window.end);
}

/** The `count` windows before this one, oldest first. */
export function windowsBefore(window: CycleWindow, count: number, config: CycleConfig): CycleWindow[] {
  const windows: CycleWindow[] = [];
  let current = window;
  for (let i = 0; i < count; i++) {
    current = previousWindow(current, config);
    windows.unshift(current);
  }
  return windows;
}

/** How many days of the window have begun by `now`: the window's length once it is over. */
export function elapsedDays(window: CycleWindow, now: number): number {
  if (now >= window.end) return window.days;
  if (now <= window.start) return 0;
  if (!Number.isInteger(window.days)) return (now - window.start) / DAY_MS;
  return Math.min(window.days, daysBetween(window.firstDay, dateAt(window.timezone, now)) + 1);
}
