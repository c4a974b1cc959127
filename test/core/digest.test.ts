import fc from 'fast-check';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { BacklogVersionParser, decodeTask, decodeVersion, versionProblem } from '../../src/core/digest/backlog_version.js';
import { addDays, dateAt, daysBetween, startOfDate } from '../../src/core/digest/calendar.js';
import { FACT_TYPES, type Facts } from '../../src/core/digest/facts.js';
import { formatTrend, formatValue } from '../../src/core/digest/format.js';
import { compileKpis, kpiStatus, type KpiDefinition } from '../../src/core/digest/kpis.js';
import { escapeInline, escapeTableCell } from '../../src/core/digest/markdown.js';
import { stateChart, xyChart } from '../../src/core/digest/mermaid.js';
import { naturalKey, sortByPlanAndId } from '../../src/core/digest/order.js';
import { mean, median, quantile } from '../../src/core/digest/stats.js';
import { changedLines, emptyTimeline, extendTimeline, restoreTimeline, serializeTimeline, timelineNotes, type BacklogCommit } from '../../src/core/digest/timeline.js';
import { sparkline, trendOf } from '../../src/core/digest/trend.js';
import { elapsedDays, previousWindow, resolveWindow, windowsBefore } from '../../src/core/digest/window.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { parseMermaid } from '../fixtures/digest/parsers.js';

const LIMITS = { maxFileBytes: 1 << 20, maxDepth: 64, maxAliases: 50 };
const BERLIN = { length_days: 14, anchor: '2024-01-01', timezone: 'Europe/Berlin' };
const NOW = Date.parse('2024-03-01T12:00:00Z');

