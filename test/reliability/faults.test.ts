/**
 * Injected faults. A crash (SIGKILL, from PLAN_TEST_CRASH_AT in the test build) at every write
 * step of transition, seal, sign, approve and new, then recovery by a later command: the
 * repository must be consistent (`plan doctor` clean, state and log both before or both after
 * the change, nothing torn, nothing lost, no lock or temp file left). And a full disk: a tiny
 * tmpfs filled to a few free pages, where each writer must either succeed or fail with one
 * clear line and leave no half-written file.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
  firstLines,
  IS_ROOT,
  jsonlLines,
  plan,
  planOk,
  problemsOf,
  record,
  S_MANIFEST,
  S_SIGNATURES,
  sealedPlanningRepo,
  statesOf,
  tempDir,
  tempLeftovers,
  tornFiles,
  unclearError,
  type PlanningRepo,
  type Run,
} from './support.js';

const AREA = 'faults';
const stats = { faults: 0, inputs: 0, crashes: 0, torn: 0, lost: 0, violations: 0 };
afterAll(() => {
  record(AREA, stats);
  cleanupAll();
});

let template: PlanningRepo;
beforeAll(() => {
  // p PLANNED (transition, approve); q READY_FOR_HANDOFF (seal); s PACKAGED, signed by lead only (sign)
  template = sealedPlanningRepo({ keys: { lead: 'planning_lead', reviewer: 'technical_reviewer' }, prefix: 'plan-reliability-faults-', ready: ['q'] });
}, 180_000);

// ---------------------------------------------------------------------------------------------
// what each writer changes, and how to tell "before" from "after"

interface Snapshot {
  state: Map<string, { state: string; since: string; seq: number; event: string }>;
  events: Map<string, string[]>;
  approvals: string[];
  signatures: string[];
  handoffs: string[];
}

function snapshot(dir: string): Snapshot {
  const events = new Map<string, string[]>();
  for (const p of ['p', 'q', 's', 'r']) events.set(p, jsonlLines(dir, `.plan/events/${p}.jsonl`));
  const handoffs: string[] = [];
  for (const p of existsSync(join(dir, '.plan/handoffs')) ? readdirSync(join(dir, '.plan/handoffs')) : []) {
    if (!statSync(join(dir, '.plan/handoffs', p)).isDirectory()) {
      handoffs.push(p);
      continue;
    }
    for (const n of readdirSync(join(dir, '.plan/handoffs', p))) handoffs.push(`${p}/${n}`);
  }
  return {
    state: existsSync(join(dir, '.plan/state.yaml')) ? statesOf(dir) : new Map(),
    events,
    approvals: jsonlLines(dir, '.plan/approvals/p.jsonl'),
    signatures: parseSignatures(existsSync(join(dir, S_SIGNATURES)) ? readFileSync(join(dir, S_SIGNATURES), 'utf8') : '').entries.map((e) => `${e.keyid} ${e.sig}`),
    handoffs: handoffs.sort(),
  };
}

interface Writer {
  name: string;
  args: (keys: Record<string, string>) => string[];
  points: string[];
  /** Whether `after` is the change applied exactly once to `before`, or nothing at all; a message when neither. */
  judge: (before: Snapshot, after: Snapshot, dir: string) => 'before' | 'after' | string;
}

/** A state-file writer's change to one plan: one more event, the state line moved to match it. */
function storeJudge(plan: string, to: string, event: string, extra?: (after: Snapshot, dir: string) => string | undefined) {
  return (before: Snapshot, after: Snapshot, dir: string): 'before' | 'after' | string => {
    const b = before.state.get(plan);
    const a = after.state.get(plan);
    const eb = before.events.get(plan)!;
    const ea = after.events.get(plan)!;
    // nothing recorded before is ever lost
    const lost = eb.filter((l) => !ea.includes(l));
    if (lost.length > 0) return `LOST ${lost.length} event line(s) of ${plan}`;
    for (const [id, lines] of before.events) if (id !== plan && lines.some((l) => !after.events.get(id)!.includes(l))) return `LOST events of ${id}`;
    if (JSON.stringify(a) === JSON.stringify(b) && ea.length === eb.length) return 'before';
    const last = ea.at(-1) ? (JSON.parse(ea.at(-1)!) as { event: { timestamp: string; payload: { to_state: string; metadata: { seq: number; event: string } } } }) : undefined;
    const seq = (b?.seq ?? 0) + 1;
    if (ea.length === eb.length + 1 && a?.state === to && a.seq === seq && a.event === event && last?.event.payload.to_state === to && last.event.payload.metadata.seq === seq && last.event.timestamp === a.since) {
      return extra?.(after, dir) ?? 'after';
    }
    return `neither before nor after: state ${JSON.stringify(b)} → ${JSON.stringify(a)}, ${eb.length} → ${ea.length} events`;
  };
}

