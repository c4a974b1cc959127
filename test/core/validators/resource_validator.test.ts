import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/core/config.js';
import { resourceValidator } from '../../../src/core/validators/resource_validator.js';
import { backlog, plan, run } from './support.js';

const A = 'plans/a/be_backlog.yaml';
const B = 'plans/b/be_backlog.yaml';

const MODEL = {
  version: '1.0.0',
  cycle_days: 14,
  teams: { backend: { points_per_cycle: 10, members: 2 }, frontend: { points_per_cycle: 5 } },
  default_team_points_per_cycle: 8,
};

// DEFAULT_CONFIG cycles: anchor 2024-01-01, 14 days: cycle 0 = 01-01..01-14, cycle 1 = 01-15..01-28.
const FILES = {
  'plans/a/plan.yaml': plan('a'),
  'plans/b/plan.yaml': plan('b'),
  [A]: backlog([
    { id: 'A-1', team: 'backend', effort_points: 6, start: '2024-01-02' }, // lines 2-5, cycle 0
    { id: 'A-2', team: 'backend', effort_points: 5, due: '2024-01-10' }, // lines 6-9, cycle 0 by due
    { id: 'A-3', team: 'backend', effort_points: 20, start: '2024-01-03', status: 'done' }, // lines 10-14, not counted
    { id: 'A-4', team: 'frontend', effort_points: 5, start: '2024-01-20' }, // lines 15-18, cycle 1
    { id: 'A-5', effort_points: 3 }, // lines 19-20, no team
    { id: 'A-6' }, // line 21, no team
    { id: 'A-7', team: 'design', effort_points: 9 }, // lines 22-24, unlisted team, no dates: current cycle
  ]),
  [B]: backlog([
    { id: 'B-1', team: 'backend', effort_points: 3, start: '2024-01-05' }, // lines 2-5, cycle 0
    { id: 'B-2', team: 'frontend', effort_points: 4 }, // lines 6-8, no dates: current cycle
    { id: 'B-3', team: 'frontend', effort_points: 50, status: 'dropped' }, // lines 9-12, not counted
  ]),
};

const names: string[] = [];
const rulebook = (name: string) => {
  names.push(name);
  return name === 'team_capacity' ? MODEL : undefined;
};

describe('resource_validator', () => {
  it('sums open tasks per team and cycle across plans and reports each overload once, at its first task', () => {
    const findings = run(resourceValidator, FILES, { today: '2024-01-16', rulebook }, { capacity_model: 'team_capacity.yaml' });
    expect(findings.map((f) => [f.rule, f.severity, f.file, f.line, f.plan, f.task])).toEqual([
      ['capacity/over', 'error', A, 3, 'a', 'A-1'],
      ['capacity/over', 'error', A, 16, 'a', 'A-4'],
      ['capacity/over', 'error', A, 23, 'a', 'A-7'],
      ['capacity/no-team', 'info', A, 19, 'a', 'A-5'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'team backend is planned at 14 points in cycle 2024-01-01..2024-01-14, over its capacity of 10: 3 task(s) across plan(s) a, b',
      'team frontend is planned at 9 points in cycle 2024-01-15..2024-01-28, over its capacity of 5: 2 task(s) across plan(s) a, b',
      'team design is planned at 9 points in cycle 2024-01-15..2024-01-28, over its capacity of 8 (default for teams not in the capacity model): 1 task(s) across plan(s) a',
      '2 open task(s) have no team, so their effort counts against no capacity: A-5, A-6',
    ]);
    expect(names.at(-1)).toBe('team_capacity');
  });

  it('reports at the first in-scope task when the first task of the overload is out of scope', () => {
    const findings = run(resourceValidator, FILES, { today: '2024-01-16', rulebook, inScope: (p) => p === B });
    expect(findings.map((f) => [f.rule, f.file, f.line, f.task])).toEqual([
      ['capacity/over', B, 3, 'B-1'],
      ['capacity/over', B, 7, 'B-2'],
    ]);
  });

  it('puts undated tasks in the anchor cycle when there is no clock', () => {
    const findings = run(resourceValidator, FILES, { rulebook });
    expect(findings.filter((f) => f.rule === 'capacity/over').map((f) => f.task)).toEqual(['A-1', 'A-7']);
    expect(findings.find((f) => f.task === 'A-7')!.message).toContain('cycle 2024-01-01..2024-01-14');
  });

  it.each([
    ['a date before the anchor falls in a negative cycle', { start: '2023-12-31' }, DEFAULT_CONFIG, 'cycle 2023-12-18..2023-12-31, over its capacity of 10'],
    ['capacity scales with the config cycle length', { start: '2024-01-09' }, { ...DEFAULT_CONFIG, cycle: { ...DEFAULT_CONFIG.cycle, length_days: 7 } }, 'cycle 2024-01-08..2024-01-14, over its capacity of 5'],
    ['start wins over due', { start: '2024-01-15', due: '2024-01-01' }, DEFAULT_CONFIG, 'cycle 2024-01-15..2024-01-28'],
  ])('%s', (_name, dates, config, expected) => {
    const files = { 'plans/a/plan.yaml': plan('a'), [A]: backlog([{ id: 'A-1', team: 'backend', effort_points: 11, ...dates }]) };
    const findings = run(resourceValidator, files, { rulebook }, {}, config);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain(expected);
  });

  it.each([
    ['exactly at capacity', 10, []],
    ['half a point over', 10.5, ['capacity/over']],
  ])('%s', (_name, points, rules) => {
    const files = { 'plans/a/plan.yaml': plan('a'), [A]: backlog([{ id: 'A-1', team: 'backend', effort_points: points, start: '2024-01-02' }]) };
    expect(run(resourceValidator, files, { rulebook }).map((f) => f.rule)).toEqual(rules);
  });

  it('resolves capacity_model to a rulebook name and reports a model that cannot be loaded', () => {
    const findings = run(resourceValidator, FILES, { rulebook }, { capacity_model: 'capacity/ours.yml' });
    expect(names.at(-1)).toBe('ours');
    expect(findings).toEqual([
      { rule: 'capacity/model-missing', severity: 'error', message: 'capacity model "ours" could not be loaded from the rulebook; team capacity was not checked', file: 'rulebook/ours.yaml', plan: 'a' },
    ]);
  });

  it('does nothing without a rulebook loader (plain lint)', () => {
    expect(run(resourceValidator, FILES)).toEqual([]);
  });
});
