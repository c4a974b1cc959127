/**
 * The lifecycle's pure core, without git or a disk: the state machine built from
 * rulebook/lifecycle.yaml, resolution of what the user asked for, the state file's line format,
 * the lenient event-log parser, and `plan doctor`'s diagnosis of crafted inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diagnose, type DoctorInput } from '../../src/core/doctor.js';
import { ConfigError, PlanError } from '../../src/core/errors.js';
import { compareEvents, makeEvent, parseEventLog, serializeEvent, type PlanningEvent } from '../../src/core/events.js';
import type { Finding } from '../../src/core/finding.js';
import { allowedFrom, buildLifecycle, resolveTransition, type Lifecycle, type TransitionDef } from '../../src/core/lifecycle.js';
import { parseState, serializeState, STATE_HEADER, type PlanState, type StateFile } from '../../src/core/state.js';
import { PROJECT_ROOT } from '../helpers.js';

const LIFECYCLE_FILE = 'rulebook/lifecycle.yaml';
const SHIPPED_RAW = parse(readFileSync(join(PROJECT_ROOT, LIFECYCLE_FILE), 'utf8')) as Record<string, unknown>;
const shipped = (): Lifecycle => buildLifecycle(structuredClone(SHIPPED_RAW), LIFECYCLE_FILE);

/** The seed's §3.1 diagram, as DESIGN §3 tabulates it. */
const SEED_TABLE: Array<[string | null, string, string, string | undefined]> = [
  [null, 'create_plan', 'PLANNED', undefined],
  ['PLANNED', 'update_plan', 'PLANNED', undefined],
  ['PLANNED', 'validate_complete', 'READY_FOR_HANDOFF', 'schema_lint'],
  ['READY_FOR_HANDOFF', 'validation_failed', 'PLANNED', undefined],
  ['READY_FOR_HANDOFF', 'package_artifacts', 'PACKAGED', 'cross_stream_consistency'],
  ['PACKAGED', 'begin_execution', 'EXECUTED', 'parity_coverage'],
  ['EXECUTED', 'execution_failed', 'PACKAGED', undefined],
  ['EXECUTED', 'validate_results', 'VALIDATED', undefined],
  ['VALIDATED', 'validation_failed', 'EXECUTED', undefined],
  ['VALIDATED', 'analyze_metrics', 'IMPROVE', undefined],
  ['IMPROVE', 'cycle_complete', 'CLOSED', undefined],
];

/** A small valid lifecycle: (none) -create-> A -go-> B -finish-> DONE (terminal), B -back-> A. */
function small(): { initial_event: string; states: Record<string, { terminal?: boolean } | null>; transitions: TransitionDef[] } {
  return {
    initial_event: 'create',
    states: { A: null, B: {}, DONE: { terminal: true } },
    transitions: [
      { from: null, event: 'create', to: 'A' },
      { from: 'A', event: 'go', to: 'B' },
      { from: 'B', event: 'back', to: 'A' },
      { from: 'B', event: 'finish', to: 'DONE' },
    ],
  };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return error as PlanError;
  }
  throw new Error('expected a PlanError, nothing was thrown');
}

