/**
 * What the plan store repairs and what it refuses, end to end: a stale lock and the temporary
 * files of killed commands (removed by the next writer, reported by plan doctor --fix), journals
 * plan did not write or that were committed (refused, never replayed), and an events folder
 * that is a symbolic link out of the repository (refused before anything is written).
 */
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git } from '../helpers.js';
import { deadPid, doctor, planRaw, scratchDir, stateOf, treeHash, writeLock, useTemplate } from './lifecycle-support.js';

const { template, fresh } = useTemplate();
const stderrLines = (r: { stderr: string }): string[] => r.stderr.split('\n').filter((l) => l.trim() !== '');
const rules = (dir: string): string[] => doctor(dir).report.findings.map((f) => f.rule);

describe('repairs on taking the lock', () => {
  it('plan doctor --fix clears a lock left by a dead process and says so', () => {
    const dir = fresh();
    writeLock(dir, deadPid(), hostname());
    expect(rules(dir)).toContain('doctor/stale-lock');
    const fixed = planRaw(dir, ['doctor', '--fix']);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/fixed: removed \.plan\/lock, left by pid \d+/);
    expect(existsSync(join(dir, '.plan', 'lock'))).toBe(false);
  });

  it('a plan new killed while writing leaves nothing in plans/; its temporary folder is reported, then removed by the next writer', () => {
    const dir = fresh();
    const crashed = planRaw(dir, ['new', 'r'], { PLAN_TEST_CRASH_AT: 'atomic-before-rename' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'plans', 'r'))).toBe(false);
    const leftovers = readdirSync(join(dir, '.plan')).filter((n) => n.startsWith('.tmp-'));
    expect(leftovers).toHaveLength(1);
    expect(doctor(dir).report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/crash-leftover', severity: 'info', file: `.plan/${leftovers[0]}` }));

    const again = planRaw(dir, ['new', 'r']);
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(join(dir, '.plan')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(readdirSync(join(dir, 'plans', 'r')).sort()).toEqual(['be_backlog.yaml', 'plan.yaml', 'story_map.md']);
    expect(stateOf(dir, 'r')).toMatchObject({ state: 'PLANNED', seq: 1 });
  });

  it('a plan new killed after its journal is finished by another command, folder and state together', () => {
    const dir = fresh();
    expect(planRaw(dir, ['new', 'r'], { PLAN_TEST_CRASH_AT: 'after-journal' }).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'plans', 'r'))).toBe(false);
    const other = planRaw(dir, ['transition', 'p', 'update_plan']);
    expect(other.status, other.stderr).toBe(0);
    expect(readdirSync(join(dir, 'plans', 'r')).sort()).toEqual(['be_backlog.yaml', 'plan.yaml', 'story_map.md']);
    expect(stateOf(dir, 'r')).toMatchObject({ state: 'PLANNED', seq: 1 });
    expect(doctor(dir).report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('journals plan will not replay', () => {
  it.each([
    ['garbage', '{"plan":"p","event":{"type":"planning_ev'],
    ['the wrong shape', '{"plan":42,"event":null,"state":"yes"}'],
    ['a plan id with ..', '{"plan":"../../outside/x","event":null,"state":null}'],
  ])('%s: writers exit 2 with one line naming the file, change nothing, and doctor reports it', (_name, text) => {
    const dir = fresh();
    writeFileSync(join(dir, '.plan', 'journal.json'), text);
    const before = treeHash(dir);
    const r = planRaw(dir, ['transition', 'p', 'update_plan']);
    expect(r.status).toBe(2);
    expect(stderrLines(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/^plan: \.plan\/journal\.json .*will not replay it/);
    expect(treeHash(dir)).toBe(before);
    expect(doctor(dir).report.findings).toContainEqual(expect.objectContaining({ rule: 'doctor/bad-journal', severity: 'error', file: '.plan/journal.json' }));
  });

  it('a journal committed to git is refused until it is untracked, then finished', () => {
    const dir = fresh();
    expect(planRaw(dir, ['transition', 'p', 'validate_complete'], { PLAN_TEST_CRASH_AT: 'after-journal' }).signal).toBe('SIGKILL');
    git(dir, 'add', '--force', '.plan/journal.json');
    git(dir, 'commit', '-q', '-m', 'a journal by mistake');
    const refused = planRaw(dir, ['transition', 'q', 'update_plan']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/\.plan\/journal\.json is committed to git/);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'PLANNED', seq: 1 });

    git(dir, 'rm', '-q', '--cached', '.plan/journal.json');
    const fixed = planRaw(dir, ['doctor', '--fix']);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.stderr).toMatch(/fixed: finished the interrupted validate_complete of plan p/);
    expect(stateOf(dir, 'p')).toMatchObject({ state: 'READY_FOR_HANDOFF', seq: 2 });
  });

  it('a journal older than the plan\'s state line is refused, not replayed over it', () => {
    const dir = fresh();
    expect(planRaw(dir, ['transition', 'p', 'update_plan'], { PLAN_TEST_CRASH_AT: 'after-state' }).signal).toBe('SIGKILL');
    const journal = readFileSync(join(dir, '.plan', 'journal.json'), 'utf8');
    expect(planRaw(dir, ['transition', 'p', 'update_plan']).status).toBe(0);
    expect(planRaw(dir, ['transition', 'p', 'update_plan']).status).toBe(0);
    writeFileSync(join(dir, '.plan', 'journal.json'), journal);
    const r = planRaw(dir, ['transition', 'q', 'update_plan']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is older than the state of plan p/);
    expect(stateOf(dir, 'p')).toMatchObject({ seq: 4 });
  });
});

describe('symbolic links out of the repository', () => {
  it('.plan/events as a link: transition exits 2 naming it, and nothing outside changes', () => {
    const dir = fresh();
    const outside = scratchDir();
    cpSync(join(dir, '.plan', 'events'), join(outside, 'events'), { recursive: true });
    renameSync(join(dir, '.plan', 'events'), join(dir, 'events-moved'));
    symlinkSync(join(outside, 'events'), join(dir, '.plan', 'events'));
    const before = treeHash(outside);
    const r = planRaw(dir, ['transition', 'p', 'update_plan']);
    expect(r.status).toBe(2);
    expect(stderrLines(r)).toEqual(['plan: .plan/events is a symbolic link; plan writes only to real files and folders inside the repository (replace the link with what it points to)']);
    expect(treeHash(outside)).toBe(before);
  });
});