const WRITERS: Writer[] = [
  {
    name: 'transition',
    args: () => ['transition', 'p', 'validate_complete'],
    points: ['atomic-before-rename', 'after-journal', 'after-event', 'after-state'],
    judge: storeJudge('p', 'READY_FOR_HANDOFF', 'validate_complete'),
  },
  {
    name: 'seal',
    args: (k) => ['seal', 'q', '--key', k['lead']!],
    points: ['seal-after-manifest-file', 'seal-before-rename', 'after-manifest', 'atomic-before-rename', 'after-journal', 'after-event', 'after-state'],
    judge: (before, after, dir) => {
      const verdict = storeJudge('q', 'PACKAGED', 'package_artifacts', (a, d) => {
        // after the transition, the manifest its event names exists and has the bytes the event hashed
        const last = JSON.parse(a.events.get('q')!.at(-1)!) as { event: { payload: { metadata: { manifest?: string; manifest_sha256?: string } } } };
        const m = last.event.payload.metadata;
        if (!m.manifest || !existsSync(join(d, m.manifest))) return `PACKAGED but the manifest ${m.manifest} is missing`;
        const sha = spawnSync('sha256sum', [join(d, m.manifest)], { encoding: 'utf8' }).stdout.split(' ')[0];
        return sha === m.manifest_sha256 ? undefined : 'PACKAGED but the manifest is not the one the event sealed';
      })(before, after, dir);
      if (verdict === 'before' && after.handoffs.some((h) => h.startsWith('q/') && !before.handoffs.includes(h))) return 'before'; // an unreferenced handoff folder: the next seal drops it
      return verdict;
    },
  },
  {
    name: 'sign',
    args: (k) => ['sign', S_MANIFEST, '--key', k['reviewer']!],
    points: ['sign-before-write', 'atomic-before-rename', 'sign-after-write'],
    judge: (before, after) => {
      if (before.signatures.some((s) => !after.signatures.includes(s))) return 'LOST a signature';
      if (after.signatures.length === before.signatures.length) return 'before';
      if (after.signatures.length === before.signatures.length + 1 && new Set(after.signatures.map((s) => s.split(' ')[0])).size === after.signatures.length) return 'after';
      return `${before.signatures.length} → ${after.signatures.length} signatures`;
    },
  },
  {
    name: 'approve',
    args: (k) => ['approve', 'p', '--key', k['lead']!],
    points: ['before-approval', 'after-approval'],
    judge: (before, after) => {
      if (before.approvals.some((l) => !after.approvals.includes(l))) return 'LOST an approval line';
      if (after.approvals.length === before.approvals.length) return 'before';
      // one more line, or two when the approver ran it again after the crash (a key counts once)
      if (after.approvals.length === before.approvals.length + 1 || after.approvals.length === before.approvals.length + 2) return 'after';
      return `${before.approvals.length} → ${after.approvals.length} approval lines`;
    },
  },
  {
    name: 'new',
    args: () => ['new', 'r'],
    points: ['atomic-before-rename', 'after-journal', 'after-event', 'after-state'],
    judge: (before, after, dir) => {
      const verdict = storeJudge('r', 'PLANNED', 'create_plan')(before, after, dir);
      const files = existsSync(join(dir, 'plans/r')) ? readdirSync(join(dir, 'plans/r')).sort() : undefined;
      // "before" means no plan r at all: a folder without a state line is a half-made plan that plan new r then refuses to replace
      if (verdict === 'before' && files) return `a half-made plan folder plans/r (${files.join(', ')}) without a state line or event`;
      if (verdict === 'after' && JSON.stringify(files) !== JSON.stringify(['be_backlog.yaml', 'plan.yaml', 'story_map.md'])) return `plan r created with files ${files?.join(', ')}`;
      return verdict;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// crash consistency

type Recovery = 'the same command again' | 'plan doctor --fix' | 'another plan command';
const RECOVERIES: Recovery[] = (['the same command again', 'plan doctor --fix', 'another plan command'] as const).slice(0, Math.max(1, BUDGET.crashRecoveries));

function recover(how: Recovery, dir: string, writer: Writer, keys: Record<string, string>): Run {
  if (how === 'plan doctor --fix') return plan(dir, ['doctor', '--fix']);
  if (how === 'another plan command') return plan(dir, ['transition', 's', 'begin_execution']); // takes the lock, refused (one signature), so only recovery writes
  return plan(dir, writer.args(keys));
}

const orphans: string[] = [];
/** The crash points a budget tries: all of them, or the middle ones (smoke). */
const pointsOf = (w: Writer): string[] => (BUDGET.crashPoints >= w.points.length ? w.points : w.points.slice(Math.floor((w.points.length - BUDGET.crashPoints) / 2), Math.floor((w.points.length - BUDGET.crashPoints) / 2) + BUDGET.crashPoints));
const cases = WRITERS.flatMap((w) => pointsOf(w).flatMap((point) => RECOVERIES.map((how) => [w.name, point, how] as [string, string, Recovery])));

describe('a crash at every write step, then recovery', () => {
  it.each(cases)('%s killed at %s, recovered by %s', (name, point, how) => {
    const writer = WRITERS.find((w) => w.name === name)!;
    const dir = copyOf(template.dir, 'plan-reliability-crash-');
    const before = snapshot(dir);
    const keys = template.keys.path;

    const crashed = plan(dir, writer.args(keys), { env: { PLAN_TEST_CRASH_AT: point } });
    stats.faults++;
    expect(crashed.signal, `the crash point ${point} was not reached: ${describeRun(crashed)}`).toBe('SIGKILL');

    // right after the crash: nothing torn, nothing lost
    const tornNow = tornFiles(dir);
    stats.torn += tornNow.length;
    expect(tornNow, 'torn right after the crash').toEqual([]);
    const mid = writer.judge(before, snapshot(dir), dir);
    if (mid.startsWith('LOST')) stats.lost++;
    expect(mid.startsWith('LOST'), mid).toBe(false);

    const recovered = recover(how, dir, writer, keys);
    stats.inputs++;
    const crash = crashOf(recovered);
    if (crash) stats.crashes++;
    expect(crash, describeRun(recovered)).toBeUndefined();
    // running it again succeeds, or is refused because the change it makes is already there
    if (how === 'the same command again') expect([0, 1, 2], `running ${name} again after the crash: ${describeRun(recovered)}`).toContain(recovered.status);

    const torn = tornFiles(dir);
    stats.torn += torn.length;
    expect(torn, 'torn after recovery').toEqual([]);
    const after = snapshot(dir);
    const verdict = writer.judge(before, after, dir);
    if (verdict.startsWith('LOST')) stats.lost++;
    else if (verdict !== 'before' && verdict !== 'after') stats.violations++;
    expect(['before', 'after'], `state and log after recovery: ${verdict}`).toContain(verdict);
    if (how === 'the same command again') expect(verdict, 'after running it again the change has happened exactly once').toBe('after');

    // temp files that git does not ignore show in `git status` and, one `git add -A` later, in a commit
    const untracked = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' }).stdout;
    const visible = tempLeftovers(dir).filter((p) => untracked.includes(p.replace(/\/$/, '')));
    if (visible.length > 0) {
      stats.violations++;
      orphans.push(`${name} killed at ${point}, recovered by ${how}: ${visible.join(', ')}`);
    }

    const doctor = doctorOf(dir);
    const problems = problemsOf(doctor.findings);
    if (problems.length > 0 || doctor.run.status !== 0) stats.violations++;
    expect(problems, `plan doctor after recovery: ${describeRun(doctor.run)}`).toEqual([]);
    expect(doctor.run.status).toBe(0);
    expect(existsSync(join(dir, '.plan/journal.json')), 'journal finished').toBe(false);
    expect(existsSync(join(dir, '.plan/lock')), 'no lock left').toBe(false);

    if (name === 'sign' && verdict === 'after') {
      const verify = plan(dir, ['verify', S_MANIFEST]);
      expect(verify.status, `a co-signed manifest verifies: ${describeRun(verify)}`).toBe(0);
    }
  }, 120_000);

  it('no crash left an orphaned temp file that git shows (and one `git add -A` commits)', () => {
    expect(orphans, orphans.join('\n')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// a full disk

function canMount(): boolean {
  if (!IS_ROOT) return false;
  const probe = tempDir('plan-reliability-mount-probe-');
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
}

const MOUNTABLE = canMount();
const PAGE = 4096;

/** Fills the filesystem holding `dir` up to `freePages` free pages. */
function fill(dir: string, freePages: number): void {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let size = 0;
  for (const step of [1 << 20, 64 * 1024, PAGE]) {
    for (;;) {
      try {
        const n = writeSync(fd, chunk, 0, step);
        size += n;
        if (n < step) break;
      } catch {
        break;
      }
    }
  }
  ftruncateSync(fd, Math.max(0, Math.floor(size / PAGE) * PAGE - freePages * PAGE));
  closeSync(fd);
}

describe.skipIf(!MOUNTABLE)('a full disk (a tiny tmpfs)', () => {
  let mount: string;
  beforeAll(() => {
    mount = tempDir('plan-reliability-tmpfs-');
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0755', 'tmpfs', mount]);
    if (r.status !== 0) throw new Error(`mount failed: ${r.stderr}`);
  });
  afterAll(() => {
    if (mount) spawnSync('umount', ['-l', mount]);
  });

  const diskCases = WRITERS.filter((w) => BUDGET.diskWriters.includes(w.name)).flatMap((w) => BUDGET.diskLevels.map((free) => [w.name, free] as [string, number]));

  it.each(diskCases)('%s with %i free pages: succeeds, or fails with one clear line and no half-written file', (name, free) => {
    const writer = WRITERS.find((w) => w.name === name)!;
    const caseDir = join(mount, `${name}-${free}`);
    mkdirSync(caseDir);
    const dir = join(caseDir, 'repo');
    cpSync(template.dir, dir, { recursive: true });
    const before = snapshot(dir);
    const stateBefore = readFileSync(join(dir, '.plan/state.yaml'));
    fill(caseDir, free);
    let run: Run;
    try {
      run = plan(dir, writer.args(template.keys.path));
    } finally {
      rmSync(join(caseDir, 'filler'), { force: true });
    }
    stats.faults++;
    stats.inputs++;
    const problems: string[] = [];
    const crash = crashOf(run);
    if (crash) {
      stats.crashes++;
      problems.push(`crash: ${crash}`);
    }
    const unclear = unclearError(run);
    if (unclear) problems.push(unclear);
    if (run.status !== 0 && !/ENOSPC|no space/i.test(run.stderr)) problems.push(`failed without saying the disk is full: ${firstLines(run.stderr)}`);

    const torn = tornFiles(dir);
    stats.torn += torn.length;
    if (torn.length > 0) problems.push(`torn: ${torn.map((t) => `${t.path}${t.line ? `:${t.line}` : ''} ${t.problem}`).join('; ')}`);
    const leftovers = tempLeftovers(dir);
    if (leftovers.length > 0) problems.push(`temp files left: ${leftovers.join(', ')}`);
    if (existsSync(join(dir, '.plan/lock'))) problems.push('the lock file was left behind');
    const after = snapshot(dir);
    const verdict = writer.judge(before, after, dir);
    if (verdict.startsWith('LOST')) stats.lost++;
    if (run.status === 0 && verdict !== 'after') problems.push(`succeeded but ${verdict}`);
    if (run.status !== 0) {
      if (verdict !== 'before') problems.push(`failed but state/log changed: ${verdict}`);
      if (!readFileSync(join(dir, '.plan/state.yaml')).equals(stateBefore)) problems.push('failed but the state file changed');
      if (existsSync(join(dir, '.plan/journal.json'))) problems.push('failed but left a journal that a later command will apply');
    }
    if (problems.length > 0 && !crash) stats.violations++;
    rmSync(caseDir, { recursive: true, force: true });
    expect(problems, describeRun(run)).toEqual([]);
  }, 120_000);
});