describe('buildLifecycle', () => {
  it('builds the shipped rulebook/lifecycle.yaml: the seed diagram, CLOSED terminal', () => {
    const lifecycle = shipped();
    expect(lifecycle.initialEvent).toBe('create_plan');
    expect([...lifecycle.states.keys()].sort()).toEqual(['CLOSED', 'EXECUTED', 'IMPROVE', 'PACKAGED', 'PLANNED', 'READY_FOR_HANDOFF', 'VALIDATED']);
    expect([...lifecycle.states].filter(([, s]) => s.terminal).map(([name]) => name)).toEqual(['CLOSED']);
    const table = lifecycle.transitions.map((t) => [t.from, t.event, t.to, t.gate]);
    expect(table).toEqual(expect.arrayContaining(SEED_TABLE));
    expect(table).toHaveLength(SEED_TABLE.length);
  });

  it('accepts the small lifecycle the invalid variants below start from', () => {
    const lifecycle = buildLifecycle(small(), 'x.yaml');
    expect(lifecycle.transitions).toHaveLength(4);
    expect(lifecycle.states.get('A')).toMatchObject({ terminal: false });
  });

  it.each<[string, (raw: ReturnType<typeof small>) => void, RegExp]>([
    ['a transition naming an unknown target state', (raw) => raw.transitions.push({ from: 'A', event: 'jump', to: 'NOWHERE' }), /unknown state NOWHERE/],
    ['a transition naming an unknown source state', (raw) => raw.transitions.push({ from: 'LIMBO', event: 'jump', to: 'A' }), /unknown state LIMBO/],
    ['an event ambiguous from one state', (raw) => raw.transitions.push({ from: 'A', event: 'go', to: 'DONE' }), /event go is ambiguous from A/],
    ['an unreachable state', (raw) => (raw.states['ORPHAN'] = {}), /unreachable state ORPHAN/],
    ['a terminal state with an outgoing transition', (raw) => raw.transitions.push({ from: 'DONE', event: 'reopen', to: 'A' }), /terminal state DONE has an outgoing transition reopen/],
    ['no creating transition', (raw) => (raw.transitions = raw.transitions.filter((t) => t.from !== null)), /exactly one transition must start from null/],
    ['two creating transitions', (raw) => raw.transitions.push({ from: null, event: 'create_b', to: 'B' }), /exactly one transition must start from null/],
    ['a creating transition whose event is not the initial event', (raw) => (raw.initial_event = 'make'), /initial event make/],
  ])('rejects %s with a ConfigError naming the problem and the file', (_name, mutate, message) => {
    const raw = small();
    mutate(raw);
    const error = configError(() => buildLifecycle(raw, 'rulebook/lifecycle.yaml'));
    expect(error.message).toMatch(/invalid lifecycle/);
    expect(error.message).toMatch(message);
    expect(error.location.file).toBe('rulebook/lifecycle.yaml');
    expect(error.exitCode).toBe(2);
  });

  it('rejects the shipped lifecycle with a dangling state added', () => {
    const raw = structuredClone(SHIPPED_RAW) as { states: Record<string, unknown> };
    raw.states['ARCHIVED'] = { description: 'never reached' };
    expect(configError(() => buildLifecycle(raw, LIFECYCLE_FILE)).message).toMatch(/unreachable state ARCHIVED/);
  });
});

describe('resolveTransition', () => {
  const lifecycle = shipped();
  const ok = (current: string | null, wanted: string): TransitionDef => {
    const r = resolveTransition(lifecycle, current, wanted);
    if (!r.ok) throw new Error(`expected ${wanted} to resolve from ${current}: ${r.reason}`);
    return r.transition;
  };

  it.each(SEED_TABLE)('by event: %s --%s--> %s', (from, event, to) => {
    expect(ok(from, event)).toMatchObject({ from, event, to });
  });

  it('by target state: the one transition that reaches it', () => {
    expect(ok('PLANNED', 'READY_FOR_HANDOFF')).toMatchObject({ event: 'validate_complete', gate: 'schema_lint' });
    expect(ok('READY_FOR_HANDOFF', 'PACKAGED')).toMatchObject({ event: 'package_artifacts' });
    expect(ok('PLANNED', 'PLANNED')).toMatchObject({ event: 'update_plan' });
    expect(ok(null, 'PLANNED')).toMatchObject({ event: 'create_plan' });
  });

  it('the same event name leads where the current state says (validation_failed)', () => {
    expect(ok('READY_FOR_HANDOFF', 'validation_failed').to).toBe('PLANNED');
    expect(ok('VALIDATED', 'validation_failed').to).toBe('EXECUTED');
    expect(ok('VALIDATED', 'EXECUTED').event).toBe('validation_failed');
  });

  it('refuses a target state reached by several events from the current state, naming them', () => {
    const raw = small();
    raw.transitions.push({ from: 'A', event: 'rush', to: 'B' });
    const twoWays = buildLifecycle(raw, 'x.yaml');
    const r = resolveTransition(twoWays, 'A', 'B');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/B is reached from A by several events \(go, rush\); name the event/);
    expect(r.allowed.map((t) => t.event)).toEqual(['go', 'rush']);
    // each event still resolves on its own
    expect(resolveTransition(twoWays, 'A', 'rush')).toMatchObject({ ok: true, transition: { event: 'rush', to: 'B' } });
  });

  it.each([
    ['PLANNED', 'cycle_complete', 'cycle_complete is not allowed from PLANNED', ['update_plan', 'validate_complete']],
    ['PLANNED', 'CLOSED', 'CLOSED is not allowed from PLANNED', ['update_plan', 'validate_complete']],
    ['PLANNED', 'create_plan', 'create_plan is not allowed from PLANNED', ['update_plan', 'validate_complete']],
    ['CLOSED', 'update_plan', 'update_plan is not allowed from CLOSED', []],
    [null, 'validate_complete', 'validate_complete is not allowed from no state', ['create_plan']],
  ])('refuses what is not allowed: from %s, %s', (current, wanted, reason, allowed) => {
    const r = resolveTransition(lifecycle, current, wanted);
    expect(r).toMatchObject({ ok: false, reason });
    expect(r.ok ? [] : r.allowed.map((t) => t.event)).toEqual(allowed);
  });

  it('refuses an unknown name, listing what is allowed', () => {
    const r = resolveTransition(lifecycle, 'EXECUTED', 'bogus_event');
    expect(r).toMatchObject({ ok: false, reason: 'unknown event or state "bogus_event"' });
    expect(r.ok ? [] : r.allowed.map((t) => t.event)).toEqual(['execution_failed', 'validate_results']);
    // names are case-sensitive: a lower-case state is not a state
    expect(resolveTransition(lifecycle, 'PLANNED', 'ready_for_handoff')).toMatchObject({ ok: false, reason: 'unknown event or state "ready_for_handoff"' });
  });

  it('allowedFrom lists exactly the transitions of the table from each state', () => {
    for (const state of [null, ...lifecycle.states.keys()]) {
      const expected = SEED_TABLE.filter(([from]) => from === state).map(([, event]) => event);
      expect(allowedFrom(lifecycle, state).map((t) => t.event)).toEqual(expected);
    }
  });
});

