/**
 * The planning database under stress, end to end: merges of branches that moved plans, crashes
 * at each step of a transition's write (PLAN_TEST_CRASH_AT), the repository lock (live, stale,
 * 20 processes at once), and what `plan doctor` finds after hand edits and torn writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEventLog } from '../../src/core/events.js';
import { parseState } from '../../src/core/state.js';
import { git } from '../helpers.js';
import {
  deadPid,
  doctor,
  eventsOf,
  gitTry,
  jsonLines,
  logText,
  plan,
  planAsync,
  planRaw,
  stateOf,
  stateText,
  treeHash,
  writeLock,
  useTemplate,
} from './lifecycle-support.js';

const { template, fresh } = useTemplate();
const out = (r: { stdout: string; stderr: string }): string => `${r.stdout}\n${r.stderr}`;
const problems = (d: ReturnType<typeof doctor>) => d.report.findings.filter((f) => f.severity !== 'info');

function mustTransition(dir: string, ...args: string[]): void {
  const r = plan(dir, 'transition', ...args);
  expect(r.code, `plan transition ${args.join(' ')}:\n${out(r)}`).toBe(0);
}

describe('merging branches that moved plans', () => {
  it('the template commits .gitattributes with merge=union for event logs before any branch', () => {
    expect(git(template().dir, 'show', 'HEAD:.gitattributes')).toMatch(/^\.plan\/events\/\*\.jsonl merge=union$/m);
    expect(git(template().dir, 'status', '--porcelain')).toBe('');
  });

  it('two branches moving different plans merge without conflict; doctor is clean', () => {
    const dir = fresh();
    git(dir, 'checkout', '-q', '-b', 'move-p');
    mustTransition(dir, 'p', 'validate_complete', '--commit');
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'checkout', '-q', '-b', 'move-q');
    mustTransition(dir, 'q', 'validate_complete', '--commit');
    mustTransition(dir, 'q', 'validation_failed', '--commit');
    git(dir, 'checkout', '-q', 'main');
    // a real three-way merge on each side: main gets its own commit first
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'work on main');
    const a = gitTry(dir, 'merge', '--no-edit', 'move-p');
    expect(a.status, out(a)).toBe(0);
    const b = gitTry(dir, 'merge', '--no-edit', 'move-q');
    expect(b.status, out(b)).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(stateText(dir)).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
    expect(stateOf(dir, 'q')).toMatchObject({ state: 'PLANNED', seq: 3, event: 'validation_failed' });
    const d = doctor(dir);
    expect(problems(d)).toEqual([]);
    expect(d.code).toBe(0);
    // and the merged repository keeps working
    mustTransition(dir, 'q', 'validate_complete');
  });

  it('two branches each creating a different plan (plan new) merge without conflict (DESIGN §1)', () => {
    const dir = fresh();
    git(dir, 'checkout', '-q', '-b', 'new-r');
    expect(plan(dir, 'new', 'r').code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'plan r');
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'checkout', '-q', '-b', 'new-s');
    expect(plan(dir, 'new', 's').code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'plan s');
    git(dir, 'checkout', '-q', 'main');
    expect(gitTry(dir, 'merge', '--no-edit', 'new-r').status).toBe(0);
    const merge = gitTry(dir, 'merge', '--no-edit', 'new-s');
    expect(merge.status, `${out(merge)}\n${stateText(dir)}`).toBe(0);
    expect(stateOf(dir, 'r')).toMatchObject({ state: 'PLANNED', seq: 1 });
    expect(stateOf(dir, 's')).toMatchObject({ state: 'PLANNED', seq: 1 });
    expect(problems(doctor(dir))).toEqual([]);
  });

  /** main merges a branch that ran validate_complete on p, then one that ran update_plan on p. */
  function conflictingMerge(): { dir: string; merge: ReturnType<typeof gitTry> } {
    const dir = fresh();
    git(dir, 'checkout', '-q', '-b', 'validate');
    mustTransition(dir, 'p', 'validate_complete', '--commit');
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'checkout', '-q', '-b', 'update');
    mustTransition(dir, 'p', 'update_plan', '--commit');
    git(dir, 'checkout', '-q', 'main');
    expect(gitTry(dir, 'merge', '--no-edit', 'validate').status).toBe(0);
    return { dir, merge: gitTry(dir, 'merge', '--no-edit', 'update') };
  }

  it('two branches moving the same plan conflict in .plan/state.yaml only; doctor exits 1 explaining', () => {
    const { dir, merge } = conflictingMerge();
    expect(merge.status, out(merge)).toBe(1);
    expect(git(dir, 'diff', '--name-only', '--diff-filter=U').trim()).toBe('.plan/state.yaml');
    // the event logs merged by union: both events are there
    const events = eventsOf(dir, 'p');
    expect(events.map((e) => e.event.payload.metadata.event).sort()).toEqual(['create_plan', 'update_plan', 'validate_complete']);

    const d = doctor(dir);
    expect(d.code).toBe(1);
    const conflict = d.report.findings.find((f) => f.rule === 'doctor/state-conflict');
    expect(conflict, JSON.stringify(d.report.findings, null, 2)).toBeDefined();
    expect(conflict).toMatchObject({ severity: 'error', file: '.plan/state.yaml', line: expect.any(Number) });
    expect(conflict!.message).toMatch(/merge conflict in the state of p\b/);
    const seq = d.report.findings.find((f) => f.rule === 'doctor/seq-conflict');
    expect(seq).toMatchObject({ severity: 'error', plan: 'p', file: '.plan/events/p.jsonl' });
    expect(seq!.message).toContain('validate_complete');
    expect(seq!.message).toContain('update_plan');

    // transitions refuse to run on a conflicted state file (exit 2, pointing at the line)
    const blocked = plan(dir, 'transition', 'q', 'validate_complete');
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/\.plan\/state\.yaml:\d+: unresolved merge conflict/);
  });

  it('doctor does not report plans outside the conflict as missing their state line', () => {
    const { dir, merge } = conflictingMerge();
    expect(merge.status).toBe(1);
    expect(stateText(dir)).toMatch(/^q: \{state: PLANNED, .*seq: 1, event: create_plan\}$/m);
    const d = doctor(dir);
    expect(d.report.findings.filter((f) => f.plan === 'q')).toEqual([]);
  });

  it('following doctor\'s advice resolves the conflict: keep one line, drop the other event', () => {
    const { dir, merge } = conflictingMerge();
    expect(merge.status).toBe(1);
    git(dir, 'checkout', '--ours', '--', '.plan/state.yaml');
    const log = logText(dir, 'p')
      .split('\n')
      .filter((l) => !l.includes('"event":"update_plan"'))
      .join('\n');
    writeFileSync(join(dir, '.plan/events/p.jsonl'), log);
    git(dir, 'add', '.plan');
    git(dir, 'commit', '-q', '--no-edit');
    const d = doctor(dir);
    expect(problems(d)).toEqual([]);
    expect(d.code).toBe(0);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
  });
});

