import { describe, expect, it } from 'vitest';
import { dateOfDay, dayNumber, timelineCheckerValidator } from '../../../src/core/validators/timeline_checker.js';
import { backlog, plan, run } from './support.js';

const A = 'plans/a/be_backlog.yaml';
const B = 'plans/b/be_backlog.yaml';

// Line numbers below follow from backlog(): `tasks:` on line 1, then one line per field.
const FILES = {
  'plans/a/plan.yaml': plan('a'),
  'plans/b/plan.yaml': plan('b'),
  [A]: backlog([
    { id: 'A-1', start: '2024-03-10', due: '2024-03-01' }, // lines 2-4: start after due
    { id: 'A-2', start: '2024-02-01', due: '2024-02-20', dependencies: ['A-3', 'B-1'] }, // lines 5-8: starts before both deps are due
    { id: 'A-3', due: '2024-02-05' }, // lines 9-10
    { id: 'A-4', due: '2024-09-01' }, // lines 11-12: beyond the horizon
    { id: 'A-5', due: '2024-09-01', status: 'done' }, // lines 13-15: done, no horizon check
    { id: 'A-6', start: '2024-02-30', due: '2024-02-01' }, // lines 16-18: invalid start, ignored
    { id: 'A-7', start: '2024-02-05', due: '2024-02-06', dependencies: ['A-3', 'B-2'] }, // lines 19-22: starts the day A-3 is due; B-2 dropped
  ]),
  [B]: backlog([
    { id: 'B-1', due: '2024-02-10' }, // lines 2-3
    { id: 'B-2', due: '2024-12-31', status: 'dropped' }, // lines 4-6
    { id: 'B-3', start: '2024-03-02', due: '2024-03-01' }, // lines 7-9
  ]),
};

describe('timeline_checker', () => {
  it('reports start after due, starts before a dependency (across plans) is due, and due beyond the horizon', () => {
    const findings = run(timelineCheckerValidator, FILES, { today: '2024-01-15' }, { horizon_days: 90 });
    expect(findings.map((f) => [f.rule, f.severity, f.file, f.line, f.column, f.plan, f.task])).toEqual([
      ['timeline/start-after-due', 'error', A, 3, 12, 'a', 'A-1'],
      ['timeline/starts-before-dependency-due', 'error', A, 6, 12, 'a', 'A-2'],
      ['timeline/starts-before-dependency-due', 'error', A, 6, 12, 'a', 'A-2'],
      ['timeline/beyond-horizon', 'warning', A, 12, 10, 'a', 'A-4'],
      ['timeline/start-after-due', 'error', B, 8, 12, 'b', 'B-3'],
    ]);
    expect(findings[0]!.message).toBe('task A-1 starts 2024-03-10, 9 day(s) after its due date 2024-03-01');
    expect(findings[1]!.message).toBe('task A-2 starts 2024-02-01, before its dependency A-3 is due 2024-02-05');
    expect(findings[2]!.message).toBe('task A-2 starts 2024-02-01, before its dependency B-1 (plan b) is due 2024-02-10');
    expect(findings[3]!.message).toBe('task A-4 is due 2024-09-01, 230 days from today (2024-01-15), beyond the 90-day horizon');
  });

  it('reads other plans for dependencies but reports only in-scope files', () => {
    const findings = run(timelineCheckerValidator, FILES, { today: '2024-01-15', inScope: (p) => p === A });
    expect(findings.map((f) => f.task)).toEqual(['A-1', 'A-2', 'A-2', 'A-4']);
    expect(run(timelineCheckerValidator, FILES, { inScope: (p) => p === B }).map((f) => f.task)).toEqual(['B-3']);
  });

  it('skips the horizon check without a clock', () => {
    expect(run(timelineCheckerValidator, FILES).map((f) => f.rule)).not.toContain('timeline/beyond-horizon');
  });

  it.each([
    ['exactly at the horizon', '2024-04-14', 90, false],
    ['one day past the horizon', '2024-04-15', 90, true],
    ['default horizon is 90 days', '2024-04-15', undefined, true],
    ['a wider horizon', '2024-04-15', 120, false],
    ['across a leap day and DST changes, counted in UTC days', '2024-03-31', 76, false],
    ['in the past', '2023-01-01', 90, false],
  ])('horizon: %s', (_name, due, horizon, reported) => {
    const files = { 'plans/a/plan.yaml': plan('a'), [A]: backlog([{ id: 'A-1', due }]) };
    const options = horizon === undefined ? {} : { horizon_days: horizon };
    const findings = run(timelineCheckerValidator, files, { today: '2024-01-15' }, options);
    expect(findings.some((f) => f.rule === 'timeline/beyond-horizon')).toBe(reported);
  });

  it.each([
    ['start equal to due', { start: '2024-02-01', due: '2024-02-01' }, []],
    ['start the day after due', { start: '2024-02-02', due: '2024-02-01' }, ['timeline/start-after-due']],
    ['not a date', { start: 'soon', due: '2024-02-01' }, []],
    ['impossible date', { start: '2023-02-29', due: '2023-02-01' }, []],
    ['only a start', { start: '2024-02-02' }, []],
  ])('start/due: %s', (_name, dates, rules) => {
    const files = { 'plans/a/plan.yaml': plan('a'), [A]: backlog([{ id: 'A-1', ...dates }]) };
    expect(run(timelineCheckerValidator, files).map((f) => f.rule)).toEqual(rules);
  });
});

describe('dayNumber', () => {
  it.each([
    ['2024-02-29', 19782],
    ['1970-01-01', 0],
    ['2024-02-30', undefined],
    ['2024-13-01', undefined],
    ['2024-1-01', undefined],
    ['2024-01-01T00:00:00Z', undefined],
    [20240101, undefined],
  ])('%s', (value, day) => {
    expect(dayNumber(value)).toBe(day);
    if (day !== undefined) expect(dateOfDay(day)).toBe(value);
  });
});