const sortedMap = <V>(map: ReadonlyMap<string, V>): Map<string, V> => new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

describe('state file', () => {
  const s = (state: string, seq: number, event: string, since = '2024-01-15T10:00:00Z'): PlanState => ({ state, since, seq, event });

  it('serializes sorted, one line per plan, a blank line between plans, and parses back', () => {
    const file: StateFile = new Map([
      ['zeta', s('CLOSED', 7, 'cycle_complete')],
      ['alpha', s('PLANNED', 1, 'create_plan')],
      ['Mid.plan-2_x', s('READY_FOR_HANDOFF', 2, 'validate_complete', '2024-02-01T00:00:00Z')],
    ]);
    const text = serializeState(file);
    expect(text.startsWith(STATE_HEADER)).toBe(true);
    expect(text.slice(STATE_HEADER.length)).toBe(
      [
        'Mid.plan-2_x: {state: READY_FOR_HANDOFF, since: "2024-02-01T00:00:00Z", seq: 2, event: validate_complete}',
        '',
        'alpha: {state: PLANNED, since: "2024-01-15T10:00:00Z", seq: 1, event: create_plan}',
        '',
        'zeta: {state: CLOSED, since: "2024-01-15T10:00:00Z", seq: 7, event: cycle_complete}',
        '',
      ].join('\n'),
    );
    const back = parseState(text, '.plan/state.yaml');
    expect([...back.keys()]).toEqual(['Mid.plan-2_x', 'alpha', 'zeta']);
    expect(sortedMap(back)).toEqual(sortedMap(file));
    // the text is YAML too: editors and other tools read the same data
    expect(parse(text)).toEqual(Object.fromEntries([...file]));
  });

  it('writes {} when there are no plans, and reads it back as empty', () => {
    const text = serializeState(new Map());
    expect(text).toBe(`${STATE_HEADER}{}\n`);
    expect(parseState(text, '.plan/state.yaml').size).toBe(0);
    expect(parseState('', '.plan/state.yaml').size).toBe(0);
  });

  it('round-trips any valid state (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
    const entry = fc.record({
      state: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/),
      since: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      seq: fc.nat({ max: 1_000_000 }),
      event: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
    });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(id, entry), { selector: ([key]) => key, maxLength: 8 }), (entries) => {
        const file: StateFile = new Map(entries);
        const back = parseState(serializeState(file), 'f');
        expect(sortedMap(back)).toEqual(sortedMap(file));
        expect([...back.keys()]).toEqual([...file.keys()].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('accepts CRLF line endings (a checkout with autocrlf)', () => {
    const text = serializeState(new Map([['a', s('PLANNED', 1, 'create_plan')]])).replace(/\n/g, '\r\n');
    expect(parseState(text, 'f').get('a')).toEqual(s('PLANNED', 1, 'create_plan'));
  });

  const valid = serializeState(new Map([['a', s('PLANNED', 1, 'create_plan')], ['b', s('PACKAGED', 3, 'package_artifacts')]]));
  const lines = valid.split('\n'); // header (2 lines), a (3), blank (4), b (5)

  it.each<[string, string, number, RegExp]>([
    ['a conflict marker', [...lines.slice(0, 4), '<<<<<<< HEAD', lines[4]!, '=======', 'b: {state: EXECUTED, since: "x", seq: 4, event: begin_execution}', '>>>>>>> topic', ''].join('\n'), 5, /unresolved merge conflict/],
    ['a garbage line', [...lines.slice(0, 3), 'this is not a state line', ...lines.slice(3)].join('\n'), 4, /not a state line/],
    ['a line with a lower-case state', [...lines.slice(0, 3), 'c: {state: planned, since: "x", seq: 1, event: create_plan}', ...lines.slice(3)].join('\n'), 4, /not a state line/],
    ['a duplicate plan', `${valid}\na: {state: READY_FOR_HANDOFF, since: "2024-01-16T00:00:00Z", seq: 2, event: validate_complete}\n`, 7, /plan a has two state lines/],
  ])('parse errors name the line: %s', (_name, text, line, message) => {
    const error = planError(() => parseState(text, '.plan/state.yaml'));
    expect(error.message).toMatch(message);
    expect(error.location).toMatchObject({ file: '.plan/state.yaml', line });
    expect(error.exitCode).toBe(2);
    expect(error.oneLine).toContain(`.plan/state.yaml:${line}`);
  });
});

let nonce = 0;
function ev(plan: string, seq: number, event: string, from: string | null, to: string, extra: { type?: PlanningEvent['event']['type']; gate?: string; blobs?: Record<string, string>; at?: string; nonce?: string } = {}): PlanningEvent {
  nonce++;
  return makeEvent({
    type: extra.type ?? (from === null ? 'PLAN_CREATED' : 'STATE_TRANSITION'),
    plan,
    from,
    to,
    event,
    seq,
    actor: 'Plan Tester <tester@example.com>',
    gateResults: extra.gate ? { json_schema: 'PASS' } : {},
    gate: extra.gate,
    blobs: extra.blobs,
    timestamp: extra.at ?? `2024-01-15T10:00:${String(seq).padStart(2, '0')}Z`,
    nonce: extra.nonce ?? nonce.toString(16).padStart(8, '0'),
  });
}
const jsonl = (...events: PlanningEvent[]): string => events.map(serializeEvent).join('');

describe('parseEventLog', () => {
  it('keeps every good line and reports each bad one with its line number, never throwing', () => {
    const a = ev('p', 1, 'create_plan', null, 'PLANNED');
    const b = ev('p', 2, 'validate_complete', 'PLANNED', 'READY_FOR_HANDOFF');
    const c = ev('p', 3, 'package_artifacts', 'READY_FOR_HANDOFF', 'PACKAGED');
    const text = [
      JSON.stringify(a), // 1
      '{"type":"planning_event","event":{"id":"evt_torn', // 2: torn
      '<<<<<<< HEAD', // 3
      JSON.stringify(b), // 4
      '=======', // 5
      '', // 6: blank, ignored
      '>>>>>>> other', // 7
      '{"type":"something_else"}', // 8: JSON, not an event
      '[1,2,3]', // 9
      `${JSON.stringify(c)}\r`, // 10: CRLF
      '{"type":"planning_event","event":{"id":"evt_x","pay', // 11: torn last line, no newline
    ].join('\n');
    const parsed = parseEventLog(text);
    expect(parsed.events.map((e) => e.event.id)).toEqual([a.event.id, b.event.id, c.event.id]);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3, 5, 7, 8, 9, 11]);
    const byLine = new Map(parsed.problems.map((p) => [p.line, p.message]));
    expect(byLine.get(2)).toMatch(/not valid JSON/);
    expect(byLine.get(3)).toMatch(/conflict marker/);
    expect(byLine.get(5)).toMatch(/conflict marker/);
    expect(byLine.get(7)).toMatch(/conflict marker/);
    expect(byLine.get(8)).toMatch(/not a planning_event/);
    expect(byLine.get(11)).toMatch(/not valid JSON/);
  });

  it('reads an empty log as no events and no problems', () => {
    expect(parseEventLog('')).toEqual({ events: [], problems: [] });
    expect(parseEventLog('\n\n')).toEqual({ events: [], problems: [] });
  });

  it('serializeEvent writes exactly one line that parses back', () => {
    const e = ev('p', 1, 'create_plan', null, 'PLANNED');
    const line = serializeEvent(e);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseEventLog(line).events).toEqual([e]);
  });
});