describe('crash consistency', () => {
  const POINTS = ['after-journal', 'after-event', 'after-state'] as const;
  const RECOVERIES = {
    'plan doctor --fix': (dir: string) => planRaw(dir, ['doctor', '--fix']),
    'the same transition again': (dir: string) => planRaw(dir, ['transition', 'p', 'validate_complete']),
    "another plan's transition": (dir: string) => planRaw(dir, ['transition', 'q', 'validate_complete']),
  } as const;
  const cases = POINTS.flatMap((point) => Object.keys(RECOVERIES).map((how) => [point, how] as [string, keyof typeof RECOVERIES]));

  it.each(cases)('killed %s, recovered by %s: state and log change together, one event, doctor clean', (point, how) => {
    const dir = fresh();
    const beforeState = stateOf(dir, 'p')!;
    const beforeEvents = eventsOf(dir, 'p');
    const qBefore = stateOf(dir, 'q')!;

    const crashed = planRaw(dir, ['transition', 'p', 'validate_complete'], { PLAN_TEST_CRASH_AT: point });
    expect(crashed.signal === 'SIGKILL' || crashed.status === 137, `expected a SIGKILL, got status ${crashed.status} signal ${crashed.signal}:\n${out(crashed)}`).toBe(true);
    expect(crashed.status === null || crashed.status === 137).toBe(true);
    // whatever the crash left, the files parse and hold at most the one new event
    expect(() => stateOf(dir, 'p')).not.toThrow();
    expect(eventsOf(dir, 'p').length - beforeEvents.length).toBeLessThanOrEqual(1);

    const recovered = RECOVERIES[how](dir);
    expect(recovered.signal).toBeNull();
    expect([0, 1], out(recovered)).toContain(recovered.status);

    const after = stateOf(dir, 'p')!;
    const events = eventsOf(dir, 'p');
    expect(new Set(events.map((e) => e.event.id)).size, 'no duplicate events').toBe(events.length);
    const unchanged = JSON.stringify(after) === JSON.stringify(beforeState) && events.length === beforeEvents.length;
    const last = events.at(-1)!;
    const applied =
      events.length === beforeEvents.length + 1 &&
      last.event.payload.metadata.event === 'validate_complete' &&
      last.event.payload.metadata.seq === 2 &&
      after.state === 'READY_FOR_HANDOFF' &&
      after.seq === 2 &&
      after.event === 'validate_complete' &&
      after.since === last.event.timestamp;
    expect(unchanged || applied, `state ${JSON.stringify(after)}; events ${events.map((e) => `${e.event.payload.metadata.seq}:${e.event.payload.metadata.event}`).join(', ')}`).toBe(true);
    if (how === 'the same transition again') expect(applied, 'after the transition ran again, it has happened exactly once').toBe(true);
    if (how === "another plan's transition") {
      expect(recovered.status, out(recovered)).toBe(0);
      expect(stateOf(dir, 'q')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: qBefore.seq + 1 });
      expect(eventsOf(dir, 'q')).toHaveLength(2);
    }
    expect(existsSync(join(dir, '.plan', 'journal.json')), 'journal finished').toBe(false);
    expect(existsSync(join(dir, '.plan', 'lock')), 'no lock left behind').toBe(false);
    const d = doctor(dir);
    expect(problems(d)).toEqual([]);
    expect(d.code).toBe(0);
  });

  it('before recovery, doctor reports the interrupted transition (exit 1)', () => {
    const dir = fresh();
    const crashed = planRaw(dir, ['transition', 'p', 'validate_complete'], { PLAN_TEST_CRASH_AT: 'after-event' });
    expect(crashed.signal).toBe('SIGKILL');
    const d = doctor(dir);
    expect(d.code).toBe(1);
    expect(d.report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/interrupted' }));
    // plain doctor only reads: the journal is still there
    expect(existsSync(join(dir, '.plan', 'journal.json'))).toBe(true);
  });
});

