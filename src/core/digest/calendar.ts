import { ConfigError } from '../errors.js';

/** Calendar arithmetic in a team's time zone, with nothing but Intl: dates are `YYYY-MM-DD` strings. */

export const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Intl's time-zone formatters take milliseconds to create; most teams count in UTC.
const isUtc = (timeZone: string): boolean => timeZone === 'UTC' || timeZone === 'Etc/UTC';
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      throw new ConfigError(`cycle.timezone "${timeZone}" is not a time zone this system knows (use an IANA name like Europe/Berlin)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(timeZone: string, at: number): { date: string; utcOfWallClock: number } {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  const date = `${parts['year']}-${parts['month']}-${parts['day']}`;
  const utcOfWallClock = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']) % 24, Number(parts['minute']), Number(parts['second']));
  return { date, utcOfWallClock };
}

export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === text;
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date at an instant in a time zone. */
export function dateAt(timeZone: string, at: number): string {
  if (isUtc(timeZone)) return new Date(at).toISOString().slice(0, 10);
  let f = dateFormatters.get(timeZone);
  if (!f) {
    formatter(timeZone); // validates the zone with a clear error
    dateFormatters.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  }
  return f.format(at);
}

/** The instant a date begins (local midnight) in a time zone; DST changes are corrected for. */
export function startOfDate(timeZone: string, date: string): number {
  const m = DATE.exec(date)!;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (isUtc(timeZone)) return guess;
  const offset = (at: number): number => wallClock(timeZone, at).utcOfWallClock - Math.floor(at / 1000) * 1000;
  const first = guess - offset(guess);
  const second = guess - offset(first);
  return second;
}

export function addDays(date: string, days: number): string {
  const m = DATE.exec(date)!;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days)).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}
