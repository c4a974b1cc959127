/**
 * `plan transition`, `status`, `gate` and `events` end to end: the built CLI in real temp git
 * repositories made with `plan init` + `plan new`. One template repository is built once and
 * copied per test.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { git, PROJECT_ROOT, writeFiles, type RunResult } from '../helpers.js';
import {
  ALL_EVENTS,
  ALL_STATES,
  allowedEvents,
  buildTemplate,
  copyRepo,
  doctor,
  eventsOf,
  jsonLines,
  LIFECYCLE,
  logText,
  mapLimit,
  plan,
  planAsync,
  removeCopies,
  removeTemplate,
  scratchDir,
  stateOf,
  stateText,
  treeHash,
  type Template,
} from './lifecycle-support.js';

// ajv and ajv-formats are CommonJS; under NodeNext their default import is the module object.
const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormats.default;

let template: Template;
beforeAll(() => {
  template = buildTemplate({ keys: true });
});
afterAll(() => {
  removeCopies();
  removeTemplate(template);
});

/** The test signing keys (planning_lead, technical_reviewer) of the template's trust store. */
const keys = (): NonNullable<Template['keys']> => template.keys!;

const fresh = (): string => copyRepo(template);
const out = (r: { stdout: string; stderr: string }): string => `${r.stdout}\n${r.stderr}`;

/** Replaces the first `from` in a plan file (fails loudly when it is not there). */
function edit(root: string, path: string, from: string, to: string): void {
  const text = readFileSync(join(root, path), 'utf8');
  if (!text.includes(from)) throw new Error(`${path} has no "${from}"`);
  writeFileSync(join(root, path), text.replace(from, to));
}

/** Makes p's backlog fail schema_lint (priority P9 is not in the enum); returns where the finding must point. */
function breakBacklog(root: string, id = 'p'): { file: string; line: number; column: number } {
  const file = `plans/${id}/be_backlog.yaml`;
  edit(root, file, 'priority: P1', 'priority: P9');
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes('priority: P9'));
  return { file, line: index + 1, column: lines[index]!.indexOf('P9') + 1 };
}

const gateOf = (event: string): string | undefined => LIFECYCLE.transitions.find((t) => t.event === event && t.gate)?.gate;