describe('locking', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('a live lock makes transition exit 2 naming the holder, writing nothing', async () => {
    const dir = fresh();
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(sleeper);
    expect(sleeper.pid).toBeGreaterThan(0);
    writeLock(dir, sleeper.pid!, hostname());
    const before = treeHash(dir);
    const r = await planAsync(dir, ['transition', 'p', 'validate_complete']);
    expect(r.status, out(r)).toBe(2);
    expect(r.stderr).toContain(`pid ${sleeper.pid}`);
    expect(r.stderr).toContain('.plan/lock');
    expect(treeHash(dir)).toBe(before);
    sleeper.kill('SIGKILL');
  });

  it('a lock held from another host is respected even when its pid means nothing here', () => {
    const dir = fresh();
    const pid = deadPid();
    writeLock(dir, pid, `not-${hostname()}`);
    const r = plan(dir, 'transition', 'p', 'validate_complete');
    expect(r.code, out(r)).toBe(2);
    expect(r.stderr).toContain(`pid ${pid}`);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'PLANNED', seq: 1 });
  });

  it('a stale lock (its process is gone) is taken over and the transition succeeds', () => {
    const dir = fresh();
    writeLock(dir, deadPid(), hostname());
    const r = plan(dir, 'transition', 'p', 'validate_complete');
    expect(r.code, out(r)).toBe(0);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
    expect(existsSync(join(dir, '.plan', 'lock'))).toBe(false);
  });

  it('20 concurrent transitions: exactly one applies, the others are refused or find the lock held', async () => {
    const dir = fresh();
    const runs = await Promise.all(Array.from({ length: 20 }, () => planAsync(dir, ['transition', 'p', 'validate_complete'])));
    const summary = runs.map((r) => `${r.status}: ${(r.stdout + r.stderr).split('\n')[0]}`).join('\n');
    expect(runs.filter((r) => r.status === 0), summary).toHaveLength(1);
    for (const r of runs.filter((x) => x.status !== 0)) {
      expect([1, 2], summary).toContain(r.status);
      if (r.status === 1) expect(r.stdout).toContain('validate_complete is not allowed from READY_FOR_HANDOFF');
      if (r.status === 2) expect(r.stderr).toMatch(/\.plan\/lock is held/);
    }
    const events = eventsOf(dir, 'p');
    expect(events.filter((e) => e.event.payload.metadata.event === 'validate_complete')).toHaveLength(1);
    expect(events).toHaveLength(2);
    expect(() => parseState(stateText(dir), '.plan/state.yaml')).not.toThrow();
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
    expect(existsSync(join(dir, '.plan', 'lock'))).toBe(false);
    expect(problems(doctor(dir))).toEqual([]);
  });

  it('12 concurrent update_plan runs lose no update: each applied run gets its own seq', async () => {
    const dir = fresh();
    const runs = await Promise.all(Array.from({ length: 12 }, () => planAsync(dir, ['transition', 'p', 'update_plan'])));
    const summary = runs.map((r) => `${r.status}: ${(r.stdout + r.stderr).split('\n')[0]}`).join('\n');
    const applied = runs.filter((r) => r.status === 0).length;
    expect(applied, summary).toBeGreaterThanOrEqual(1);
    expect(runs.every((r) => r.status === 0 || r.status === 2), summary).toBe(true);
    const events = eventsOf(dir, 'p');
    expect(events.map((e) => e.event.payload.metadata.seq)).toEqual(Array.from({ length: applied + 1 }, (_, i) => i + 1));
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'PLANNED', seq: applied + 1, event: 'update_plan' });
    expect(problems(doctor(dir))).toEqual([]);
  });
});