describe('calendar', () => {
  it('finds local midnight in a time zone, across daylight saving changes', () => {
    expect(new Date(startOfDate('Europe/Berlin', '2024-01-15')).toISOString()).toBe('2024-01-14T23:00:00.000Z');
    expect(new Date(startOfDate('Europe/Berlin', '2024-07-15')).toISOString()).toBe('2024-07-14T22:00:00.000Z');
    expect(new Date(startOfDate('Europe/Berlin', '2024-03-31')).toISOString()).toBe('2024-03-30T23:00:00.000Z');
    expect(new Date(startOfDate('Europe/Berlin', '2024-04-01')).toISOString()).toBe('2024-03-31T22:00:00.000Z');
    expect(new Date(startOfDate('America/Los_Angeles', '2024-11-04')).toISOString()).toBe('2024-11-04T08:00:00.000Z');
    expect(new Date(startOfDate('UTC', '2024-02-29')).toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('reads dates in a time zone and does date arithmetic', () => {
    expect(dateAt('Europe/Berlin', Date.parse('2024-01-14T23:30:00Z'))).toBe('2024-01-15');
    expect(dateAt('UTC', Date.parse('2024-01-14T23:30:00Z'))).toBe('2024-01-14');
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
    expect(daysBetween('2024-01-01', '2024-01-15')).toBe(14);
    expect(daysBetween('2024-01-15', '2024-01-01')).toBe(-14);
  });

  it('refuses an unknown time zone as a config error', () => {
    expect(() => dateAt('Mars/Olympus', 0)).toThrow(ConfigError);
  });
});

describe('windows', () => {
  it('names a cycle by its first day and finds it from any date inside it', () => {
    const w = resolveWindow({ cycle: '2024-01-20' }, BERLIN, NOW);
    expect(w).toMatchObject({ id: '2024-01-15', kind: 'cycle', firstDay: '2024-01-15', lastDay: '2024-01-28', days: 14 });
    expect(new Date(w.start).toISOString()).toBe('2024-01-14T23:00:00.000Z');
    expect(new Date(w.end).toISOString()).toBe('2024-01-28T23:00:00.000Z');
    expect(resolveWindow({ cycle: '2023-12-31' }, BERLIN, NOW).id).toBe('2023-12-18');
  });

  it('resolves current and previous against now, and the default is current', () => {
    expect(resolveWindow({}, BERLIN, NOW).id).toBe('2024-02-26');
    expect(resolveWindow({ cycle: 'current' }, BERLIN, NOW).id).toBe('2024-02-26');
    expect(resolveWindow({ cycle: 'previous' }, BERLIN, NOW).id).toBe('2024-02-12');
  });

  it('takes --since/--until as dates in the team zone or as timestamps, half-open', () => {
    const dates = resolveWindow({ since: '2024-01-15', until: '2024-01-29' }, BERLIN, NOW);
    expect(dates).toMatchObject({ id: '2024-01-15..2024-01-29', kind: 'range', firstDay: '2024-01-15', lastDay: '2024-01-28', days: 14 });
    expect(dates.start).toBe(resolveWindow({ cycle: '2024-01-15' }, BERLIN, NOW).start);
    const stamps = resolveWindow({ since: '2024-01-15T00:00:00Z', until: '2024-01-16T12:00:00Z' }, BERLIN, NOW);
    expect(stamps).toMatchObject({ id: '2024-01-15T00:00:00Z..2024-01-16T12:00:00Z', days: 1.5 });
    expect(previousWindow(stamps, BERLIN).id).toBe('2024-01-13T12:00:00Z..2024-01-15T00:00:00Z');
    expect(previousWindow(dates, BERLIN).id).toBe('2024-01-01..2024-01-15');
    expect(resolveWindow({ since: '2024-02-20' }, BERLIN, NOW).id).toBe('2024-02-20..2024-03-02');
  });

  it('lists the windows before, oldest first', () => {
    const w = resolveWindow({ cycle: '2024-01-15' }, BERLIN, NOW);
    expect(windowsBefore(w, 3, BERLIN).map((x) => x.id)).toEqual(['2023-12-04', '2023-12-18', '2024-01-01']);
  });

  it('counts the elapsed days of a running cycle', () => {
    const w = resolveWindow({ cycle: '2024-02-26' }, BERLIN, NOW);
    expect(elapsedDays(w, NOW)).toBe(5);
    expect(elapsedDays(w, w.end + 1)).toBe(14);
  });

  it('refuses bad selections with usage errors', () => {
    expect(() => resolveWindow({ cycle: 'C42' }, BERLIN, NOW)).toThrow(UsageError);
    expect(() => resolveWindow({ cycle: '2024-02-30' }, BERLIN, NOW)).toThrow(UsageError);
    expect(() => resolveWindow({ cycle: 'current', since: '2024-01-01' }, BERLIN, NOW)).toThrow(/either --cycle or --since/);
    expect(() => resolveWindow({ until: '2024-01-01' }, BERLIN, NOW)).toThrow(/--until needs --since/);
    expect(() => resolveWindow({ since: '2024-01-10', until: '2024-01-10' }, BERLIN, NOW)).toThrow(/must be after/);
    expect(() => resolveWindow({ since: '2024-01-10T10:00' }, BERLIN, NOW)).toThrow(/timestamp with a zone/);
    expect(() => resolveWindow({}, { ...BERLIN, length_days: 0 }, NOW)).toThrow(ConfigError);
  });
});

const fastParse = (text: string): string => new BacklogVersionParser(LIMITS).parse('plans/p/be_backlog.yaml', Buffer.from(text));
const wholeParse = (text: string): string => (new BacklogVersionParser(LIMITS) as unknown as { parseWhole(p: string, b: Uint8Array): string }).parseWhole('plans/p/be_backlog.yaml', Buffer.from(text));

describe('backlog versions', () => {
  it('reads the fields a digest needs, defaulting status to todo', () => {
    const text = 'version: "1"\ntasks:\n  - id: T-1\n    title: "First | one"\n    effort_points: 5\n    status: done\n    type: defect\n    priority: P0\n  - id: T-2\n    title: Second\n';
    const { tasks } = decodeVersion(fastParse(text));
    expect(tasks.map(decodeTask)).toEqual([
      { id: 'T-1', title: 'First | one', status: 'done', points: 5, type: 'defect', priority: 'P0' },
      { id: 'T-2', title: 'Second', status: 'todo', points: null, type: null, priority: null },
    ]);
  });

  it('says why a version cannot be read', () => {
    const problem = (text: string): string | undefined => versionProblem(fastParse(text));
    expect(problem('tasks: [\n')).toMatch(/flow sequence|unexpected end|end of the stream/i);
    expect(problem('tasks:\n  - id: A-1\n    id: A-2\n')).toBe('duplicate key "id" (line 3)');
    expect(problem('tasks: 3\n')).toBe('`tasks` is not a list');
    expect(problem('- a\n- b\n')).toMatch(/^not a backlog/);
    expect(problem('<<<<<<< HEAD\ntasks: []\n=======\ntasks: []\n>>>>>>> x\n')).toMatch(/conflict marker/);
    expect(problem(`tasks:\n  - id: "!bang"\n`)).toBeUndefined();
    expect(decodeVersion(fastParse(`tasks:\n  - id: "!bang"\n`)).tasks.map((l) => decodeTask(l).id)).toEqual(['!bang']);
    expect(fastParse('')).toBe('');
    expect(fastParse('tasks: []\n')).toBe('');
  });

  it('keeps anchors, aliases and their limits on the careful path', () => {
    const text = 'defaults: &d\n  status: done\ntasks:\n  - id: A-1\n    title: x\n    status: *d\n';
    expect(fastParse(text)).toBe(wholeParse(text));
  });

  it('reads every layout exactly as the full YAML parser does (property)', () => {
    const scalar = fc.constantFrom('Event bus', '"quoted: yes"', "'single'", 'a # comment', '5', 'done', 'in_progress', '"multi\\nline"', '>-\n      folded\n      text', '|\n      block\n      - not an item', '[1, 2]', '{a: 1}', 'null', '~', '""');
    const key = fc.constantFrom('id', 'title', 'status', 'effort_points', 'type', 'priority', 'description', 'tags');
    const item = fc.record({ id: fc.constantFrom('A-1', 'A-2', 'B-10', '"C-3"'), fields: fc.array(fc.tuple(key, scalar), { maxLength: 4 }), comment: fc.boolean(), blank: fc.boolean(), dash: fc.constantFrom('- ', '-   ') });
    const doc = fc.record({ indent: fc.constantFrom('', '  ', '    '), items: fc.array(item, { maxLength: 6 }), header: fc.constantFrom('', 'version: "1.0.0"\n', '# comment\nversion: 1\n'), trailer: fc.constantFrom('', 'x-note: hi\n', '# end\n', 'version: 2\n') });
    fc.assert(
      fc.property(doc, ({ indent, items, header, trailer }) => {
        const pad = indent + ' '.repeat(2);
        const lines = [header + 'tasks:'];
        for (const it of items) {
          lines.push(`${indent}${it.dash}id: ${it.id}`);
          for (const [k, v] of it.fields) lines.push(`${pad}${k}: ${v}`);
          if (it.comment) lines.push(`${indent}# between items`);
          if (it.blank) lines.push('');
        }
        const text = `${lines.join('\n')}\n${trailer}`;
        expect(fastParse(text)).toBe(wholeParse(text));
      }),
      { numRuns: 600 },
    );
  });

  it('reads successive edited versions with one parser exactly as a full parse does (property)', () => {
    const title = fc.constantFrom('Event bus', 'Zürich rollout', 'a # not a comment?', '"quoted"', 'multi\nline', 'star * here', 'x: y');
    const task = fc.record({ id: fc.constantFrom('A-1', 'A-2', 'A-3', 'B-1', 'B-2'), title, status: fc.constantFrom('todo', 'in_progress', 'done', 'dropped'), points: fc.constantFrom(1, 2, 3, 5, 8), extra: fc.constantFrom('', '    description: |\n      text\n      - dash inside\n', '    tags: {a: 1}\n', '    # note\n', '\n') });
    const render = (tasks: Array<{ id: string; title: string; status: string; points: number; extra: string }>, trailer: string): string =>
      `version: "1"\ntasks:\n${tasks.map((t) => `  - id: ${t.id}\n    title: ${JSON.stringify(t.title)}\n    status: ${t.status}\n    effort_points: ${t.points}\n${t.extra}`).join('')}${trailer}`;
    const edit = fc.record({ at: fc.nat(), task, op: fc.constantFrom('set', 'insert', 'delete', 'trailer', 'garble') });
    fc.assert(
      fc.property(fc.array(task, { maxLength: 5 }), fc.array(edit, { minLength: 1, maxLength: 8 }), fc.string({ maxLength: 6 }), (start, edits, junk) => {
        const incremental = new BacklogVersionParser(LIMITS);
        const tasks = [...start];
        let trailer = '';
        let text = render(tasks, trailer);
        expect(incremental.parse('p', Buffer.from(text))).toBe(wholeParse(text));
        for (const e of edits) {
          const i = tasks.length === 0 ? 0 : e.at % tasks.length;
          if (e.op === 'set' && tasks.length > 0) tasks[i] = e.task;
          else if (e.op === 'insert') tasks.splice(i, 0, e.task);
          else if (e.op === 'delete') tasks.splice(i, 1);
          else if (e.op === 'trailer') trailer = trailer ? '' : 'x-note: after\n';
          text = render(tasks, trailer);
          if (e.op === 'garble') text = text.slice(0, e.at % (text.length + 1)) + junk + text.slice(e.at % (text.length + 1));
          expect(incremental.parse('p', Buffer.from(text)), text).toBe(wholeParse(text));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with js-yaml on the tasks it finds', () => {
    const text = 'tasks:\n- id: A-1\n  title: x\n  effort_points: 2.5\n- id: A-2\n  status: blocked\n  effort_points: -1\n- title: no id\n';
    const value = jsyaml.load(text) as { tasks: Array<{ id?: string }> };
    expect(decodeVersion(fastParse(text)).tasks.map((l) => decodeTask(l).id)).toEqual(value.tasks.filter((t) => t.id).map((t) => t.id));
    expect(decodeVersion(fastParse(text)).tasks.map((l) => decodeTask(l).points)).toEqual([2.5, null]);
  });
});

describe('timeline', () => {
  it('changedLines returns what turns one list into the other (property)', () => {
    const line = fc.constantFrom('a\t1', 'b\t2', 'c\t3', 'a\t9', 'dd\t1', 'e');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(line, { maxLength: 8 }), (x, y) => {
        const [removed, added] = changedLines(x, y);
        const rest: string[] = [...x];
        for (const r of removed) rest.splice(rest.indexOf(r), 1);
        expect([...rest, ...added].sort()).toEqual([...y].sort());
      }),
      { numRuns: 2000 },
    );
  });

  const version = (lines: string[]): string => lines.join('\n');
  const commit = (sha: string, time: string, changes: Array<[string, string | null]>): BacklogCommit => ({ sha: sha.padEnd(40, '0'), time: Date.parse(time), changes: changes.map(([path, blob]) => ({ path, blob })) });

  it('follows tasks across commits and files, notes duplicates, unreadable versions and clock skew', () => {
    const versions: Record<string, string> = {
      v1: version(['A-1\ttodo\t3\t\t\tOne', 'A-2\ttodo\t\t\t\tTwo']),
      v2: version(['A-1\tdone\t3\t\t\tOne']),
      v3: version(['A-2\tin_progress\t\t\t\tTwo', 'A-1\ttodo\t1\t\t\tCopy']),
      bad: '\tduplicate key "id" (line 3)',
    };
    const commits = [
      commit('a1', '2024-01-02T00:00:00Z', [['plans/p/be_backlog.yaml', 'v1']]),
      commit('a2', '2024-01-03T00:00:00Z', [['plans/p/be_backlog.yaml', 'v2'], ['plans/q/be_backlog.yaml', 'v3']]),
      commit('a3', '2024-01-01T00:00:00Z', [['plans/p/be_backlog.yaml', 'bad']]),
      commit('a4', '2024-01-04T00:00:00Z', [['plans/p/be_backlog.yaml', null]]),
    ];
    const t = extendTimeline(emptyTimeline(), commits, (b) => versions[b], 'plans');
    expect(t.commits.map((c) => new Date(c.at).toISOString().slice(0, 10))).toEqual(['2024-01-02', '2024-01-03', '2024-01-03', '2024-01-04']);
    const a1 = t.tasks.get('A-1')!;
    expect(a1.map((c) => [c.commit, c.plan, c.record?.status ?? null])).toEqual([
      [0, 'p', 'todo'],
      [1, 'p', 'done'],
      [3, 'q', 'todo'],
    ]);
    expect(t.tasks.get('A-2')!.map((c) => [c.commit, c.plan, c.record?.status ?? null])).toEqual([
      [0, 'p', 'todo'],
      [1, 'q', 'in_progress'],
    ]);
    const notes = timelineNotes(t);
    expect(notes.some((n) => n.startsWith('task A-1 is in both plans/p/be_backlog.yaml and plans/q/be_backlog.yaml'))).toBe(true);
    expect(notes.some((n) => n.includes('could not be read (duplicate key "id" (line 3)); its previous version stands in for it'))).toBe(true);
    expect(notes.some((n) => n.startsWith('1 commit(s) carry a committer time older'))).toBe(true);
  });

  it('extends a cached timeline to the same result as replaying everything', () => {
    const versions: Record<string, string> = { v1: 'A-1\ttodo\t3\t\t\tOne', v2: 'A-1\tdone\t3\t\t\tOne', v3: 'A-1\tdone\t3\t\t\tOne\nA-2\ttodo\t1\t\t\tTwo' };
    const commits = [commit('b1', '2024-01-02T00:00:00Z', [['plans/p/be_backlog.yaml', 'v1']]), commit('b2', '2024-01-03T00:00:00Z', [['plans/p/be_backlog.yaml', 'v2']]), commit('b3', '2024-01-04T00:00:00Z', [['plans/p/be_backlog.yaml', 'v3']])];
    const whole = extendTimeline(emptyTimeline(), commits, (b) => versions[b], 'plans');
    const cached = JSON.parse(JSON.stringify(serializeTimeline(extendTimeline(emptyTimeline(), commits.slice(0, 2), (b) => versions[b], 'plans'))));
    const extended = extendTimeline(restoreTimeline(cached), commits.slice(2), (b) => versions[b], 'plans');
    expect(serializeTimeline(extended)).toEqual(serializeTimeline(whole));
    expect(extended.tasks.get('A-1')![1]!.record).toEqual(whole.tasks.get('A-1')![1]!.record);
  });
});

const facts = (values: Partial<Facts>): Facts => ({ ...(Object.fromEntries(Object.keys(FACT_TYPES).map((k) => [k, 0])) as Facts), ...values });

describe('KPIs', () => {
  const raw = {
    kpis: {
      velocity: { formula: 'completed_points / cycle_days', unit: 'points_per_day', target: 1.5 },
      cycle: { formula: 'cycle_time_median_days', unit: 'days', target: 3, direction: 'lower_is_better', at_risk_tolerance: 50 },
      rate: { formula: 'gates_total == 0.0 ? null : dyn(gates_passed / gates_total * 100.0)', unit: 'percentage', target: 95, at_risk_tolerance: 5 },
    },
  };

  it('evaluates formulas over the facts; a null fact or result is no data, never 0 or NaN', () => {
    const [velocity, cycle, rate] = compileKpis(raw, 'kpis.yaml');
    expect(velocity!.title).toBe('Velocity');
    expect(velocity!.evaluate(facts({ completed_points: 21, cycle_days: 14 }))).toEqual({ value: 1.5 });
    expect(velocity!.evaluate(facts({ completed_points: null, cycle_days: 14 }))).toEqual({ value: null });
    expect(velocity!.evaluate(facts({ completed_points: 3, cycle_days: 0 }))).toMatchObject({ value: null, error: expect.stringMatching(/finite/) });
    expect(cycle!.evaluate(facts({ cycle_time_median_days: null }))).toEqual({ value: null });
    expect(cycle!.evaluate(facts({ cycle_time_median_days: 2.25 }))).toEqual({ value: 2.25 });
    expect(rate!.evaluate(facts({ gates_total: 0 }))).toEqual({ value: null });
    expect(rate!.evaluate(facts({ gates_total: 3, gates_passed: 1 }))).toEqual({ value: 33.333333 });
  });

  it('refuses formulas that are not CEL or not numbers', () => {
    expect(() => compileKpis({ kpis: { x: { formula: 'completed_points +', unit: 'u', target: 1 } } }, 'kpis.yaml')).toThrow(/kpi x: formula .* is not valid CEL/);
    expect(() => compileKpis({ kpis: { x: { formula: 'no_such_fact * 2.0', unit: 'u', target: 1 } } }, 'kpis.yaml')).toThrow(/Unknown variable/);
    expect(() => compileKpis({ kpis: { x: { formula: 'completed_points > 1.0', unit: 'u', target: 1 } } }, 'kpis.yaml')).toThrow(/yields bool/);
    expect(() => compileKpis({ kpis: { x: { formula: 'completed_points + 1', unit: 'u', target: 1 } } }, 'kpis.yaml')).toThrow(ConfigError);
  });

  it('judges met, at risk and missed in both directions', () => {
    const higher: KpiDefinition = { name: 'h', title: 'H', description: null, formula: '', unit: 'percentage', target: 95, direction: 'higher_is_better', at_risk_tolerance: 5 };
    expect([96, 95, 94, 90.25, 90.24, null].map((v) => kpiStatus(higher, v))).toEqual(['met', 'met', 'at_risk', 'at_risk', 'missed', 'no_data']);
    const lower: KpiDefinition = { ...higher, target: 3, direction: 'lower_is_better', at_risk_tolerance: 10 };
    expect([2, 3, 3.3, 3.31].map((v) => kpiStatus(lower, v))).toEqual(['met', 'met', 'at_risk', 'missed']);
    expect(kpiStatus({ ...higher, target: 0, at_risk_tolerance: 10 }, -0.1)).toBe('missed');
  });

  it('compiles the shipped seed §7.1 KPIs', async () => {
    const { readFileSync } = await import('node:fs');
    const shipped = jsyaml.load(readFileSync(new URL('../../rulebook/kpis.yaml', import.meta.url), 'utf8'));
    expect(compileKpis(shipped, 'rulebook/kpis.yaml').map((k) => k.name)).toEqual(['planning_velocity', 'quality_gate_pass_rate', 'handoff_success_rate', 'cycle_time', 'defect_escape_rate']);
  });
});

describe('statistics, trends and sparklines', () => {
  it('answers null for an empty sample and interpolates quantiles', () => {
    expect([mean([]), median([]), quantile([], 0.85)]).toEqual([null, null, null]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.85)).toBeCloseTo(8.65);
  });

  it('compares with the mean of the previous cycles that have data', () => {
    expect(trendOf(10, [null, 4, 6], 'higher_is_better')).toEqual({ previous_mean: 5, cycles: 2, delta: 5, direction: 'up', better: true });
    expect(trendOf(4, [5], 'lower_is_better')).toMatchObject({ direction: 'down', better: true });
    expect(trendOf(5, [5], 'lower_is_better')).toMatchObject({ direction: 'flat', better: null });
    expect(trendOf(null, [1, 2], 'higher_is_better')).toBeNull();
    expect(trendOf(3, [null, null], 'higher_is_better')).toBeNull();
  });

  it('draws sparklines with a dot for no data', () => {
    expect(sparkline([1, 2, 3, 8])).toBe('▁▂▃█');
    expect(sparkline([null, 2, null, 2])).toBe('·▄·▄');
    expect(sparkline([null, null])).toBe('··');
  });
});

describe('formatting and escaping', () => {
  it('formats values with units and "no data"', () => {
    expect(formatValue(95, 'percentage')).toBe('95%');
    expect(formatValue(95.44, 'percentage')).toBe('95.4%');
    expect(formatValue(0.785714, 'points_per_day')).toBe('0.79 pts/day');
    expect(formatValue(1, 'days')).toBe('1 day');
    expect(formatValue(3, 'widgets_made')).toBe('3 widgets made');
    expect(formatValue(null, 'days')).toBe('no data');
    expect(formatValue(Number.NaN, 'days')).toBe('no data');
    expect(formatTrend({ previous_mean: 100, cycles: 1, delta: -5, direction: 'down', better: false }, 'percentage')).toBe('▼ −5 pp (worse) vs 100%');
    expect(formatTrend(null, 'days')).toBe('no data');
  });

  it('escapes table cells: pipes, line breaks, markup', () => {
    expect(escapeTableCell('a|b')).toBe('a\\|b');
    expect(escapeTableCell('one\ntwo\r\nthree')).toBe('one<br>two<br>three');
    expect(escapeTableCell('<script> & \\|')).toBe('&lt;script&gt; &amp; \\\\\\|');
    expect(escapeTableCell(null)).toBe('');
    expect(escapeInline('a\n  b <i>')).toBe('a b &lt;i&gt;');
  });

  it('orders ids naturally', () => {
    expect(['A-10', 'A-2', 'A-1'].sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : 1))).toEqual(['A-1', 'A-2', 'A-10']);
    expect(sortByPlanAndId([{ plan: 'b', id: 'X-1' }, { plan: 'a', id: 'X-10' }, { plan: 'a', id: 'X-9' }]).map((r) => `${r.plan}/${r.id}`)).toEqual(['a/X-9', 'a/X-10', 'b/X-1']);
  });
});

describe('Mermaid sources', () => {
  it('are valid xychart-beta and stateDiagram-v2 for the mermaid parser, whatever the names', async () => {
    const xy = xyChart('Velocity "quoted"', ['2024-01-01', 'a "b"'], 'points', [{ kind: 'bar', values: [4, 11.5] }, { kind: 'line', values: [0, 3] }]);
    expect(xy).toContain('y-axis "points" 0 --> 20');
    expect((await parseMermaid(xy)).diagramType).toBe('xychart');
    const state = stateChart([
      { from: null, to: 'todo', label: '2' },
      { from: 'todo', to: 'in progress; x', label: 'a: b; c # d' },
      { from: 'in progress; x', to: 'end', label: '1' },
      { from: 'end', to: null, label: '1' },
      { from: 'end', to: '```\nclosing the fence', label: '`1`' },
    ]);
    expect(state).not.toContain('`');
    expect((await parseMermaid(state)).diagramType).toBe('stateDiagram');
    expect(xyChart('Empty', ['a'], 'points', [{ kind: 'bar', values: [0] }])).toContain('0 --> 1');
  });
});
