/**
 * Concurrency. Twenty `plan` processes at once on one worktree (transitions, approvals,
 * co-signatures, new plans, a transition that needs the signatures): at most one winner per
 * transition, every reported approval and signature on disk, nothing torn, doctor clean.
 * Then two clones pushing to one bare remote and merging (plan init's merge driver for the state
 * file, merge=union for the logs): after every merge an independent checker lists the
 * inconsistencies the files hold, and `plan doctor` must report each of them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignatures } from '../../src/core/seal.js';
import {
  BUDGET,
  cleanupAll,
  copyOf,
  crashOf,
  describeRun,
  doctorOf,
  eventsOf,
  gitIn,
  gitOk,
  jsonlLines,
  plan,
  planAsync,
  planOk,
  problemsOf,
  record,
  S_MANIFEST,
  S_SIGNATURES,
  SEED,
  sealedPlanningRepo,
  statesOf,
  tempDir,
  tornFiles,
  treeHash,
  changedPaths,
  unclearError,
  type DoctorFinding,
  type PlanningRepo,
  type Run,
} from './support.js';

const AREA = 'concurrency';
const stats = { inputs: 0, concurrent: 0, crashes: 0, torn: 0, lost: 0, violations: 0 };
afterAll(() => {
  record(AREA, stats);
  cleanupAll();
});

const KEYS = { lead: 'planning_lead', reviewer: 'technical_reviewer', carol: 'technical_reviewer', dave: 'planning_lead' };

let template: PlanningRepo;
beforeAll(() => {
  // p and q PLANNED; s PACKAGED and signed by lead only
  template = sealedPlanningRepo({ keys: KEYS, prefix: 'plan-reliability-concurrency-' });
}, 180_000);

/** How every round must end: no torn file, no lock left behind, nothing for doctor to report. */
function expectHealthy(dir: string, problems: string[]): void {
  problems.push(...torn(dir));
  if (existsSync(join(dir, '.plan/lock'))) problems.push('a lock was left behind');
  const doctor = doctorOf(dir);
  if (problemsOf(doctor.findings).length > 0) problems.push(`doctor: ${JSON.stringify(problemsOf(doctor.findings))}`);
  if (problems.length > 0) stats.violations++;
  expect(problems, problems.join('\n')).toEqual([]);
}

/** Shuffles deterministically (no Math.random in a test that must replay). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Job {
  kind: 'transition' | 'approve' | 'sign' | 'new' | 'begin';
  args: string[];
  key?: string;
  plan?: string;
}

const LOCK_HELD = /\.plan\/lock is held/;

async function runTogether(dir: string, jobs: readonly Job[]): Promise<Array<{ job: Job; run: Run }>> {
  const runs = await Promise.all(jobs.map((job) => planAsync(dir, job.args).then((run) => ({ job, run }))));
  stats.concurrent += jobs.length;
  stats.inputs += jobs.length;
  return runs;
}

/** Contract checks shared by every concurrent run: no crash, one clear line, and refusals that say why. */
function contract(results: ReadonlyArray<{ job: Job; run: Run }>): string[] {
  const problems: string[] = [];
  for (const { job, run } of results) {
    const crash = crashOf(run);
    if (crash) {
      stats.crashes++;
      problems.push(`${job.args.join(' ')}: ${crash}`);
    }
    const unclear = unclearError(run);
    if (unclear) problems.push(`${job.args.join(' ')}: ${unclear}`);
  }
  return problems;
}

function torn(dir: string): string[] {
  const t = tornFiles(dir);
  stats.torn += t.length;
  return t.map((x) => `${x.path}${x.line ? `:${x.line}` : ''}: ${x.problem}`);
}