describe('plan doctor', () => {
  it('a clean repository is healthy', () => {
    const d = doctor(fresh());
    expect(d.report.findings).toEqual([]);
    expect(d.code).toBe(0);
  });

  it('detects a hand edit that makes the state disagree with the log', () => {
    const dir = fresh();
    const path = join(dir, '.plan', 'state.yaml');
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(/^p: \{state: PLANNED, since: "([^"]+)", seq: 1, event: create_plan\}$/m, 'p: {state: READY_FOR_HANDOFF, since: "$1", seq: 2, event: validate_complete}');
    expect(edited).not.toBe(text);
    writeFileSync(path, edited);
    const d = doctor(dir);
    expect(d.code).toBe(1);
    const f = d.report.findings.find((x) => x.rule === 'doctor/state-mismatch');
    expect(f, JSON.stringify(d.report.findings)).toMatchObject({ severity: 'error', plan: 'p', file: '.plan/state.yaml' });
    expect(f!.message).toMatch(/state says READY_FOR_HANDOFF \(seq 2, validate_complete\) but the last event says PLANNED \(seq 1, create_plan\)/);
    expect(d.report.findings.filter((x) => x.plan === 'q')).toEqual([]);

    // a line that is not a state line at all is named by its line number
    writeFileSync(path, text.replace(/^q: .*$/m, 'q: PLANNED'));
    const garbage = doctor(dir);
    expect(garbage.code).toBe(1);
    const line = text.split('\n').findIndex((l) => l.startsWith('q: ')) + 1;
    expect(garbage.report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/state-unreadable', file: '.plan/state.yaml', line }));
  });

  it('detects a torn last line in an event log; the next transition still appends a whole line', () => {
    const dir = fresh();
    appendFileSync(join(dir, '.plan', 'events', 'p.jsonl'), '{"type":"planning_event","version":"1.0.0","event":{"id":"evt_torn","timest');
    const d = doctor(dir);
    expect(d.code).toBe(1);
    expect(d.report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/bad-event-line', severity: 'error', file: '.plan/events/p.jsonl', line: 2, plan: 'p' }));

    const listed = plan(dir, 'events', '--plan', 'p');
    expect(listed.code, out(listed)).toBe(0);
    expect(jsonLines(listed.stdout)).toHaveLength(1);
    expect(listed.stderr).toMatch(/skipped 1 unreadable line/);

    mustTransition(dir, 'p', 'validate_complete');
    const parsed = parseEventLog(logText(dir, 'p'));
    expect(parsed.problems.map((p) => p.line)).toEqual([2]);
    expect(parsed.events.map((e) => e.event.payload.metadata.event)).toEqual(['create_plan', 'validate_complete']);
    expect(logText(dir, 'p').split('\n')[2]).toMatch(/^\{"type":"planning_event".*"validate_complete"/);
    const again = doctor(dir);
    expect(again.report.findings.filter((f) => f.severity !== 'info').map((f) => f.rule)).toEqual(['doctor/bad-event-line']);
  });

  it('detects a plan edited after its gate passed (changed-since-gate), until it goes back through', () => {
    const dir = fresh();
    mustTransition(dir, 'p', 'validate_complete');
    expect(problems(doctor(dir))).toEqual([]);
    appendFileSync(join(dir, 'plans', 'p', 'story_map.md'), '- One more story (P-002)\n');
    const d = doctor(dir);
    expect(d.code).toBe(1);
    const f = d.report.findings.find((x) => x.rule === 'doctor/changed-since-gate');
    expect(f, JSON.stringify(d.report.findings)).toMatchObject({ severity: 'warning', plan: 'p', file: 'plans/p/story_map.md' });
    expect(f!.message).toMatch(/schema_lint/);
    // back to PLANNED and through the gate again: the new content is what passed
    mustTransition(dir, 'p', 'validation_failed');
    mustTransition(dir, 'p', 'validate_complete');
    const clean = doctor(dir);
    expect(problems(clean)).toEqual([]);
    expect(clean.code).toBe(0);
  });
});