describe('compareEvents (the order plan events prints)', () => {
  it('orders a plan\'s events by seq, even when the clock went backwards', () => {
    const a = ev('p', 1, 'create_plan', null, 'PLANNED', { at: '2024-01-15T10:00:09Z' });
    const b = ev('p', 2, 'validate_complete', 'PLANNED', 'READY_FOR_HANDOFF', { at: '2024-01-15T10:00:01Z' });
    expect([b, a].sort(compareEvents)).toEqual([a, b]);
  });

  it('orders plans by time', () => {
    const p = ev('p', 1, 'create_plan', null, 'PLANNED', { at: '2024-01-15T10:00:05Z' });
    const q = ev('q', 1, 'create_plan', null, 'PLANNED', { at: '2024-01-15T10:00:02Z' });
    expect([p, q].sort(compareEvents)).toEqual([q, p]);
  });

  it('puts a GATE_FAILED after the transition with the same seq when both fall in the same second', () => {
    // plan new, then a refused validate_complete --record-failure within the same second: both carry seq 1
    const at = '2024-01-15T10:00:00Z';
    const created = ev('p', 1, 'create_plan', null, 'PLANNED', { at, nonce: 'ffffffff' });
    const failed = ev('p', 1, 'validate_complete', 'PLANNED', 'PLANNED', { type: 'GATE_FAILED', gate: 'schema_lint', at, nonce: '00000000' });
    expect([created, failed].sort(compareEvents).map((e) => e.event.type)).toEqual(['PLAN_CREATED', 'GATE_FAILED']);
    expect([failed, created].sort(compareEvents).map((e) => e.event.type)).toEqual(['PLAN_CREATED', 'GATE_FAILED']);
  });
});