describe('walking the seed lifecycle', () => {
  /** Every transition of the seed's diagram after create_plan, including the three ways back. */
  const WALK: Array<[event: string, from: string, to: string]> = [
    ['update_plan', 'PLANNED', 'PLANNED'],
    ['validate_complete', 'PLANNED', 'READY_FOR_HANDOFF'],
    ['validation_failed', 'READY_FOR_HANDOFF', 'PLANNED'],
    ['validate_complete', 'PLANNED', 'READY_FOR_HANDOFF'],
    ['package_artifacts', 'READY_FOR_HANDOFF', 'PACKAGED'],
    ['begin_execution', 'PACKAGED', 'EXECUTED'],
    ['execution_failed', 'EXECUTED', 'PACKAGED'],
    ['begin_execution', 'PACKAGED', 'EXECUTED'],
    ['validate_results', 'EXECUTED', 'VALIDATED'],
    ['validation_failed', 'VALIDATED', 'EXECUTED'],
    ['validate_results', 'EXECUTED', 'VALIDATED'],
    ['analyze_metrics', 'VALIDATED', 'IMPROVE'],
    ['cycle_complete', 'IMPROVE', 'CLOSED'],
  ];
  /** A copy of the walking repository taken the first time p reached each state. */
  const reached = new Map<string, string>();

  it('covers every transition of rulebook/lifecycle.yaml', () => {
    const walked = new Set(WALK.map(([event, from, to]) => `${from} ${event} ${to}`));
    for (const t of LIFECYCLE.transitions.filter((t) => t.from !== null)) expect(walked, `${t.from} --${t.event}--> ${t.to}`).toContain(`${t.from} ${t.event} ${t.to}`);
  });

  it('create (plan new), then every transition in order (package_artifacts by plan seal + a co-signature): state line and one event each, doctor clean', () => {
    const dir = fresh();
    // plan new made the plan: PLANNED, seq 1, one PLAN_CREATED event
    const created = eventsOf(dir, 'p');
    expect(created).toHaveLength(1);
    expect(created[0]!.event).toMatchObject({ type: 'PLAN_CREATED', payload: { from_state: null, to_state: 'PLANNED', entity_id: 'p', metadata: { event: 'create_plan', seq: 1 } } });
    expect(stateOf(dir, 'p')).toEqual({ state: 'PLANNED', since: created[0]!.event.timestamp, seq: 1, event: 'create_plan' });
    reached.set('PLANNED', copyRepo(dir));

    const MANIFEST = '.plan/handoffs/p/0001/handoff_manifest.yaml';
    WALK.forEach(([event, from, to], i) => {
      const seq = i + 2;
      let r: RunResult;
      if (event === 'package_artifacts') {
        // package_artifacts seals a handoff: plan transition refuses it and names plan seal
        const before = treeHash(dir);
        const direct = plan(dir, 'transition', 'p', event);
        expect(direct.code, out(direct)).toBe(1);
        expect(direct.stdout).toContain(`p: refused: package_artifacts seals a handoff: run plan seal p --key FILE`);
        expect(treeHash(dir)).toBe(before);
        r = plan(dir, 'seal', 'p', '--key', keys().lead);
        expect(r.stdout).toContain(`sealed ${MANIFEST}`);
      } else if (event === 'begin_execution' && !reached.has('EXECUTED')) {
        // one signature is below sealing.yaml's threshold (2, both roles): refused, nothing written
        const before = treeHash(dir);
        const early = plan(dir, 'transition', 'p', event);
        expect(early.code, out(early)).toBe(1);
        expect(early.stdout).toMatch(/p: refused: handoff \.plan\/handoffs\/p\/0001\/handoff_manifest\.yaml does not verify: .*technical_reviewer/);
        expect(treeHash(dir)).toBe(before);
        const signed = plan(dir, 'sign', MANIFEST, '--key', keys().reviewer);
        expect(signed.code, out(signed)).toBe(0);
        r = plan(dir, 'transition', 'p', event);
      } else r = plan(dir, 'transition', 'p', event);
      expect(r.code, `step ${seq}: ${event} (${from} → ${to}) was refused:\n${out(r)}`).toBe(0);
      const gate = gateOf(event);
      expect(r.stdout).toContain(`p: ${event} (${from} → ${to})${gate ? `, gate ${gate} passed` : ''}`);

      const events = eventsOf(dir, 'p');
      expect(events, `one event per transition (step ${seq})`).toHaveLength(seq);
      const last = events[events.length - 1]!;
      expect(last.event.type).toBe('STATE_TRANSITION');
      expect(last.event.payload).toMatchObject({ from_state: from, to_state: to, entity_id: 'p', metadata: { event, seq } });
      if (gate) {
        expect(last.event.payload.metadata.gate).toBe(gate);
        const results = Object.values(last.event.payload.metadata.gate_results);
        expect(results.length).toBeGreaterThan(0);
        expect(results.every((v) => v === 'PASS')).toBe(true);
      } else expect(last.event.payload.metadata.gate_results).toEqual({});
      if (event === 'package_artifacts') expect(last.event.payload.metadata).toMatchObject({ manifest: MANIFEST, sequence: 1, manifest_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(stateOf(dir, 'p')).toEqual({ state: to, since: last.event.timestamp, seq, event });
      // the other plan is untouched
      expect(stateOf(dir, 'q')).toMatchObject({ state: 'PLANNED', seq: 1 });
      if (!reached.has(to)) reached.set(to, copyRepo(dir));
    });

    expect([...reached.keys()].sort()).toEqual([...ALL_STATES].sort());
    const d = doctor(dir);
    expect(d.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(d.code).toBe(0);
  });

  // Every (state, event) pair that is not a transition: each event name of lifecycle.yaml not
  // allowed from the state, plus a state name no allowed transition reaches.
  it('from every state, every other event name (and a state name) is refused: exit 1, nothing written, allowed events listed', async () => {
    expect([...reached.keys()].sort(), 'the walk above reached every state').toEqual([...ALL_STATES].sort());
    // one run at a time within a repository (each takes its lock); the seven states side by side
    await Promise.all(
      ALL_STATES.map(async (state) => {
        const dir = reached.get(state)!;
        expect(stateOf(dir, 'p')?.state).toBe(state);
        const allowed = allowedEvents(state);
        const targets = new Set(LIFECYCLE.transitions.filter((t) => t.from === state).map((t) => t.to));
        // every event name, and (to keep the run short) one state name, as the target-state path refuses the same way
        const refused = [...ALL_EVENTS.filter((e) => !allowed.includes(e)), ...ALL_STATES.filter((s) => !targets.has(s)).slice(0, 1)];
        expect(refused.length).toBeGreaterThan(0);
        const before = treeHash(dir);
        const status = git(dir, 'status', '--porcelain');
        const runs = await mapLimit(refused, 1, (name) => planAsync(dir, ['transition', 'p', name]));
        refused.forEach((name, i) => {
          const r = runs[i]!;
          const what = `plan transition p ${name} from ${state}:\n${out(r)}`;
          expect.soft(r.status, what).toBe(1);
          expect.soft(r.stdout, what).toContain(`p: refused: ${name} is not allowed from ${state}`);
          expect.soft(r.stdout, what).toContain(`allowed from ${state}: ${allowed.length > 0 ? allowed.join(', ') : '(none: terminal state)'}`);
          expect.soft(r.stderr, what).toBe('');
        });
        expect.soft(treeHash(dir), `nothing written from ${state}`).toBe(before);
        expect.soft(git(dir, 'status', '--porcelain'), `git status from ${state}`).toBe(status);
      }),
    );
  });
});

describe('plan transition', () => {
  it('resolves a target state like the event that reaches it', () => {
    const dir = fresh();
    const r = plan(dir, 'transition', 'p', 'READY_FOR_HANDOFF');
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain('p: validate_complete (PLANNED → READY_FOR_HANDOFF), gate schema_lint passed');
    const last = eventsOf(dir, 'p').at(-1)!;
    expect(last.event.payload).toMatchObject({ from_state: 'PLANNED', to_state: 'READY_FOR_HANDOFF', metadata: { event: 'validate_complete', gate: 'schema_lint', seq: 2 } });
    expect(last.event.payload.metadata.gate_results).toEqual({ json_schema: 'PASS', yaml_lint: 'PASS', references: 'PASS' });
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', event: 'validate_complete', seq: 2 });
    // and back: PLANNED from READY_FOR_HANDOFF is validation_failed
    const back = plan(dir, 'transition', 'p', 'PLANNED');
    expect(back.code, out(back)).toBe(0);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'PLANNED', event: 'validation_failed', seq: 3 });
  });

  it('a failing gate refuses with the report (rule ids, file:line) and writes nothing', () => {
    const dir = fresh();
    const where = breakBacklog(dir);
    const before = treeHash(dir);
    const r = plan(dir, 'transition', 'p', 'validate_complete');
    expect(r.code, out(r)).toBe(1);
    expect(r.stdout).toContain('p: refused: gate schema_lint failed');
    expect(r.stdout).toContain('json_schema FAIL');
    expect(r.stdout).toContain(where.file);
    expect(r.stdout).toMatch(new RegExp(`\\b${where.line}:${where.column}\\s+error\\s.*schema/enum`));
    expect(r.stdout).toContain('allowed from PLANNED: update_plan, validate_complete');
    expect(treeHash(dir)).toBe(before);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'PLANNED', seq: 1 });
  });

  it('--record-failure appends a GATE_FAILED event and leaves the state alone; --json parses', () => {
    const dir = fresh();
    const where = breakBacklog(dir);
    const state = stateText(dir);
    const r = plan(dir, 'transition', 'p', 'validate_complete', '--record-failure');
    expect(r.code, out(r)).toBe(1);
    expect(r.stdout).toMatch(/recorded evt_\S+ \(GATE_FAILED\)/);
    expect(stateText(dir)).toBe(state);
    expect(eventsOf(dir, 'p')).toHaveLength(2);

    const listed = plan(dir, 'events', '--plan', 'p');
    expect(listed.code, out(listed)).toBe(0);
    const events = jsonLines(listed.stdout);
    expect(events).toHaveLength(2);
    const failed = events[1]!;
    expect(failed.event.type).toBe('GATE_FAILED');
    expect(failed.event.payload).toMatchObject({ from_state: 'PLANNED', entity_id: 'p', metadata: { event: 'validate_complete', gate: 'schema_lint' } });
    expect(failed.event.payload.metadata.gate_results).toMatchObject({ json_schema: 'FAIL', yaml_lint: 'PASS', references: 'PASS' });

    const json = plan(dir, 'transition', 'p', 'validate_complete', '--record-failure', '--json');
    expect(json.code, out(json)).toBe(1);
    const result = JSON.parse(json.stdout) as { outcome: string; from: string; to: string; event: string; allowed: string[]; recordedFailure: string; gate: { gate: string; passed: boolean; results: Record<string, string>; findings: Array<Record<string, unknown>> } };
    expect(result).toMatchObject({ outcome: 'refused', from: 'PLANNED', to: 'READY_FOR_HANDOFF', event: 'validate_complete', allowed: ['update_plan', 'validate_complete'] });
    expect(result.gate).toMatchObject({ gate: 'schema_lint', passed: false, results: { json_schema: 'FAIL' } });
    expect(result.gate.findings).toContainEqual(expect.objectContaining({ rule: 'schema/enum', severity: 'error', file: where.file, line: where.line, column: where.column, plan: 'p' }));
    expect(result.recordedFailure).toBe(eventsOf(dir, 'p').at(-1)!.event.id);
    expect(stateText(dir)).toBe(state);

    // recorded failures are history, not a problem
    const d = doctor(dir);
    expect(d.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(d.code).toBe(0);
  });

  it('a GATE_FAILED event names in to_state the state the refused transition would have reached (schemas/event.schema.json)', () => {
    const dir = fresh();
    breakBacklog(dir);
    const r = plan(dir, 'transition', 'p', 'validate_complete', '--record-failure');
    expect(r.code, out(r)).toBe(1);
    const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'event.schema.json'), 'utf8')) as { properties: { event: { properties: { payload: { properties: { to_state: { description: string } } } } } } };
    expect(schema.properties.event.properties.payload.properties.to_state.description).toMatch(/for GATE_FAILED the state the refused transition would have reached/);
    const failed = eventsOf(dir, 'p').at(-1)!;
    expect(failed.event.type).toBe('GATE_FAILED');
    expect(failed.event.payload.to_state).toBe('READY_FOR_HANDOFF');
  });

  it('--dry-run writes nothing: exit 0 when it would apply, 1 when the gate refuses', () => {
    const dir = fresh();
    const before = treeHash(dir);
    const r = plan(dir, 'transition', 'p', 'validate_complete', '--dry-run');
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain('would apply');
    expect(treeHash(dir)).toBe(before);
    const json = plan(dir, 'transition', 'p', 'READY_FOR_HANDOFF', '-n', '--json');
    expect(json.code, out(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'would-apply', event: 'validate_complete', to: 'READY_FOR_HANDOFF' });
    expect(treeHash(dir)).toBe(before);

    breakBacklog(dir);
    const broken = treeHash(dir);
    const refused = plan(dir, 'transition', 'p', 'validate_complete', '--dry-run', '--record-failure');
    expect(refused.code, out(refused)).toBe(1);
    expect(treeHash(dir)).toBe(broken);
  });

  it('--commit commits exactly the state file and the plan\'s log, with Plan-* trailers, leaving other staged files staged', () => {
    const dir = fresh();
    writeFiles(dir, { 'notes/other.txt': 'unrelated work in progress\n' });
    git(dir, 'add', 'notes/other.txt');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const r = plan(dir, 'transition', 'p', 'validate_complete', '--commit');
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toMatch(/committed [0-9a-f]{12}/);
    expect(git(dir, 'rev-list', '--count', `${head}..HEAD`).trim()).toBe('1');
    expect(git(dir, 'rev-parse', 'HEAD~1').trim()).toBe(head);
    const files = git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter(Boolean).sort();
    expect(files).toEqual(['.plan/events/p.jsonl', '.plan/state.yaml']);
    const trailers = git(dir, 'log', '-1', '--format=%(trailers)');
    expect(trailers).toContain('Plan-Id: p');
    expect(trailers).toContain('Plan-Event: validate_complete');
    expect(trailers).toContain('Plan-From: PLANNED');
    expect(trailers).toContain('Plan-To: READY_FOR_HANDOFF');
    // the unrelated file is still staged, not committed; nothing of plan's is left uncommitted
    expect(git(dir, 'status', '--porcelain')).toBe('A  notes/other.txt\n');
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('notes/other.txt');
    // what was committed is what is on disk
    expect(git(dir, 'show', 'HEAD:.plan/state.yaml')).toBe(stateText(dir));
    expect(git(dir, 'show', 'HEAD:.plan/events/p.jsonl')).toBe(logText(dir, 'p'));

    // a refused transition commits nothing
    const refused = plan(dir, 'transition', 'p', 'cycle_complete', '--commit');
    expect(refused.code).toBe(1);
    expect(git(dir, 'rev-list', '--count', `${head}..HEAD`).trim()).toBe('1');
  });

  it('--commit commits only this plan\'s state line: another plan\'s uncommitted transition stays out, so the commit is consistent on its own', () => {
    const dir = fresh();
    expect(plan(dir, 'transition', 'q', 'validate_complete').code).toBe(0); // not committed
    const r = plan(dir, 'transition', 'p', 'validate_complete', '--commit');
    expect(r.code, out(r)).toBe(0);
    // q's event is not in the commit, so neither may q's new state line be
    expect(git(dir, 'show', 'HEAD:.plan/events/q.jsonl').trim().split('\n')).toHaveLength(1);
    const committedState = git(dir, 'show', 'HEAD:.plan/state.yaml');
    expect(committedState).toMatch(/^p: \{state: READY_FOR_HANDOFF, .*seq: 2, event: validate_complete\}$/m);
    expect(committedState).toMatch(/^q: \{state: PLANNED, .*seq: 1, event: create_plan\}$/m);
    // what a teammate gets from the commit passes plan doctor
    const clone = join(scratchDir(), 'clone');
    git(dir, 'clone', '-q', dir, clone);
    const d = doctor(clone);
    expect(d.report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // and q's transition is still on disk, uncommitted
    expect(stateOf(dir, 'q')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
    expect(git(dir, 'status', '--porcelain')).toContain('.plan/events/q.jsonl');
  });

  it('unknown plan exits 2; an unknown event exits 1 listing the allowed events', () => {
    const dir = fresh();
    const before = treeHash(dir);
    const unknown = plan(dir, 'transition', 'nope', 'validate_complete');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown plan "nope"/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const bogus = plan(dir, 'transition', 'p', 'bogus_event');
    expect(bogus.code).toBe(1);
    expect(bogus.stdout).toContain('unknown event or state "bogus_event"');
    expect(bogus.stdout).toContain('allowed from PLANNED: update_plan, validate_complete');
    expect(treeHash(dir)).toBe(before);
  });

  it('a plan folder without a state is created by the transition plan doctor suggests', () => {
    const dir = fresh();
    writeFiles(dir, {
      'plans/r/plan.yaml': readFileSync(join(dir, 'plans/p/plan.yaml'), 'utf8').replace(/^id: "p"$/m, 'id: "r"').replace(/^title: "p"$/m, 'title: "r"'),
      'plans/r/be_backlog.yaml': readFileSync(join(dir, 'plans/p/be_backlog.yaml'), 'utf8').replaceAll('P-00', 'R-00'),
    });
    const d = doctor(dir);
    expect(d.report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/untracked-plan', severity: 'info', plan: 'r' }));
    expect(d.code).toBe(0);
    const r = plan(dir, 'transition', 'r', 'create_plan');
    expect(r.code, out(r)).toBe(0);
    expect(stateOf(dir, 'r')).toMatchObject({ state: 'PLANNED', seq: 1, event: 'create_plan' });
    expect(eventsOf(dir, 'r').map((e) => e.event.type)).toEqual(['PLAN_CREATED']);
    expect(doctor(dir).report.findings.filter((f) => f.plan === 'r')).toEqual([]);
  });
});

describe('events', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const validateEvent = ajv.compile(JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'event.schema.json'), 'utf8')) as object);

  const hashObject = (root: string, path: string): string => execFileSync('git', ['hash-object', path], { cwd: root, encoding: 'utf8' }).trim();
  const planBlobs = (root: string, id: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(join(root, 'plans', id))
        .sort()
        .map((f) => [`plans/${id}/${f}`, hashObject(root, `plans/${id}/${f}`)]),
    );

  /** p: validate_complete, package_artifacts (plan seal); q: a recorded gate failure, then validate_complete. */
  function makeHistory(): { dir: string; failedBlobs: Record<string, string>; passedBlobs: Record<string, Record<string, string>> } {
    const dir = fresh();
    const good = readFileSync(join(dir, 'plans/q/be_backlog.yaml'), 'utf8');
    breakBacklog(dir, 'q');
    const failedBlobs = planBlobs(dir, 'q');
    expect(plan(dir, 'transition', 'q', 'validate_complete', '--record-failure').code).toBe(1);
    writeFileSync(join(dir, 'plans/q/be_backlog.yaml'), good);
    for (const [id, event] of [['q', 'validate_complete'], ['p', 'validate_complete']] as const) {
      const r = plan(dir, 'transition', id, event);
      expect(r.code, out(r)).toBe(0);
    }
    const sealed = plan(dir, 'seal', 'p', '--key', keys().lead); // package_artifacts
    expect(sealed.code, out(sealed)).toBe(0);
    return { dir, failedBlobs, passedBlobs: { p: planBlobs(dir, 'p'), q: planBlobs(dir, 'q') } };
  }
  // The tests below only read this repository.
  let shared: ReturnType<typeof makeHistory> | undefined;
  const history = (): ReturnType<typeof makeHistory> => (shared ??= makeHistory());

  it('every line of every log validates against schemas/event.schema.json; gated events record the git blob ids of the plan files', () => {
    const { dir, failedBlobs, passedBlobs } = history();
    const all = [...eventsOf(dir, 'p'), ...eventsOf(dir, 'q')];
    expect(all.map((e) => e.event.type).sort()).toEqual(['GATE_FAILED', 'PLAN_CREATED', 'PLAN_CREATED', 'STATE_TRANSITION', 'STATE_TRANSITION', 'STATE_TRANSITION']);
    for (const e of all) expect(validateEvent(e) ? [] : validateEvent.errors, `event ${e.event.id}`).toEqual([]);
    expect(new Set(all.map((e) => e.event.id)).size).toBe(all.length);

    const gated = all.filter((e) => e.event.payload.metadata.gate);
    expect(gated).toHaveLength(4);
    for (const e of gated) {
      const id = e.event.payload.entity_id;
      const expected = e.event.type === 'GATE_FAILED' ? failedBlobs : passedBlobs[id]!;
      expect(e.event.payload.metadata.blobs, `${e.event.type} ${e.event.payload.metadata.event} of ${id}`).toEqual(expected);
    }
    // the recorded failure saw the broken backlog, the later pass the fixed one
    expect(failedBlobs['plans/q/be_backlog.yaml']).not.toBe(passedBlobs['q']!['plans/q/be_backlog.yaml']);
  });

  it('plan events: all plans in time order, --plan, --since', () => {
    const { dir } = history();
    const r = plan(dir, 'events');
    expect(r.code, out(r)).toBe(0);
    const all = jsonLines(r.stdout);
    expect(all).toHaveLength(6);
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!];
      expect(a.event.timestamp <= b.event.timestamp, `${a.event.id} before ${b.event.id}`).toBe(true);
    }
    for (const id of ['p', 'q']) {
      const seqs = all.filter((e) => e.event.payload.entity_id === id && e.event.type !== 'GATE_FAILED').map((e) => e.event.payload.metadata.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }

    const onlyQ = jsonLines(plan(dir, 'events', '--plan', 'q').stdout);
    expect(onlyQ.map((e) => e.event.id)).toEqual(all.filter((e) => e.event.payload.entity_id === 'q').map((e) => e.event.id));
    // (same-second order of a GATE_FAILED and the event before it: see compareEvents in test/core/lifecycle.test.ts)
    expect(onlyQ.map((e) => e.event.type).sort()).toEqual(['GATE_FAILED', 'PLAN_CREATED', 'STATE_TRANSITION']);
    expect(onlyQ.at(-1)!.event.type).toBe('STATE_TRANSITION');
    expect(plan(dir, 'events', '--plan', 'nope').code).toBe(2);

    const latest = all.map((e) => e.event.timestamp).sort().at(-1)!;
    const since = plan(dir, 'events', '--since', latest);
    expect(since.code, out(since)).toBe(0);
    expect(jsonLines(since.stdout).map((e) => e.event.id)).toEqual(all.filter((e) => e.event.timestamp >= latest).map((e) => e.event.id));
    expect(jsonLines(plan(dir, 'events', '--since', '2000-01-01').stdout)).toHaveLength(6);
    const future = plan(dir, 'events', '--since', '2999-01-01');
    expect(future.code).toBe(0);
    expect(future.stdout.trim()).toBe('');
    const bad = plan(dir, 'events', '--since', 'last tuesday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since/);
  });

  it('--format cloudevents wraps each event in a CloudEvents 1.0 envelope', () => {
    const { dir } = history();
    const plain = jsonLines(plan(dir, 'events').stdout);
    const r = plan(dir, 'events', '--format', 'cloudevents');
    expect(r.code, out(r)).toBe(0);
    const envelopes = jsonLines<Record<string, unknown>>(r.stdout);
    expect(envelopes).toHaveLength(plain.length);
    envelopes.forEach((ce, i) => {
      const e = plain[i]!;
      expect(ce['specversion']).toBe('1.0');
      expect(ce['id']).toBe(e.event.id);
      expect(typeof ce['source']).toBe('string');
      expect((ce['source'] as string).length).toBeGreaterThan(0);
      expect(typeof ce['type']).toBe('string');
      expect((ce['type'] as string).length).toBeGreaterThan(0);
      expect(ce['time']).toBe(e.event.timestamp);
      expect(Number.isNaN(Date.parse(ce['time'] as string))).toBe(false);
      expect(ce['data']).toEqual(e);
    });
    // each event type gets its own CloudEvents type
    expect(new Set(envelopes.map((ce) => ce['type'])).size).toBe(3);
  });
});

