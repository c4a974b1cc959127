import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeRepo, runPlan, tempRepo, writeFiles } from '../helpers.js';
import { buildDigestHistory, commitAt } from '../fixtures/digest/history.js';
import { mermaidBlocks, parseMermaid, parsePrometheus } from '../fixtures/digest/parsers.js';

let template: { root: string; commits: string[] };
const made: string[] = [];

beforeAll(() => {
  template = buildDigestHistory();
  made.push(template.root);
});

afterAll(() => {
  for (const dir of made) removeRepo(dir);
});

function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plan-digest-copy-'));
  cpSync(template.root, dir, { recursive: true });
  made.push(dir);
  return dir;
}

function digestJson(cwd: string, args: string[]): Record<string, any> {
  const result = runPlan(cwd, ['digest', '--format', 'json', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

const ids = (rows: Array<{ id: string }>): string[] => rows.map((r) => r.id);
const withoutTime = (text: string): string => text.replace(/"generated_at": "[^"]+"/, '').replace(/generated \S+ by/, '').replace(/plan_digest_generated_timestamp_seconds\{[^}]*\} \S+/, '');

describe('plan digest: the acceptance history', () => {
  it('gives exactly the expected numbers in --format json', () => {
    const d = digestJson(template.root, ['--cycle', '2024-01-15']);
    const c = template.commits;
    expect(d.cycle).toEqual({
      id: '2024-01-15',
      kind: 'cycle',
      start: '2024-01-14T23:00:00Z',
      end: '2024-01-28T23:00:00Z',
      first_day: '2024-01-15',
      last_day: '2024-01-28',
      days: 14,
      elapsed_days: 14,
      timezone: 'Europe/Berlin',
      in_progress: false,
      commits: 9,
      start_commit: c[4],
      end_commit: c[13],
    });
    expect(d.facts).toEqual({
      cycle_days: 14,
      tasks_committed: 5,
      points_committed: 21,
      tasks_added: 2,
      points_added: 7,
      tasks_removed: 1,
      points_removed: 8,
      tasks_reestimated: 1,
      points_reestimated: 3,
      tasks_reopened: 1,
      reopens: 1,
      tasks_in_cycle: 8,
      tasks_completed: 3,
      completed_points: 11,
      tasks_carried_over: 4,
      points_carried_over: 15,
      tasks_total: 8,
      completion_days_total: 33.520833,
      cycle_time_mean_days: 11.173611,
      cycle_time_median_days: 13.041667,
      cycle_time_p85_days: 13.041667,
      defects_found: 1,
      defects_escaped: 1,
      gates_total: 20,
      gates_passed: 19,
      gates_failed: 1,
      handoffs_total: 0,
      handoffs_verified: 0,
      transitions: 37,
      critical_issues: 1,
    });
    expect(d.executive).toEqual({ cycle_days: 14, tasks_completed: 3, tasks_planned: 7, completion_rate: 42.857143, points_completed: 11, quality_gate_pass_rate: 95, critical_issues: 1 });

    // done inside the window (A-1, A-2, reopened A-6); A-5 was done before it, A-7 after it (00:30 on 01-29 in Berlin)
    expect(d.completed.map((t: any) => [t.id, t.points, t.done_at, t.cycle_time_days, t.started_from, t.reopens])).toEqual([
      ['A-1', 5, '2024-01-16', 13 + 1 / 24, 'in_progress', 0],
      ['A-2', 3, '2024-01-22', 7.4375, 'in_progress', 0],
      ['A-6', 3, '2024-01-23', 13 + 1 / 24, 'in_progress', 1],
    ]);
    expect(d.cycle_time).toEqual({ samples: 3, mean_days: 11.173611, median_days: 13.041667, p85_days: 13.041667, reopens: 1, started_when_added: 0 });
    expect(d.scope.committed).toEqual({ tasks: 5, points: 21 });
    expect(ids(d.scope.added)).toEqual(['A-7', 'B-2']);
    expect(d.scope.removed.map((t: any) => [t.id, t.points, t.reason])).toEqual([['A-3', 8, 'dropped']]);
    expect(d.scope.reestimated.map((t: any) => [t.id, t.from, t.to])).toEqual([['A-4', 2, 5]]);
    expect(ids(d.scope.reopened_into)).toEqual(['A-6']);
    expect(d.carried_over.map((t: any) => [t.id, t.status, t.points])).toEqual([
      ['A-4', 'todo', 5],
      ['A-7', 'in_progress', 5],
      ['B-1', 'todo', 3],
      ['B-2', 'todo', 2],
    ]);
    expect(d.reopened.map((t: any) => [t.id, t.times, t.status])).toEqual([['A-6', 1, 'done']]);
    expect(ids(d.defects.escaped)).toEqual(['B-2']);
    expect(d.critical_issues).toEqual([{ kind: 'defect_escaped', message: 'P0 defect B-2 (Invoices rounded wrong) appeared in beta after execution began' }]);

    expect(d.gates.by_gate).toEqual([
      { gate: 'cross_stream_consistency', runs: 1, passed: 0, failed: 1, pass_rate: 0 },
      { gate: 'parity_coverage', runs: 9, passed: 9, failed: 0, pass_rate: 100 },
      { gate: 'schema_lint', runs: 10, passed: 10, failed: 0, pass_rate: 100 },
    ]);
    expect(d.gates.failures).toEqual([{ plan: 'alpha', gate: 'cross_stream_consistency', event: 'package_artifacts', timestamp: '2024-01-17T09:00:00Z', passed: false, failed: ['timeline_checker'] }]);
    expect(d.transitions.tasks).toEqual([
      { from: 'in_progress', to: 'done', count: 3 },
      { from: null, to: 'todo', count: 2 },
      { from: 'todo', to: 'in_progress', count: 2 },
      { from: 'done', to: 'in_progress', count: 1 },
      { from: 'todo', to: 'dropped', count: 1 },
    ]);
    expect(d.transitions.lifecycle.map((t: any) => [t.from, t.to, t.event, t.count])).toEqual([
      ['PLANNED', 'READY_FOR_HANDOFF', 'validate_complete', 10],
      ['EXECUTED', 'PACKAGED', 'execution_failed', 9],
      ['PACKAGED', 'EXECUTED', 'begin_execution', 9],
      ['READY_FOR_HANDOFF', 'PLANNED', 'validation_failed', 9],
    ]);
    expect(d.history.map((h: any) => [h.cycle, h.has_data, h.completed_points])).toEqual([
      ['2023-10-23', false, null],
      ['2023-11-06', false, null],
      ['2023-11-20', false, null],
      ['2023-12-04', false, null],
      ['2023-12-18', false, null],
      ['2024-01-01', true, 4],
      ['2024-01-15', true, 11],
    ]);
    expect(d.notes).toEqual(['Backlog history covers only 1 of the previous 3 cycles; trends compare with that one.']);
  });

  it('draws the burndown from the open points at each local midnight', () => {
    const d = digestJson(template.root, ['--cycle', '2024-01-15']);
    expect(d.charts.burndown).toContain('x-axis ["01-15", "01-16", "01-17", "01-18", "01-19", "01-20", "01-21", "01-22", "01-23", "01-24", "01-25", "01-26", "01-27", "01-28", "end"]');
    expect(d.charts.burndown).toContain('line [21, 21, 16, 23, 15, 18, 21, 21, 18, 15, 15, 15, 15, 15, 15]');
    expect(d.charts.velocity).toContain('x-axis ["2024-01-01", "2024-01-15"]');
    expect(d.charts.velocity).toContain('bar [4, 11]');
  });

  it('shows every KPI of seed §7.1 with target, actual, status and a trend against the previous cycles', () => {
    const d = digestJson(template.root, ['--cycle', '2024-01-15']);
    expect(d.kpis.map((k: any) => [k.name, k.unit, k.target, k.direction, k.actual, k.status, k.sparkline])).toEqual([
      ['planning_velocity', 'points_per_day', 1.5, 'higher_is_better', 0.785714, 'missed', '··▁█'],
      ['quality_gate_pass_rate', 'percentage', 95, 'higher_is_better', 95, 'met', '··█▁'],
      ['handoff_success_rate', 'percentage', 100, 'higher_is_better', null, 'no_data', '····'],
      ['cycle_time', 'days', 3, 'lower_is_better', 11.173611, 'missed', '··▁█'],
      ['defect_escape_rate', 'percentage', 5, 'lower_is_better', 12.5, 'missed', '··▁█'],
    ]);
    expect(d.kpis[0].trend).toEqual({ previous_mean: 0.285714, cycles: 1, delta: 0.5, direction: 'up', better: true });
    expect(d.kpis[1].previous).toEqual([
      { cycle: '2023-12-04', value: null },
      { cycle: '2023-12-18', value: null },
      { cycle: '2024-01-01', value: 100 },
    ]);
    expect(d.kpis[2].trend).toBeNull();

    const md = runPlan(template.root, ['digest', '--cycle', '2024-01-15']).stdout;
    expect(md).toContain('| Metric | Target | Actual | Status | Trend vs previous 3 cycles | History |');
    expect(md).toContain('| Planning Velocity | ≥ 1.5 pts/day | 0.79 pts/day | ❌ missed | ▲ +0.5 pts/day (better) vs 0.29 pts/day | `··▁█` |');
    expect(md).toContain('| Quality Gate Pass Rate | ≥ 95% | 95% | ✅ met | ▼ −5 pp (worse) vs 100% | `··█▁` |');
    expect(md).toContain('| Handoff Success Rate | ≥ 100% | no data | ➖ no data | no data | `····` |');
    expect(md).toContain('| Cycle Time | ≤ 3 days | 11.17 days | ❌ missed | ▲ +9.17 days (worse) vs 2 days | `··▁█` |');
    expect(md).toContain('| Defect Escape Rate | ≤ 5% | 12.5% | ❌ missed | ▲ +12.5 pp (worse) vs 0% | `··▁█` |');
    expect(md).not.toMatch(/NaN|undefined|\[object Object\]/);
  });

  it('renders Markdown whose every Mermaid block parses with the mermaid parser', async () => {
    const md = runPlan(template.root, ['digest', '--cycle', '2024-01-15']).stdout;
    const blocks = mermaidBlocks(md);
    expect(blocks.map((b) => b.split('\n')[0])).toEqual(['xychart-beta', 'xychart-beta', 'stateDiagram-v2', 'stateDiagram-v2']);
    for (const block of blocks) expect((await parseMermaid(block)).diagramType).toMatch(/^(xychart|stateDiagram)$/);
    for (const heading of ['## Executive Metrics', '## KPI Summary', '## Scope Changes', '## Completed', '## Carried Over', '## Reopened', '## Gate Failures', '## Handoffs', '## Transitions', '## Critical Issues', '## Data Quality']) expect(md).toContain(heading);
    expect(md.startsWith('# Planning Cycle Digest - 2024-01-15\n')).toBe(true);
  });

  it('escapes table cells', () => {
    const md = runPlan(template.root, ['digest', '--cycle', '2024-01-15']).stdout;
    expect(md).toContain('| A-4 | alpha | Escape \\| pipes in cells | 5 |');
    for (const line of md.split('\n').filter((l) => l.startsWith('| A-4 '))) expect(line.split(/(?<!\\)\|/).length).toBe(line.startsWith('| A-4 | alpha | Escape \\| pipes in cells | 2 | 5 |') ? 7 : 8);
  });

  it('writes OpenMetrics that parses, holds only gauges, never NaN, and ends with # EOF', async () => {
    const result = runPlan(template.root, ['digest', '--cycle', '2024-01-15', '--format', 'openmetrics']);
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text).not.toMatch(/NaN|Inf/);
    const families = await parsePrometheus(text);
    expect(families.every((f) => f.type === 'GAUGE')).toBe(true);
    const value = (name: string, labels: Record<string, string>): string | undefined => families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    expect(value('plan_digest_kpi_value', { kpi: 'planning_velocity' })).toBe('0.785714');
    expect(value('plan_digest_kpi_value', { kpi: 'handoff_success_rate' })).toBeUndefined();
    expect(value('plan_digest_kpi_status', { kpi: 'handoff_success_rate', status: 'no_data' })).toBe('1');
    expect(value('plan_digest_kpi_status', { kpi: 'quality_gate_pass_rate', status: 'met' })).toBe('1');
    expect(value('plan_digest_kpi_target', { kpi: 'cycle_time' })).toBe('3');
    expect(value('plan_digest_tasks', { category: 'completed', cycle: '2024-01-15' })).toBe('3');
    expect(value('plan_digest_cycle_time_days', { statistic: 'p85' })).toBe('13.041667');
    // the exposition rules node_exporter's textfile collector and OpenMetrics share
    const lines = text.trimEnd().split('\n');
    const declared = new Set<string>();
    for (const line of lines.slice(0, -1)) {
      const meta = /^# (TYPE|UNIT|HELP) ([a-zA-Z_:][a-zA-Z0-9_:]*) /.exec(line);
      if (meta) {
        if (meta[1] === 'TYPE') {
          expect(declared.has(meta[2]!)).toBe(false);
          declared.add(meta[2]!);
        }
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\} (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
      expect(sample, line).not.toBeNull();
      expect(declared.has(sample![1]!)).toBe(true);
    }
  });

  it('is the same through --since/--until dates as through the cycle, and through any date inside it', () => {
    const cycle = digestJson(template.root, ['--cycle', '2024-01-15']);
    const inside = digestJson(template.root, ['--cycle', '2024-01-27']);
    const range = digestJson(template.root, ['--since', '2024-01-15', '--until', '2024-01-29']);
    expect(inside.facts).toEqual(cycle.facts);
    expect(range.cycle).toMatchObject({ id: '2024-01-15..2024-01-29', kind: 'range', start: cycle.cycle.start, end: cycle.cycle.end });
    expect(range.facts).toEqual(cycle.facts);
    expect(range.kpis.map((k: any) => k.trend)).toEqual(cycle.kpis.map((k: any) => k.trend));
  });

  it('counts the window half-open: UTC timestamps move c6 out and c15 in', () => {
    const d = digestJson(template.root, ['--since', '2024-01-15T00:00:00Z', '--until', '2024-01-29T00:00:00Z']);
    expect(d.cycle).toMatchObject({ id: '2024-01-15T00:00:00Z..2024-01-29T00:00:00Z', commits: 9, start_commit: template.commits[5], end_commit: template.commits[14] });
    expect(ids(d.completed)).toEqual(['A-1', 'A-2', 'A-6', 'A-7']);
    expect(d.facts).toMatchObject({ tasks_completed: 4, completed_points: 16, tasks_carried_over: 3, tasks_committed: 5 });
    // A-2 started at c6, before this window: its cycle time still counts from there
    expect(d.completed.find((t: any) => t.id === 'A-2').cycle_time_days).toBe(7.4375);
  });

  it('reports a cycle in progress, and cycles before any history as no data', () => {
    const now = digestJson(template.root, []);
    expect(now.cycle.in_progress).toBe(true);
    expect(now.notes.some((n: string) => n.startsWith('The cycle is in progress'))).toBe(true);
    const before = digestJson(template.root, ['--cycle', '2023-06-01']);
    expect(before.facts.tasks_completed).toBeNull();
    expect(before.kpis.map((k: any) => k.status)).toEqual(['no_data', 'no_data', 'no_data', 'no_data', 'no_data']);
    expect(before.notes).toContain('No backlog file was committed before the end of this cycle: task figures are no data.');
    const md = runPlan(template.root, ['digest', '--cycle', '2023-06-01']).stdout;
    expect(md).toContain('- **Tasks Completed**: no data');
    expect(md).not.toMatch(/NaN|undefined/);
  });

  it('gives the same output with a cold cache, a warm one, and one extended by new commits', () => {
    const dir = copy();
    const cache = join(dir, '.git', 'plan', 'cache');
    rmSync(cache, { recursive: true, force: true });
    const cold = runPlan(dir, ['digest', '--cycle', '2024-01-15', '--format', 'json']).stdout;
    expect(existsSync(join(cache, 'digest-timeline.json'))).toBe(true);
    expect(existsSync(join(cache, 'digest-backlogs.json'))).toBe(true);
    const warm = runPlan(dir, ['digest', '--cycle', '2024-01-15', '--format', 'json']).stdout;
    expect(withoutTime(warm)).toBe(withoutTime(cold));

    writeFiles(dir, { 'plans/alpha/be_backlog.yaml': readFileSync(join(dir, 'plans/alpha/be_backlog.yaml'), 'utf8').replace('id: A-4\n    title: "Escape | pipes in cells"\n    effort_points: 5\n    status: todo', 'id: A-4\n    title: "Escape | pipes in cells"\n    effort_points: 5\n    status: done') });
    commitAt(dir, '2024-01-30T10:00:00Z', 'c16');
    const extended = runPlan(dir, ['digest', '--cycle', '2024-01-29', '--format', 'json']).stdout;
    rmSync(cache, { recursive: true, force: true });
    const rebuilt = runPlan(dir, ['digest', '--cycle', '2024-01-29', '--format', 'json']).stdout;
    expect(withoutTime(extended)).toBe(withoutTime(rebuilt));
    expect(JSON.parse(rebuilt).completed.map((t: any) => t.id)).toEqual(['A-4', 'A-7']);

    // a rewritten history is noticed: the cached commit is no longer on the chain
    execFileSync('git', ['reset', '-q', '--hard', template.commits[13]!], { cwd: dir });
    const afterReset = runPlan(dir, ['digest', '--cycle', '2024-01-15', '--format', 'json']).stdout;
    rmSync(cache, { recursive: true, force: true });
    expect(withoutTime(afterReset)).toBe(withoutTime(runPlan(dir, ['digest', '--cycle', '2024-01-15', '--format', 'json']).stdout));
  });

  it('writes --out atomically, naming the file after the cycle', () => {
    const dir = copy();
    const result = runPlan(dir, ['digest', '--cycle', '2024-01-15', '--out', '.plan/digests/{cycle}.md']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('wrote .plan/digests/2024-01-15.md: cycle 2024-01-15, KPIs 1 met, 0 at risk, 3 missed, 1 no data\n');
    expect(readFileSync(join(dir, '.plan/digests/2024-01-15.md'), 'utf8')).toContain('# Planning Cycle Digest - 2024-01-15');
  });

  it('renders with the repository\'s own templates when it has them', () => {
    const dir = copy();
    writeFiles(dir, { 'rulebook/templates/digest/digest.md.hbs': '# {{title}}\n{{#each kpis}}- {{name}}: {{value actual unit}} ({{status status}})\n{{/each}}{{> _tasks tasks=completed}}\n' });
    const md = runPlan(dir, ['digest', '--cycle', '2024-01-15']).stdout;
    expect(md).toContain('- planning_velocity: 0.79 pts/day (❌ missed)\n');
    expect(md).toContain('| A-6 | alpha | Rate limiter | 3 |');
  });
});

describe('plan digest: large backlogs', () => {
  it('reads backlog versions far larger than a pipe buffer', () => {
    const dir = tempRepo('plan-digest-large-');
    made.push(dir);
    const backlog = (status: string): string => `tasks:\n${Array.from({ length: 3000 }, (_, i) => `  - id: L-${i + 1}\n    title: "Task ${i + 1} ${'x'.repeat(60)}"\n    effort_points: 1\n    status: ${i < 1000 ? status : 'todo'}\n`).join('')}`;
    writeFiles(dir, { 'plan.config.yaml': 'cycle:\n  length_days: 7\n  anchor: "2024-01-01"\n  timezone: UTC\n', 'plans/big/be_backlog.yaml': backlog('todo') });
    commitAt(dir, '2024-01-01T10:00:00Z', 'big');
    writeFiles(dir, { 'plans/big/be_backlog.yaml': backlog('done') });
    commitAt(dir, '2024-01-02T10:00:00Z', 'done');
    const d = digestJson(dir, ['--cycle', '2024-01-01']);
    expect(d.facts).toMatchObject({ tasks_total: 3000, tasks_completed: 1000, completed_points: 1000, tasks_carried_over: 2000 });
  });
});

describe('plan digest: refusals', () => {
  it('refuses a shallow clone with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-digest-shallow-'));
    made.push(dir);
    execFileSync('git', ['clone', '-q', '--depth', '2', `file://${template.root}`, join(dir, 'clone')]);
    const result = runPlan(join(dir, 'clone'), ['digest', '--cycle', '2024-01-15']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^plan: this is a shallow clone: .*git fetch --unshallow/);
  });

  it('refuses bad flags with exit 2 and one line', () => {
    for (const args of [['--cycle', 'someday'], ['--cycle', 'current', '--since', '2024-01-01'], ['--since', 'yesterday'], ['--until', '2024-01-01'], ['--format', 'pdf']]) {
      const result = runPlan(template.root, ['digest', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n').length, result.stderr).toBeLessThanOrEqual(2);
    }
  });

  it('refuses a kpis.yaml whose formula is not CEL, naming the file', () => {
    const dir = copy();
    writeFiles(dir, { 'rulebook/kpis.yaml': 'kpis:\n  broken:\n    formula: "completed_points +"\n    unit: days\n    target: 1\n' });
    const result = runPlan(dir, ['digest', '--cycle', '2024-01-15']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^plan: rulebook\/kpis\.yaml: kpi broken: formula "completed_points \+" is not valid CEL/);
  });

  it('works before the first commit, with no data', () => {
    const dir = tempRepo('plan-digest-empty-');
    made.push(dir);
    const d = digestJson(dir, ['--cycle', '2024-01-15']);
    expect(d.facts.tasks_completed).toBeNull();
    expect(d.cycle.start_commit).toBeNull();
  });
});