describe('diagnose (plan doctor)', () => {
  const STATE_PATH = '.plan/state.yaml';
  const BLOBS = { 'plans/p/be_backlog.yaml': 'a'.repeat(40), 'plans/p/plan.yaml': 'b'.repeat(40), 'plans/p/story_map.md': 'c'.repeat(40) };

  function input(options: { state?: Record<string, PlanState> | string; logs?: Record<string, string>; dirs?: string[]; blobs?: Record<string, Record<string, string>>; journal?: boolean; stray?: string[] }): DoctorInput {
    const stateText = typeof options.state === 'string' ? options.state : options.state === undefined ? undefined : serializeState(new Map(Object.entries(options.state)));
    return {
      statePath: STATE_PATH,
      stateText,
      logs: new Map(Object.entries(options.logs ?? {}).map(([plan, text]) => [plan, { path: `.plan/events/${plan}.jsonl`, parsed: parseEventLog(text) }])),
      planDirs: new Set(options.dirs ?? []),
      plansDir: 'plans',
      currentBlobs: new Map(Object.entries(options.blobs ?? {})),
      journal: options.journal ?? false,
      strayFiles: options.stray ?? [],
    };
  }
  const rules = (findings: Finding[]): string[] => findings.map((f) => f.rule).sort();
  const find = (findings: Finding[], rule: string): Finding => {
    const f = findings.find((x) => x.rule === rule);
    if (!f) throw new Error(`no ${rule} among ${rules(findings).join(', ')}`);
    return f;
  };

  // A healthy plan p: created, then through schema_lint with the files' blobs recorded.
  const created = ev('p', 1, 'create_plan', null, 'PLANNED');
  const validated = ev('p', 2, 'validate_complete', 'PLANNED', 'READY_FOR_HANDOFF', { gate: 'schema_lint', blobs: BLOBS });
  const healthyState = { p: { state: 'READY_FOR_HANDOFF', since: validated.event.timestamp, seq: 2, event: 'validate_complete' } };

  it('finds nothing in a consistent repository', () => {
    expect(diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated) }, dirs: ['p'], blobs: { p: { ...BLOBS } } }))).toEqual([]);
  });

  it('state-mismatch: the state line disagrees with the last event', () => {
    const findings = diagnose(input({ state: { p: { ...healthyState.p, state: 'PACKAGED', seq: 3, event: 'package_artifacts' } }, logs: { p: jsonl(created, validated) }, dirs: ['p'] }));
    expect(rules(findings)).toEqual(['doctor/state-mismatch']);
    expect(find(findings, 'doctor/state-mismatch')).toMatchObject({ severity: 'error', plan: 'p', file: STATE_PATH });
    expect(find(findings, 'doctor/state-mismatch').message).toMatch(/state says PACKAGED \(seq 3, package_artifacts\) but the last event says READY_FOR_HANDOFF \(seq 2, validate_complete\)/);
  });

  it('seq-conflict: two different transitions share a seq (two branches moved the plan)', () => {
    const other = ev('p', 2, 'update_plan', 'PLANNED', 'PLANNED');
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated, other) }, dirs: ['p'] }));
    const f = find(findings, 'doctor/seq-conflict');
    expect(f).toMatchObject({ severity: 'error', plan: 'p', file: '.plan/events/p.jsonl' });
    expect(f.message).toMatch(/2 different transitions share seq 2/);
    expect(f.message).toContain('validate_complete');
    expect(f.message).toContain('update_plan');
  });

  it('seq-gap: events are missing from the log', () => {
    const third = ev('p', 3, 'package_artifacts', 'READY_FOR_HANDOFF', 'PACKAGED');
    const findings = diagnose(input({ state: { p: { state: 'PACKAGED', since: third.event.timestamp, seq: 3, event: 'package_artifacts' } }, logs: { p: jsonl(created, third) }, dirs: ['p'] }));
    expect(rules(findings)).toEqual(['doctor/seq-gap']);
    expect(find(findings, 'doctor/seq-gap').message).toMatch(/jumps from 1 to 3/);
    // a log that does not start at 1 is a gap too
    expect(rules(diagnose(input({ state: { p: { state: 'PACKAGED', since: third.event.timestamp, seq: 3, event: 'package_artifacts' } }, logs: { p: jsonl(third) }, dirs: ['p'] })))).toEqual(['doctor/seq-gap']);
  });

  it('duplicate-event: the same event twice (a union merge) is a warning, not a seq conflict', () => {
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated, validated) }, dirs: ['p'], blobs: { p: { ...BLOBS } } }));
    expect(rules(findings)).toEqual(['doctor/duplicate-event']);
    expect(find(findings, 'doctor/duplicate-event')).toMatchObject({ severity: 'warning', plan: 'p' });
    expect(find(findings, 'doctor/duplicate-event').message).toContain(validated.event.id);
  });

  it('missing-state: events but no state line', () => {
    const findings = diagnose(input({ state: {}, logs: { p: jsonl(created, validated) }, dirs: ['p'] }));
    expect(rules(findings)).toEqual(['doctor/missing-state']);
    expect(find(findings, 'doctor/missing-state')).toMatchObject({ severity: 'error', plan: 'p', file: '.plan/events/p.jsonl' });
    expect(find(findings, 'doctor/missing-state').message).toMatch(/up to seq 2 \(READY_FOR_HANDOFF\)/);
  });

  it('unknown-plan: a log and a state line for a plan without a folder', () => {
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated) }, dirs: [] }));
    expect(rules(findings)).toEqual(['doctor/unknown-plan', 'doctor/unknown-plan']);
    expect(findings.every((f) => f.plan === 'p' && f.severity === 'warning' && f.message.includes('plans/p/'))).toBe(true);
  });

  it('untracked-plan: a plan folder with no state and no events (info)', () => {
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated) }, dirs: ['p', 'fresh'], blobs: { p: { ...BLOBS } } }));
    expect(rules(findings)).toEqual(['doctor/untracked-plan']);
    expect(find(findings, 'doctor/untracked-plan')).toMatchObject({ severity: 'info', plan: 'fresh' });
    expect(find(findings, 'doctor/untracked-plan').message).toContain('plan transition fresh create_plan');
  });

  it('state-conflict: conflict markers in the state file name the plan(s) in each region and the line', () => {
    const text = [
      '# header',
      '<<<<<<< HEAD',
      'p: {state: READY_FOR_HANDOFF, since: "2024-01-15T10:00:02Z", seq: 2, event: validate_complete}',
      '=======',
      'p: {state: PLANNED, since: "2024-01-15T10:00:02Z", seq: 2, event: update_plan}',
      '>>>>>>> topic',
      '',
      'q: {state: PLANNED, since: "2024-01-15T10:00:01Z", seq: 1, event: create_plan}',
      '<<<<<<< HEAD',
      'r: {state: PLANNED, since: "2024-01-15T10:00:01Z", seq: 1, event: create_plan}',
      '||||||| base',
      'zzz: {state: PLANNED, since: "2024-01-15T10:00:01Z", seq: 1, event: create_plan}',
      '=======',
      's: {state: PLANNED, since: "2024-01-15T10:00:01Z", seq: 1, event: create_plan}',
      '>>>>>>> topic',
      '',
    ].join('\n');
    const findings = diagnose(input({ state: text, dirs: ['p', 'q', 'r', 's'] })).filter((f) => f.rule === 'doctor/state-conflict');
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({ severity: 'error', file: STATE_PATH, line: 2 });
    expect(findings[0]!.message).toMatch(/merge conflict in the state of p:/);
    expect(findings[0]!.message).toContain('validate_complete');
    expect(findings[0]!.message).toContain('update_plan');
    expect(findings[1]).toMatchObject({ line: 9 });
    expect(findings[1]!.message).toMatch(/merge conflict in the state of r, s:/);
    expect(findings[1]!.message).not.toContain('zzz'); // the diff3 base is not a side
  });

  it('state-unreadable: a garbage state line is reported with its line, not thrown', () => {
    const findings = diagnose(input({ state: '# header\nnot: a state line\n', dirs: [] }));
    expect(findings).toEqual([expect.objectContaining({ rule: 'doctor/state-unreadable', severity: 'error', file: STATE_PATH, line: 2 })]);
  });

  it('changed-since-gate: a plan file changed after the gate that let the plan into its state passed', () => {
    const changed = { ...BLOBS, 'plans/p/be_backlog.yaml': 'd'.repeat(40) };
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated) }, dirs: ['p'], blobs: { p: changed } }));
    expect(rules(findings)).toEqual(['doctor/changed-since-gate']);
    expect(find(findings, 'doctor/changed-since-gate')).toMatchObject({ severity: 'warning', plan: 'p', file: 'plans/p/be_backlog.yaml' });
    expect(find(findings, 'doctor/changed-since-gate').message).toMatch(/plans\/p\/be_backlog\.yaml changed after gate schema_lint passed \(validate_complete\)/);

    // a file added or removed since counts too
    const added = diagnose(input({ state: healthyState, logs: { p: jsonl(created, validated) }, dirs: ['p'], blobs: { p: { ...BLOBS, 'plans/p/api.json': 'e'.repeat(40) } } }));
    expect(find(added, 'doctor/changed-since-gate').message).toContain('plans/p/api.json');

    // once the plan moved on through an ungated transition, the gate's snapshot no longer applies
    const back = ev('p', 3, 'validation_failed', 'READY_FOR_HANDOFF', 'PLANNED');
    const moved = diagnose(input({ state: { p: { state: 'PLANNED', since: back.event.timestamp, seq: 3, event: 'validation_failed' } }, logs: { p: jsonl(created, validated, back) }, dirs: ['p'], blobs: { p: changed } }));
    expect(rules(moved)).toEqual([]);
  });

  it('interrupted, bad lines and orphan files are reported too', () => {
    const findings = diagnose(input({ state: healthyState, logs: { p: `${jsonl(created, validated)}{"torn` }, dirs: ['p'], blobs: { p: { ...BLOBS } }, journal: true, stray: ['.plan/notes.txt'] }));
    expect(rules(findings)).toEqual(['doctor/bad-event-line', 'doctor/interrupted', 'doctor/orphan-file']);
    expect(find(findings, 'doctor/bad-event-line')).toMatchObject({ severity: 'error', line: 3, file: '.plan/events/p.jsonl' });
    expect(find(findings, 'doctor/interrupted').severity).toBe('warning');
    expect(find(findings, 'doctor/orphan-file')).toMatchObject({ severity: 'info', file: '.plan/notes.txt' });
  });

  it('GATE_FAILED events do not count as transitions (no seq conflict, no mismatch)', () => {
    const failed = ev('p', 1, 'validate_complete', 'PLANNED', 'PLANNED', { type: 'GATE_FAILED', gate: 'schema_lint', at: '2024-01-15T10:00:01Z' });
    const findings = diagnose(input({ state: healthyState, logs: { p: jsonl(created, failed, validated) }, dirs: ['p'], blobs: { p: { ...BLOBS } } }));
    expect(findings).toEqual([]);
  });
});
