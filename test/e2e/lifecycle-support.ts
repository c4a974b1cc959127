/**
 * Helpers for the lifecycle end-to-end tests: a template planning repository built once with
 * `plan init` + `plan new` and copied per test, CLI runs that keep the signal of a killed
 * process, async runs for concurrency, tree hashes to prove nothing was written, and readers
 * for the state file and the event logs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { parse } from 'yaml';
import type { PlanningEvent } from '../../src/core/events.js';
import { parseState, type PlanState } from '../../src/core/state.js';
import { commitAll, PLAN_BIN, PROJECT_ROOT, runPlan, tempRepo, treeSnapshot, writeFiles, type RunResult } from '../helpers.js';

/**
 * No color whatever the helpers' defaults (FORCE_COLOR='' turns color on), and the passphrase of
 * the test signing keys (plan reads it from the environment instead of prompting).
 */
const NO_COLOR_ENV = { NO_COLOR: '1', FORCE_COLOR: '0', GITHUB_ACTIONS: '', PLAN_KEY_PASSPHRASE: 'lifecycle test passphrase', PLAN_SIGNING_KEY: '' };

/** `plan <args>` in `cwd`, synchronously, without color. */
export function plan(cwd: string, ...args: string[]): RunResult {
  return runPlan(cwd, args, { env: NO_COLOR_ENV });
}