describe(`twenty processes at once on one worktree (${BUDGET.concurrencyRounds} round(s) of each mix)`, () => {
  it.each(Array.from({ length: BUDGET.concurrencyRounds }, (_, i) => i))('transitions racing approvals, round %i', async (round) => {
    const dir = copyOf(template.dir, 'plan-reliability-race-');
    const keys = template.keys.path;
    const jobs: Job[] = shuffled(
      [
        ...Array.from({ length: 6 }, (): Job => ({ kind: 'transition', plan: 'p', args: ['transition', 'p', 'validate_complete'] })),
        ...Array.from({ length: 6 }, (): Job => ({ kind: 'transition', plan: 'q', args: ['transition', 'q', 'READY_FOR_HANDOFF'] })),
        ...Object.keys(KEYS).flatMap((k) => [0, 1].map((): Job => ({ kind: 'approve', key: k, args: ['approve', 'p', '--key', keys[k]!] }))),
      ],
      round + 1,
    );
    const approvalsBefore = jsonlLines(dir, '.plan/approvals/p.jsonl').length;
    const results = await runTogether(dir, jobs);
    const problems = contract(results);

    for (const id of ['p', 'q']) {
      const mine = results.filter((r) => r.job.kind === 'transition' && r.job.plan === id);
      const winners = mine.filter((r) => r.run.status === 0).length;
      if (winners > 1) problems.push(`${winners} winners for ${id}'s validate_complete`);
      for (const { run } of mine.filter((r) => r.run.status !== 0)) {
        if (!(run.status === 1 && /not allowed from READY_FOR_HANDOFF/.test(run.stdout + run.stderr)) && !(run.status === 2 && LOCK_HELD.test(run.stderr))) problems.push(`a loser said neither "not allowed" nor "lock held": ${describeRun(run)}`);
      }
      const events = eventsOf(dir, id);
      const state = statesOf(dir).get(id);
      if (events.length !== 1 + winners) problems.push(`${id}: ${winners} winner(s) but ${events.length} events`);
      if (state?.state !== (winners === 1 ? 'READY_FOR_HANDOFF' : 'PLANNED') || state.seq !== 1 + winners) problems.push(`${id}: ${winners} winner(s) but state ${JSON.stringify(state)}`);
    }
    // approvals take no lock: every one succeeds, and every success is a whole line on disk
    const approvals = results.filter((r) => r.job.kind === 'approve');
    const ok = approvals.filter((r) => r.run.status === 0).length;
    if (ok !== approvals.length) problems.push(`${approvals.length - ok} approvals failed: ${approvals.filter((r) => r.run.status !== 0).map((r) => describeRun(r.run)).join('\n')}`);
    const lines = jsonlLines(dir, '.plan/approvals/p.jsonl');
    if (lines.length !== approvalsBefore + ok) {
      stats.lost += Math.max(0, approvalsBefore + ok - lines.length);
      problems.push(`${ok} approvals succeeded but the log grew by ${lines.length - approvalsBefore} lines`);
    }
    const byKey = new Map<string, number>();
    for (const line of lines) {
      try {
        const keyid = (JSON.parse(line) as { signatures: Array<{ keyid: string }> }).signatures[0]!.keyid;
        byKey.set(keyid, (byKey.get(keyid) ?? 0) + 1);
      } catch {
        // reported by torn()
      }
    }
    for (const k of Object.keys(KEYS)) {
      const expected = approvals.filter((r) => r.job.key === k && r.run.status === 0).length;
      if ((byKey.get(template.keys.keyid[k]!) ?? 0) !== expected) {
        stats.lost++;
        problems.push(`${k}: ${expected} approvals reported, ${byKey.get(template.keys.keyid[k]!) ?? 0} lines`);
      }
    }
    expectHealthy(dir, problems);
  }, 180_000);

  it.each(Array.from({ length: BUDGET.concurrencyExtras ? BUDGET.concurrencyRounds : 0 }, (_, i) => i))('co-signatures, new plans and a transition that waits for the signatures, round %i', async (round) => {
    const dir = copyOf(template.dir, 'plan-reliability-race-');
    const keys = template.keys.path;
    const ids = Array.from({ length: 8 }, (_, i) => `n${round}-${i}`);
    const jobs: Job[] = shuffled(
      [
        ...['reviewer', 'carol', 'dave'].flatMap((k) => [0, 1].map((): Job => ({ kind: 'sign', key: k, args: ['sign', S_MANIFEST, '--key', keys[k]!] }))),
        ...ids.map((id): Job => ({ kind: 'new', plan: id, args: ['new', id] })),
        ...Array.from({ length: 6 }, (): Job => ({ kind: 'begin', args: ['transition', 's', 'begin_execution'] })),
      ],
      round + 7,
    );
    const results = await runTogether(dir, jobs);
    const problems = contract(results);

    // every signer that succeeded is in signatures.yaml, once; lead's first signature is still there
    const entries = parseSignatures(readFileSync(join(dir, S_SIGNATURES), 'utf8'));
    if (entries.problems.length > 0) problems.push(`signatures.yaml: ${JSON.stringify(entries.problems)}`);
    const signed = entries.entries.map((e) => e.keyid);
    if (new Set(signed).size !== signed.length) problems.push('a key signed twice');
    for (const k of ['lead', ...['reviewer', 'carol', 'dave'].filter((k) => results.some((r) => r.job.kind === 'sign' && r.job.key === k && r.run.status === 0))]) {
      if (!signed.includes(template.keys.keyid[k]!)) {
        stats.lost++;
        problems.push(`${k}'s signature was reported but is not in signatures.yaml`);
      }
    }
    for (const r of results.filter((x) => x.job.kind === 'sign' && x.run.status !== 0)) {
      if (!(r.run.status === 2 && LOCK_HELD.test(r.run.stderr)) && !(r.run.status === 1 && /already signed/.test(r.run.stderr))) problems.push(`a refused co-signature said neither "lock held" nor "already signed": ${describeRun(r.run)}`);
    }
    // new plans: each either made whole (folder, state line, one event) or not at all
    const states = statesOf(dir);
    for (const id of ids) {
      const r = results.find((x) => x.job.plan === id)!;
      const folder = existsSync(join(dir, 'plans', id));
      const made = folder && states.get(id)?.state === 'PLANNED' && eventsOf(dir, id).length === 1;
      if (r.run.status === 0 && !made) {
        stats.lost++;
        problems.push(`plan new ${id} succeeded but the plan is not all there`);
      }
      if (r.run.status !== 0 && (folder || states.has(id))) problems.push(`plan new ${id} failed (${r.run.status}) but left ${folder ? 'its folder' : 'a state line'}`);
    }
    // begin_execution: at most one winner, and only with the threshold met when it ran
    const begins = results.filter((r) => r.job.kind === 'begin');
    const winners = begins.filter((r) => r.run.status === 0).length;
    if (winners > 1) problems.push(`${winners} winners for begin_execution`);
    const s = states.get('s');
    if (s?.state !== (winners === 1 ? 'EXECUTED' : 'PACKAGED')) problems.push(`s is ${s?.state} after ${winners} begin_execution winner(s)`);
    if (eventsOf(dir, 's').length !== 3 + winners) problems.push(`s has ${eventsOf(dir, 's').length} events after ${winners} winner(s)`);

    expectHealthy(dir, problems);
  }, 180_000);

  it.skipIf(BUDGET.name !== 'full')('twenty approvals of one plan by one key, at once: twenty whole lines', async () => {
    const dir = copyOf(template.dir, 'plan-reliability-race-');
    const results = await runTogether(dir, Array.from({ length: 20 }, (): Job => ({ kind: 'approve', args: ['approve', 'q', '--key', template.keys.path['dave']!] })));
    const problems = contract(results);
    const ok = results.filter((r) => r.run.status === 0).length;
    const lines = jsonlLines(dir, '.plan/approvals/q.jsonl');
    if (lines.length !== ok) {
      stats.lost += Math.max(0, ok - lines.length);
      problems.push(`${ok} approvals reported, ${lines.length} lines`);
    }
    problems.push(...torn(dir));
    expect(ok).toBe(20);
    expect(problems, problems.join('\n')).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// two clones, one bare remote

interface Expected {
  rule: string;
  plan?: string;
  why: string;
}

/**
 * What is inconsistent in a planning repository, found without plan's code: conflict markers in
 * the state file, duplicate event ids, two state-changing events with one seq, seq gaps,
 * unparseable lines, a state line that is not the last event, events without a state line.
 */
function oracle(dir: string): Expected[] {
  const expected: Expected[] = [];
  const statePath = join(dir, '.plan/state.yaml');
  const stateText = existsSync(statePath) ? readFileSync(statePath, 'utf8') : '';
  const conflicted = new Set<string>();
  let inConflict = false;
  const lines: string[] = [];
  for (const line of stateText.split('\n')) {
    if (line.startsWith('<<<<<<<')) {
      inConflict = true;
      expected.push({ rule: 'doctor/state-conflict', why: 'conflict markers in .plan/state.yaml' });
      continue;
    }
    if (line.startsWith('>>>>>>>')) {
      inConflict = false;
      continue;
    }
    if (line.startsWith('=======') || line.startsWith('|||||||')) continue;
    const id = /^([A-Za-z0-9][A-Za-z0-9._-]*): \{/.exec(line)?.[1];
    if (!id) continue;
    if (inConflict) conflicted.add(id);
    else lines.push(line);
  }
  const state = new Map<string, { state: string; seq: number; event: string }>();
  for (const line of lines) {
    const m = /^([^:]+): \{state: ([A-Z_]+), since: "[^"]*", seq: (\d+), event: ([a-z_]+)\}$/.exec(line);
    if (m) state.set(m[1]!, { state: m[2]!, seq: Number(m[3]), event: m[4]! });
  }
  const logsDir = join(dir, '.plan/events');
  for (const file of existsSync(logsDir) ? readdirSync(logsDir).filter((f) => f.endsWith('.jsonl')) : []) {
    const id = file.slice(0, -'.jsonl'.length);
    const ids = new Set<string>();
    const bySeq = new Map<number, Set<string>>();
    let dupes = false;
    for (const raw of readFileSync(join(logsDir, file), 'utf8').split('\n')) {
      if (raw.trim() === '') continue;
      let e: { event: { id: string; type: string; payload: { to_state: string; metadata: { seq: number; event: string } } } };
      try {
        e = JSON.parse(raw);
      } catch {
        expected.push({ rule: 'doctor/bad-event-line', plan: id, why: `an unparseable line in ${file}` });
        continue;
      }
      if (ids.has(e.event.id)) {
        dupes = true;
        continue;
      }
      ids.add(e.event.id);
      if (e.event.type === 'GATE_FAILED') continue;
      const seq = e.event.payload.metadata.seq;
      bySeq.set(seq, (bySeq.get(seq) ?? new Set()).add(JSON.stringify([e.event.payload.to_state, e.event.payload.metadata.event, e.event.id])));
    }
    if (dupes) expected.push({ rule: 'doctor/duplicate-event', plan: id, why: `an event id twice in ${file}` });
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    const forked = seqs.filter((s) => bySeq.get(s)!.size > 1);
    if (forked.length > 0) expected.push({ rule: 'doctor/seq-conflict', plan: id, why: `seq ${forked.join(', ')} used by two transitions of ${id}` });
    if (seqs.some((s, i) => s !== i + 1)) expected.push({ rule: 'doctor/seq-gap', plan: id, why: `seqs ${seqs.join(',')} of ${id}` });
    if (conflicted.has(id) || seqs.length === 0) continue;
    const max = seqs.at(-1)!;
    const s = state.get(id);
    if (!s) expected.push({ rule: 'doctor/missing-state', plan: id, why: `${id} has events but no state line` });
    else if (bySeq.get(max)!.size === 1) {
      const [to, event] = JSON.parse([...bySeq.get(max)!][0]!) as [string, string];
      if (s.seq !== max || s.state !== to || s.event !== event) expected.push({ rule: 'doctor/state-mismatch', plan: id, why: `${id}'s state line says ${s.state}/${s.seq}, its last event ${to}/${max}` });
    }
  }
  return expected;
}

/** Doctor on `dir` against the oracle: every expected inconsistency reported; healthy when none is expected. */
function doctorAgrees(dir: string, where: string): string[] {
  const expected = oracle(dir);
  const { run, findings } = doctorOf(dir);
  stats.inputs++;
  const problems: string[] = [];
  const crash = crashOf(run);
  if (crash) {
    stats.crashes++;
    problems.push(`${where}: doctor ${crash}`);
  }
  const found = (e: Expected) => findings.some((f: DoctorFinding) => f.rule === e.rule && (e.plan === undefined || f.plan === e.plan || f.plan === undefined));
  for (const e of expected) if (!found(e)) problems.push(`${where}: doctor missed ${e.rule}${e.plan ? ` (${e.plan})` : ''}: ${e.why}; it reported ${JSON.stringify(findings.map((f) => `${f.rule} ${f.plan ?? ''}`))}`);
  if (expected.length === 0 && problemsOf(findings).length > 0) problems.push(`${where}: nothing is inconsistent, but doctor reported ${JSON.stringify(problemsOf(findings))}`);
  if (expected.length > 0 && run.status !== 1) problems.push(`${where}: doctor found problems but exited ${run.status}`);
  if (problems.length > 0) stats.violations++;
  return problems;
}

interface Clones {
  bare: string;
  a: string;
  b: string;
}

function clones(): Clones {
  const root = tempDir('plan-reliability-clones-');
  const bare = join(root, 'remote.git');
  gitOk(root, 'clone', '-q', '--bare', template.dir, bare);
  const make = (name: string): string => {
    const dir = join(root, name);
    gitOk(root, 'clone', '-q', bare, dir);
    for (const [k, v] of [['user.name', `Clone ${name}`], ['user.email', `${name}@example.com`], ['pull.rebase', 'false']]) gitOk(dir, 'config', k!, v!);
    // plan init in each clone: the merge driver for the state file lives in .git/config, which git does not clone
    const before = treeHash(dir);
    planOk(dir, ['init']);
    const changed = changedPaths(before, treeHash(dir));
    if (changed.length > 0) throw new Error(`plan init in a clone of an initialised repository changed ${changed.join(', ')}`);
    if (!gitOk(dir, 'config', '--get', 'merge.plan-state.driver').includes('merge-state')) throw new Error('plan init did not configure the merge driver');
    return dir;
  };
  return { bare, a: make('a'), b: make('b') };
}

function commitMove(dir: string, ...args: string[]): Run {
  const run = plan(dir, [...args, '--commit']);
  stats.inputs++;
  if (crashOf(run)) stats.crashes++;
  return run;
}

/** git pull (a merge); on a conflict, leaves it for the caller. */
function pull(dir: string): 'clean' | 'conflict' {
  const r = gitIn(dir, ['pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main']);
  return r.status === 0 ? 'clean' : 'conflict';
}

function push(dir: string): boolean {
  return gitIn(dir, ['push', '-q', 'origin', 'HEAD:main']).status === 0;
}

/** Ends a conflicted merge the way a hurried person would: one side of the state file, or the markers committed as they are. */
function resolve(dir: string, how: 'ours' | 'theirs' | 'markers'): void {
  const unmerged = gitOk(dir, 'diff', '--name-only', '--diff-filter=U').split('\n').filter(Boolean);
  for (const path of unmerged) {
    if (how !== 'markers') gitIn(dir, ['checkout', `--${how}`, '--', path]);
    gitOk(dir, 'add', '--', path);
  }
  gitOk(dir, 'commit', '-q', '--no-verify', '--no-edit');
}

describe('two clones pushing to one bare remote: doctor finds every inconsistency', () => {
  it('clones moving different plans merge cleanly; doctor is clean on both', () => {
    const { a, b } = clones();
    expect(commitMove(a, 'transition', 'p', 'validate_complete').status).toBe(0);
    expect(push(a)).toBe(true);
    expect(commitMove(b, 'transition', 'q', 'validate_complete').status).toBe(0);
    expect(pull(b)).toBe('clean');
    expect(push(b)).toBe(true);
    expect(pull(a)).toBe('clean');
    const problems = [...doctorAgrees(a, 'a'), ...doctorAgrees(b, 'b')];
    expect(problems, problems.join('\n')).toEqual([]);
    expect(oracle(a)).toEqual([]);
    expect(statesOf(a).get('p')?.state).toBe('READY_FOR_HANDOFF');
    expect(statesOf(a).get('q')?.state).toBe('READY_FOR_HANDOFF');
  }, 120_000);

  it('clones creating different plans merge cleanly through the merge driver', () => {
    const { a, b } = clones();
    expect(plan(a, ['new', 'ra']).status).toBe(0);
    gitOk(a, 'add', '-A');
    gitIn(a, ['commit', '-q', '-m', 'plan ra']);
    expect(push(a)).toBe(true);
    expect(plan(b, ['new', 'rb']).status).toBe(0);
    gitOk(b, 'add', '-A');
    gitOk(b, 'commit', '-q', '-m', 'plan rb');
    expect(pull(b)).toBe('clean');
    const problems = doctorAgrees(b, 'b');
    expect(problems, problems.join('\n')).toEqual([]);
    expect([...statesOf(b).keys()].sort()).toEqual(['p', 'q', 'ra', 'rb', 's']);
  }, 120_000);

  it.each([
    ['different events on the same plan', ['transition', 'p', 'validate_complete'], ['transition', 'p', 'update_plan']],
    ['the same event on the same plan', ['transition', 'p', 'validate_complete'], ['transition', 'p', 'validate_complete']],
  ])('%s: the merge conflicts; doctor reports it, and still does after each way of ending the merge', (_name, first, second) => {
    const problems: string[] = [];
    for (const how of BUDGET.mergeEndings) {
      const { a, b } = clones();
      expect(commitMove(a, ...first).status).toBe(0);
      expect(push(a)).toBe(true);
      expect(commitMove(b, ...second).status).toBe(0);
      // the state lines conflict unless both transitions happened in the same second (equal lines merge cleanly)
      const merged = pull(b);
      problems.push(...doctorAgrees(b, `b, after a ${merged} merge`));
      expect(oracle(b).map((e) => e.rule)).toContain('doctor/seq-conflict');
      if (merged === 'conflict') {
        resolve(b, how);
        problems.push(...doctorAgrees(b, `b, merge ended with ${how}`));
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  }, 300_000);

  it('a transition cherry-picked into the other clone, then both move on and merge', () => {
    const { a, b } = clones();
    expect(commitMove(a, 'transition', 'p', 'validate_complete').status).toBe(0);
    expect(push(a)).toBe(true);
    gitOk(b, 'fetch', '-q', 'origin');
    gitIn(b, ['cherry-pick', 'origin/main']);
    expect(commitMove(b, 'transition', 'p', 'validation_failed').status).toBe(0);
    expect(commitMove(a, 'transition', 'p', 'package_artifacts').status).toBe(1); // refused: plan seal does it
    expect(commitMove(a, 'transition', 'p', 'validation_failed').status).toBe(0);
    expect(push(a)).toBe(true);
    const merged = pull(b);
    const problems = doctorAgrees(b, `b after a ${merged} merge`);
    if (merged === 'conflict') {
      resolve(b, 'ours');
      problems.push(...doctorAgrees(b, 'b, merge ended with ours'));
    }
    expect(problems, problems.join('\n')).toEqual([]);
  }, 120_000);

  it.skipIf(BUDGET.cloneHistories === 0)(`random push/pull histories of two clones (${BUDGET.cloneHistories} × ${BUDGET.cloneSteps} steps)`, () => {
    const events = ['validate_complete', 'validation_failed', 'update_plan', 'READY_FOR_HANDOFF', 'PLANNED'];
    const step = fc.oneof(
      fc.record({ kind: fc.constant('move' as const), clone: fc.constantFrom('a' as const, 'b' as const), plan: fc.constantFrom('p', 'q'), event: fc.constantFrom(...events) }),
      fc.record({ kind: fc.constant('new' as const), clone: fc.constantFrom('a' as const, 'b' as const), plan: fc.constantFrom('r1', 'r2') }),
      fc.record({ kind: fc.constant('sync' as const), clone: fc.constantFrom('a' as const, 'b' as const), resolve: fc.constantFrom('ours' as const, 'theirs' as const, 'markers' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: BUDGET.cloneSteps }), (steps) => {
        const c = clones();
        const problems: string[] = [];
        for (const s of steps) {
          const dir = c[s.clone];
          if (s.kind === 'move') commitMove(dir, 'transition', s.plan, s.event);
          else if (s.kind === 'new') {
            if (plan(dir, ['new', s.plan]).status === 0) {
              gitOk(dir, 'add', '-A');
              gitIn(dir, ['commit', '-q', '--no-verify', '-m', `plan ${s.plan}`]);
            }
          } else {
            if (pull(dir) === 'conflict') {
              problems.push(...doctorAgrees(dir, `${s.clone} mid-merge`));
              resolve(dir, s.resolve);
            }
            problems.push(...doctorAgrees(dir, `${s.clone} after sync`));
            push(dir);
          }
        }
        for (const name of ['a', 'b'] as const) {
          if (pull(c[name]) === 'conflict') resolve(c[name], 'markers');
          problems.push(...doctorAgrees(c[name], `${name} at the end`));
        }
        if (problems.length > 0) throw new Error(`${problems.join('\n')}\nsteps: ${JSON.stringify(steps)}`);
      }),
      { numRuns: BUDGET.cloneHistories, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
    );
  }, 900_000);
});