describe('plan status', () => {
  interface Status {
    plans: Array<{ plan: string; state: string | null; since?: string; seq?: number; event?: string; hasFiles: boolean; next: Array<{ event: string; to: string; gate?: string; ready?: boolean; blocking?: Record<string, number> }> }>;
  }
  const status = (dir: string, ...args: string[]): Status => {
    const r = plan(dir, 'status', '--json', ...args);
    expect(r.code, out(r)).toBe(0);
    return JSON.parse(r.stdout) as Status;
  };

  it('state, since, the next events and whether their gates would pass', () => {
    const dir = fresh();
    const s = status(dir);
    expect(s.plans.map((p) => p.plan)).toEqual(['p', 'q']);
    const p = s.plans[0]!;
    expect(p).toMatchObject({ state: 'PLANNED', since: stateOf(dir, 'p')!.since, seq: 1, event: 'create_plan', hasFiles: true });
    expect(p.next).toEqual([
      { event: 'update_plan', to: 'PLANNED' },
      { event: 'validate_complete', to: 'READY_FOR_HANDOFF', gate: 'schema_lint', ready: true },
    ]);
    const text = plan(dir, 'status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^p\s+PLANNED\s+since \S+$/m);
    expect(text.stdout).toContain('→ validate_complete (READY_FOR_HANDOFF) [gate schema_lint: ready]');

    // a broken backlog blocks the gate, with the failing rule
    breakBacklog(dir);
    const broken = status(dir);
    expect(broken.plans[0]!.next[1]).toEqual({ event: 'validate_complete', to: 'READY_FOR_HANDOFF', gate: 'schema_lint', ready: false, blocking: { 'schema/enum': 1 } });
    expect(broken.plans[1]!.next[1]).toMatchObject({ ready: true });
    expect(plan(dir, 'status', 'p').stdout).toContain('[gate schema_lint: blocked by schema/enum×1]');

    // after a transition: the new state and its next events
    expect(plan(dir, 'transition', 'q', 'validate_complete').code).toBe(0);
    const q = status(dir, 'q').plans;
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ plan: 'q', state: 'READY_FOR_HANDOFF', seq: 2, event: 'validate_complete', since: stateOf(dir, 'q')!.since });
    expect(q[0]!.next).toEqual([
      { event: 'validation_failed', to: 'PLANNED' },
      { event: 'package_artifacts', to: 'PACKAGED', gate: 'cross_stream_consistency', ready: true },
    ]);
    expect(plan(dir, 'status', 'nope').code).toBe(2);
  });
});