export interface RawRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Like `plan`, with extra environment, keeping the signal that ended the process. */
export function planRaw(cwd: string, args: readonly string[], env: Record<string, string> = {}): RawRun {
  const r = spawnSync(process.execPath, [PLAN_BIN, ...args], { cwd, env: { ...process.env, ...NO_COLOR_ENV, ...env }, encoding: 'utf8', timeout: 60_000, input: '' });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** An asynchronous `plan` run, so several can run at once. */
export function planAsync(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLAN_BIN, ...args], { cwd, env: { ...process.env, ...NO_COLOR_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `git <args>` that reports failure instead of throwing (merges that conflict). */
export function gitTry(cwd: string, ...args: string[]): RawRun {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** sha256 over every path and content of the work tree except .git: equal means nothing was written. */
export function treeHash(root: string): string {
  return createHash('sha256').update(JSON.stringify([...treeSnapshot(root)])).digest('hex');
}

/** The lifecycle shipped with the tool (plan init copies it into the repository). */
export const LIFECYCLE = parse(readFileSync(join(PROJECT_ROOT, 'rulebook', 'lifecycle.yaml'), 'utf8')) as {
  states: Record<string, unknown>;
  transitions: Array<{ from: string | null; event: string; to: string; gate?: string }>;
};
export const ALL_EVENTS = [...new Set(LIFECYCLE.transitions.map((t) => t.event))];
export const ALL_STATES = Object.keys(LIFECYCLE.states);
export const allowedEvents = (state: string | null): string[] => LIFECYCLE.transitions.filter((t) => t.from === state).map((t) => t.event);

/** A backlog that passes every gate: two tasks with a team (no capacity noise), the second depending on the first. */
export function goodBacklog(prefix: string): string {
  return `# yaml-language-server: $schema=../../.plan/schemas/be_backlog.schema.json
version: "1.0.0"
tasks:
  - id: ${prefix}-001
    title: "Build the thing"
    description: "The first slice"
    effort_points: 3
    priority: P1
    status: todo
    type: feature
    team: backend
    dependencies: []
  - id: ${prefix}-002
    title: "Ship the thing"
    effort_points: 2
    priority: P2
    status: todo
    type: feature
    team: backend
    dependencies: [${prefix}-001]
`;
}

/** A story map whose every story names a task of the backlog (coverage 100% for parity_coverage). */
export function goodStoryMap(plan: string, prefix: string): string {
  return `# ${plan} - Story Map

## Epic: ${plan}

### Backbone (User Activities)
1. **Build** → 2. **Ship**

### Walking Skeleton (MVP)
- Build a first slice (${prefix}-001)

### Release 1 Features
- Ship it to users (${prefix}-002)
`;
}

export interface Template {
  dir: string;
  /** Encrypted private keys (outside the repository) whose public halves are in its trust store. */
  keys?: { lead: string; reviewer: string; dir: string };
}

/**
 * A committed planning repository: `plan init`, then plans p and q made by `plan new` and given
 * files that pass every gate. .gitattributes (merge=union for the logs) is in the commit. With
 * `keys`, two signing keys fill sealing.yaml's roles (planning_lead, technical_reviewer).
 */
export function buildTemplate(options: { keys?: boolean } = {}): Template {
  const dir = tempRepo('plan-lifecycle-template-');
  const must = (r: RunResult, what: string): void => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  };
  must(plan(dir, 'init'), 'plan init');
  must(plan(dir, 'new', 'p'), 'plan new p');
  must(plan(dir, 'new', 'q'), 'plan new q');
  writeFiles(dir, {
    'plans/p/be_backlog.yaml': goodBacklog('P'),
    'plans/p/story_map.md': goodStoryMap('p', 'P'),
    'plans/q/be_backlog.yaml': goodBacklog('Q'),
    'plans/q/story_map.md': goodStoryMap('q', 'Q'),
  });
  let keys: Template['keys'];
  if (options.keys) {
    const keyDir = mkdtempSync(join(tmpdir(), 'plan-lifecycle-keys-'));
    must(plan(dir, 'keygen', '--id', 'lead', '--role', 'planning_lead', '--bits', '2048', '--out', keyDir), 'plan keygen lead');
    must(plan(dir, 'keygen', '--id', 'reviewer', '--role', 'technical_reviewer', '--bits', '2048', '--out', keyDir), 'plan keygen reviewer');
    keys = { lead: join(keyDir, 'lead.key.pem'), reviewer: join(keyDir, 'reviewer.key.pem'), dir: keyDir };
  }
  commitAll(dir, 'plan init, plans p and q');
  return { dir, keys };
}

export function removeTemplate(template: Template | undefined): void {
  if (!template) return;
  rmSync(template.dir, { recursive: true, force: true });
  if (template.keys) rmSync(template.keys.dir, { recursive: true, force: true });
}

const copies: string[] = [];

/** A private copy of `template` (with its .git) for one test. */
export function copyRepo(template: string | Template): string {
  const dir = mkdtempSync(join(tmpdir(), 'plan-lifecycle-'));
  cpSync(typeof template === 'string' ? template : template.dir, dir, { recursive: true });
  copies.push(dir);
  return dir;
}

/** An empty temp folder, removed with the copies. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plan-lifecycle-scratch-'));
  copies.push(dir);
  return dir;
}

export function removeCopies(): void {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A test file's template repository: built before its tests, removed with its copies after.
 * `template()` is the template (inside tests), `fresh()` a private copy of it.
 */
export function useTemplate(): { template: () => Template; fresh: () => string } {
  let template: Template | undefined;
  beforeAll(() => {
    template = buildTemplate();
  });
  afterAll(() => {
    removeCopies();
    removeTemplate(template);
  });
  return { template: () => template!, fresh: () => copyRepo(template!) };
}

export function stateText(root: string): string {
  return readFileSync(join(root, '.plan', 'state.yaml'), 'utf8');
}

/** The state line of one plan, parsed as plan parses it (throws on a broken file). */
export function stateOf(root: string, id: string): PlanState | undefined {
  return parseState(stateText(root), '.plan/state.yaml').get(id);
}

export function logText(root: string, id: string): string {
  const path = join(root, '.plan', 'events', `${id}.jsonl`);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Every line of a plan's event log, strictly parsed (a bad line throws). */
export function eventsOf(root: string, id: string): PlanningEvent[] {
  return logText(root, id)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PlanningEvent);
}

/** JSON lines printed by `plan events`. */
export function jsonLines<T = PlanningEvent>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export interface DoctorReport {
  findings: Array<{ rule: string; severity: string; message: string; file?: string; line?: number; plan?: string }>;
}

/** `plan doctor --json`: exit code and findings. */
export function doctor(root: string, ...extra: string[]): { code: number; report: DoctorReport; stderr: string } {
  const r = plan(root, 'doctor', '--json', ...extra);
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`plan doctor --json did not print JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

/** Writes a lock file the way plan does. */
export function writeLock(root: string, pid: number, host: string): void {
  writeFileSync(join(root, '.plan', 'lock'), JSON.stringify({ pid, host, command: 'plan transition other validate_complete', since: new Date().toISOString() }));
}

/** A pid no process has right now. */
export function deadPid(): number {
  for (let pid = 999_999; ; pid += 7) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}