describe('plan gate', () => {
  it('exit 0 when the gate passes, 1 when it fails, 2 for an unknown gate', () => {
    const dir = fresh();
    const pass = plan(dir, 'gate', 'schema_lint', 'p');
    expect(pass.code, out(pass)).toBe(0);
    breakBacklog(dir);
    const fail = plan(dir, 'gate', 'schema_lint', 'p');
    expect(fail.code, out(fail)).toBe(1);
    expect(fail.stdout).toContain('schema/enum');
    expect(plan(dir, 'gate', 'schema_lint', 'q').code).toBe(0);
    const nope = plan(dir, 'gate', 'nope');
    expect(nope.code).toBe(2);
    expect(nope.stderr).toMatch(/gate "nope" is not defined/);
    expect(plan(dir, 'gate', 'schema_lint', 'nope').code).toBe(2);
  });
});

describe('command validators', () => {
  const CHECK_PY = `import json, sys
ctx = json.load(sys.stdin)
bad = [t for t in ctx["tasks"] if "TODO" in str(t.get("title", ""))]
if ctx.get("plan") != "p" or ctx.get("gate") != "schema_lint":
    print(json.dumps({"findings": [{"message": "unexpected context %s/%s" % (ctx.get("plan"), ctx.get("gate")), "rule": "context"}]}))
    sys.exit(1)
if bad:
    print(json.dumps({"findings": [{"message": "task %s has a TODO in its title" % t["id"], "rule": "x"} for t in bad]}))
    sys.exit(1)
sys.exit(0)
`;

  /** Adds a command validator to schema_lint in the repository's own rulebook/gates.yaml. */
  function addCommandValidator(dir: string, validator: Record<string, unknown>): void {
    const path = join(dir, 'rulebook', 'gates.yaml');
    const doc = parseDocument(readFileSync(path, 'utf8'));
    doc.addIn(['gates', 'schema_lint', 'validators'], doc.createNode(validator));
    writeFileSync(path, doc.toString());
  }

  interface GateJson {
    plan: string;
    passed: boolean;
    results: Record<string, string>;
    findings: Array<{ rule: string; severity: string; message: string }>;
  }

  it('a command gets the plan context on stdin; exit 1 with JSON findings fails the gate, exit 0 passes it', () => {
    const dir = fresh();
    addCommandValidator(dir, { type: 'command', name: 'refs_py', run: ['python3', 'check.py'], timeout_seconds: 10 });
    writeFiles(dir, { 'check.py': CHECK_PY });

    const pass = plan(dir, 'gate', 'schema_lint', 'p', '--json');
    expect(pass.code, out(pass)).toBe(0);
    expect((JSON.parse(pass.stdout) as GateJson[])[0]).toMatchObject({ plan: 'p', passed: true, results: { refs_py: 'PASS' } });

    edit(dir, 'plans/p/be_backlog.yaml', 'title: "Ship the thing"', 'title: "TODO ship the thing"');
    const fail = plan(dir, 'gate', 'schema_lint', 'p', '--json');
    expect(fail.code, out(fail)).toBe(1);
    const report = (JSON.parse(fail.stdout) as GateJson[])[0]!;
    expect(report).toMatchObject({ passed: false, results: { json_schema: 'PASS', refs_py: 'FAIL' } });
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'command/refs_py/x', severity: 'error', message: 'task P-002 has a TODO in its title' }));

    const refused = plan(dir, 'transition', 'p', 'validate_complete');
    expect(refused.code, out(refused)).toBe(1);
    expect(refused.stdout).toContain('refs_py FAIL');
    expect(refused.stdout).toContain('task P-002 has a TODO in its title');
    expect(refused.stdout).toContain('command/refs_py/x');

    edit(dir, 'plans/p/be_backlog.yaml', 'title: "TODO ship the thing"', 'title: "Ship the thing"');
    const applied = plan(dir, 'transition', 'p', 'validate_complete');
    expect(applied.code, out(applied)).toBe(0);
    expect(eventsOf(dir, 'p').at(-1)!.event.payload.metadata.gate_results).toMatchObject({ refs_py: 'PASS' });
  });

  it('a command that runs past timeout_seconds fails the gate with a timeout message', () => {
    const dir = fresh();
    addCommandValidator(dir, { type: 'command', name: 'slow', run: ['sleep', '20'], timeout_seconds: 1 });
    const started = Date.now();
    const r = plan(dir, 'gate', 'schema_lint', 'p', '--json');
    const elapsed = Date.now() - started;
    expect(r.code, out(r)).toBe(1);
    const report = (JSON.parse(r.stdout) as GateJson[])[0]!;
    expect(report.results['slow']).toBe('FAIL');
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'command/slow', severity: 'error', message: expect.stringMatching(/did not finish within 1 s/) }));
    expect(elapsed).toBeLessThan(10_000);
  });
});
