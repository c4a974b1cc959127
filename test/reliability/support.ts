/**
 * Shared machinery of the reliability suite (test/reliability): the budget, the counters the
 * summary adds up, a private snapshot of the built CLI (so a rebuild by someone else mid-run
 * cannot pull chunks from under a running process), CLI runs as root or as an unprivileged
 * user, the command-line contract checks, and scanners for torn files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { parseState } from '../../src/core/state.js';
import { parseSignatures } from '../../src/core/seal.js';
import { PROJECT_ROOT, treeSnapshot } from '../helpers.js';
import { goodBacklog, goodStoryMap } from '../e2e/lifecycle-support.js';

// ---------------------------------------------------------------------------------------------
// budget

export type BudgetName = 'smoke' | 'ci' | 'full';

/**
 * How much each area does: `smoke` (the default, under a minute) for a quick local check, `ci` the
 * bounded run CI makes (`RELIABILITY_BUDGET=ci npm run test:reliability`), `full` the long one.
 */
export interface Budget {
  name: BudgetName;
  /** fast-check runs per reader property. */
  readerRuns: number;
  /** fast-check runs of the model-based lifecycle test (each a sequence of up to 40 commands). */
  modelRuns: number;
  /** Random lifecycle tables checked against the generic model. */
  tableRuns: number;
  /** Command sequences driven through the CLI against the model. */
  cliModelRuns: number;
  /** Random mutations of a sealed manifest or its signatures, verified in-process. */
  verifyMutations: number;
  /** The same, through `plan verify` on a sealed repository. */
  cliVerifyMutations: number;
  /** Corpus: every command against every case; otherwise the ones that must fail plus a rotating one. */
  corpusAllCommands: boolean;
  /** Corpus: run every n-th corpus file case (1: all of them). */
  corpusStride: number;
  /** Corpus, when not all commands: at most this many of a case's must-fail commands (rotating). */
  corpusMustFail: number;
  /** Generated 100 MB inputs (each command reads up to its limit). */
  hugeFiles: boolean;
  /** Crash points per writer (from the last, the one nearest the commit point, backwards); 99 for all. */
  crashPoints: number;
  /** Recoveries tried after each crash point (1 to 3). */
  crashRecoveries: number;
  /** Writers tried on the full disk, and the free-page levels. */
  diskWriters: string[];
  diskLevels: number[];
  /** Rounds of 20 concurrent processes, per mix; mixes beyond the first run when > 0. */
  concurrencyRounds: number;
  /** Extra concurrency checks (twenty approvals by one key, the co-signature mix). */
  concurrencyExtras: boolean;
  /** How merges that conflict are ended in the clone scenarios. */
  mergeEndings: Array<'markers' | 'ours' | 'theirs'>;
  /** Random two-clone push/pull histories checked against doctor, and their length. */
  cloneHistories: number;
  cloneSteps: number;
}

const ALL_WRITERS = ['transition', 'seal', 'sign', 'approve', 'new'];

const BUDGETS: Record<BudgetName, Budget> = {
  smoke: {
    name: 'smoke', readerRuns: 300, modelRuns: 100, tableRuns: 100, cliModelRuns: 0, verifyMutations: 60, cliVerifyMutations: 3,
    corpusAllCommands: false, corpusStride: 8, corpusMustFail: 1, hugeFiles: false,
    crashPoints: 1, crashRecoveries: 1, diskWriters: ['transition', 'approve'], diskLevels: [1],
    concurrencyRounds: 1, concurrencyExtras: false, mergeEndings: ['markers'], cloneHistories: 0, cloneSteps: 0,
  },
  ci: {
    name: 'ci', readerRuns: 1_500, modelRuns: 300, tableRuns: 300, cliModelRuns: 1, verifyMutations: 300, cliVerifyMutations: 8,
    corpusAllCommands: false, corpusStride: 4, corpusMustFail: 2, hugeFiles: true,
    crashPoints: 99, crashRecoveries: 1, diskWriters: ['transition', 'seal', 'approve'], diskLevels: [0, 2],
    concurrencyRounds: 1, concurrencyExtras: true, mergeEndings: ['theirs'], cloneHistories: 1, cloneSteps: 8,
  },
  full: {
    name: 'full', readerRuns: 10_000, modelRuns: 2_000, tableRuns: 2_000, cliModelRuns: 10, verifyMutations: 2_000, cliVerifyMutations: 60,
    corpusAllCommands: true, corpusStride: 1, corpusMustFail: 99, hugeFiles: true,
    crashPoints: 99, crashRecoveries: 3, diskWriters: ALL_WRITERS, diskLevels: [0, 1, 2, 3, 4, 5, 6, 8],
    concurrencyRounds: 5, concurrencyExtras: true, mergeEndings: ['markers', 'ours', 'theirs'], cloneHistories: 6, cloneSteps: 16,
  },
};

function budgetName(): BudgetName {
  const raw = process.env['RELIABILITY_BUDGET'];
  if (raw === undefined || raw === '') return 'smoke';
  if (raw === 'smoke' || raw === 'ci' || raw === 'full') return raw;
  throw new Error(`RELIABILITY_BUDGET must be smoke, ci or full, not ${raw}`);
}

export const BUDGET: Budget = BUDGETS[budgetName()];

/** A fast-check seed from RELIABILITY_SEED, to replay a failure; fast-check picks one otherwise. */
export const SEED: number | undefined = process.env['RELIABILITY_SEED'] ? Number(process.env['RELIABILITY_SEED']) : undefined;

// ---------------------------------------------------------------------------------------------
// counters for the summary

export interface Counts {
  /** Inputs tried: fuzzed strings and bytes, model commands, mutations, corpus runs. */
  inputs?: number;
  /** Faults injected: crash points, full disks. */
  faults?: number;
  /** Processes that ran concurrently with others on one repository. */
  concurrent?: number;
  /** A reader threw an untyped error, or the CLI printed a stack trace / internal error / died. */
  crashes?: number;
  /** A file left torn: a line that does not parse, a YAML file that does not parse, a partial file. */
  torn?: number;
  /** A record a command reported written (event, approval, signature) that is not there. */
  lost?: number;
  /** Any other broken promise: wrong exit code, a write on failure, a model disagreement, doctor missing something. */
  violations?: number;
}

const STATS_DIR = process.env['RELIABILITY_STATS_DIR'];
const STATS_FILE = STATS_DIR ? join(STATS_DIR, `${process.pid}-${randomBytes(4).toString('hex')}.jsonl`) : undefined;

/** Adds to the run's counters (read by the summary reporter); a no-op outside `npm run test:reliability`. */
export function record(area: string, counts: Counts): void {
  if (!STATS_FILE) return;
  mkdirSync(STATS_DIR!, { recursive: true });
  appendFileSync(STATS_FILE, `${JSON.stringify({ area, ...counts })}\n`);
}

// ---------------------------------------------------------------------------------------------
// the CLI, from a private snapshot of the build

export const NOBODY = 65534;
export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

let snapshotDir: string | undefined;
const scratch: string[] = [];

/** A temp folder removed by cleanupAll() (readable by the unprivileged user when asked). */
export function tempDir(prefix: string, options: { shared?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (options.shared) chmodSync(dir, 0o755);
  scratch.push(dir);
  return dir;
}

export function cleanupAll(): void {
  for (const dir of scratch.splice(0)) {
    try {
      // a case may have left folders read-only
      spawnSync('chmod', ['-R', 'u+rwX', dir]);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

function builtWithHooks(dist: string): boolean {
  const files = [join(dist, 'main.js'), ...readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'chunks', f))];
  return files.some((f) => readFileSync(f, 'utf8').includes('PLAN_TEST_CRASH_AT'));
}

/** Every chunk a file of the snapshot imports exists (a copy taken mid-rebuild would miss some). */
function snapshotComplete(dist: string): boolean {
  if (!existsSync(join(dist, 'main.js'))) return false;
  const files = [join(dist, 'main.js'), ...readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(dist, 'chunks', f))];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/["'](\.\.?\/(?:chunks\/)?[\w.-]+\.js)["']/g)) {
      const base = file.endsWith('main.js') ? dist : join(dist, 'chunks');
      if (!existsSync(join(base, m[1]!))) return false;
    }
  }
  return true;
}

/**
 * Copies the built CLI (bin/plan.js, dist, package.json and the data it ships) to a private folder,
 * once per test process. A build without the fault-injection hooks is rebuilt with them first.
 */
export function cliRoot(): string {
  if (snapshotDir) return snapshotDir;
  for (let attempt = 0; ; attempt++) {
    if (!existsSync(join(PROJECT_ROOT, 'dist', 'main.js')) || !builtWithHooks(join(PROJECT_ROOT, 'dist'))) {
      const build = spawnSync(process.execPath, ['bin/build.mjs', '--test-hooks'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`npm run build -- --test-hooks failed:\n${build.stderr}`);
    }
    const dir = tempDir('plan-reliability-cli-', { shared: true });
    try {
      for (const part of ['bin/plan.js', 'package.json', 'dist', 'schemas', 'rulebook', 'templates']) cpSync(join(PROJECT_ROOT, part), join(dir, part), { recursive: true });
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
      if (snapshotComplete(join(dir, 'dist')) && builtWithHooks(join(dir, 'dist'))) return (snapshotDir = dir);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    if (attempt >= 5) throw new Error('could not take a complete snapshot of dist/ (is someone rebuilding in a loop?)');
    spawnSync('sleep', ['2']);
  }
}

export function cliBin(): string {
  return join(cliRoot(), 'bin', 'plan.js');
}

export const PASSPHRASE = 'reliability test passphrase';

/** No color, the test passphrase, no key from the caller's environment. */
export const BASE_ENV: Record<string, string> = { NO_COLOR: '1', FORCE_COLOR: '0', GITHUB_ACTIONS: '', PLAN_KEY_PASSPHRASE: PASSPHRASE, PLAN_SIGNING_KEY: '', PLAN_TEST_CRASH_AT: '', GIT_AUTHOR_DATE: '', GIT_COMMITTER_DATE: '' };

export interface Run {
  args: readonly string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Run as this uid/gid (the unprivileged cases). */
  uid?: number;
  timeout?: number;
}

function spawnEnv(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...BASE_ENV, ...options.env };
  if (options.uid !== undefined) env['HOME'] = tmpdir(); // root's HOME is not readable by nobody
  return env;
}

/** `plan <args>` in `cwd`, synchronously. */
export function plan(cwd: string, args: readonly string[], options: RunOptions = {}): Run {
  const started = Date.now();
  const r = spawnSync(process.execPath, [cliBin(), ...args], {
    cwd,
    env: spawnEnv(options),
    encoding: 'utf8',
    input: '',
    timeout: options.timeout ?? 120_000,
    maxBuffer: 512 * 1024 * 1024,
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  return { args, status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - started };
}

/** `plan <args>` that must exit 0. */
export function planOk(cwd: string, args: readonly string[], options: RunOptions = {}): Run {
  const r = plan(cwd, args, options);
  if (r.status !== 0) throw new Error(`plan ${args.join(' ')} exited ${r.status ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** An asynchronous `plan` run, so several run at once. */
export function planAsync(cwd: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cliBin(), ...args], { cwd, env: spawnEnv(options), stdio: ['ignore', 'pipe', 'pipe'], ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}) });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('close', () => clearTimeout(timer));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ args, status, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function gitIn(cwd: string, args: readonly string[], options: { uid?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }, ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function gitOk(cwd: string, ...args: string[]): string {
  const r = gitIn(cwd, args);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// the command-line contract (DESIGN §8)

/** A stack frame as Node prints it. */
const STACK_LINE = /^\s+at\s/m;

/** Why a run broke the contract as a crash: a signal, an exit code outside 0/1/2, a stack trace, "internal error". */
export function crashOf(run: Run): string | undefined {
  if (run.signal) return `killed by ${run.signal}`;
  if (run.status === null || ![0, 1, 2].includes(run.status)) return `exit code ${run.status}`;
  for (const stream of [run.stdout, run.stderr]) {
    if (STACK_LINE.test(stream)) return `stack trace: ${firstLines(stream)}`;
    if (/internal error/i.test(stream)) return `internal error: ${firstLines(stream)}`;
  }
  return undefined;
}

/** Why an exit-2 run did not say so in one clear line on stderr. */
export function unclearError(run: Run): string | undefined {
  if (run.status !== 2) return undefined;
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return `exit 2 with ${lines.length} stderr lines: ${firstLines(run.stderr)}`;
  if (!lines[0]!.startsWith('plan: ')) return `exit 2 without a "plan: " line: ${lines[0]}`;
  if (lines[0]!.length > 600) return `exit 2 with a ${lines[0]!.length}-character line`;
  return undefined;
}

export function firstLines(text: string, n = 4): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, n).join(' | ').slice(0, 600);
}

export function describeRun(run: Run): string {
  return `plan ${run.args.join(' ')} → ${run.signal ?? run.status} (${run.ms} ms)\n  stdout: ${firstLines(run.stdout, 6)}\n  stderr: ${firstLines(run.stderr, 6)}`;
}

// ---------------------------------------------------------------------------------------------
// trees and files

/** What a command changed is what differs between two of these (see treeSnapshot). */
export const treeHash = treeSnapshot;

/** The paths whose entry differs between two tree hashes (added, removed or changed). */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}

/** The parts of .git a read-only command must not touch: config, HEAD, refs. */
export function gitMetaHash(root: string): string {
  const hash = createHash('sha256');
  for (const file of ['config', 'HEAD', 'packed-refs']) {
    const path = join(root, '.git', file);
    if (existsSync(path) && lstatSync(path).isFile()) hash.update(`${file}\0`).update(readFileSync(path));
  }
  const refs = gitIn(root, ['for-each-ref', '--format=%(refname) %(objectname)']);
  hash.update(refs.stdout ?? '');
  return hash.digest('hex');
}

export interface TornFile {
  path: string;
  line?: number;
  problem: string;
}

/**
 * Every file plan writes, checked for torn writes: each line of each .jsonl parses as JSON and
 * ends with a newline, the state file parses line by line, signatures files parse with no bad
 * line, every other YAML under .plan/ and every plan.yaml/backlog parses.
 */
export function tornFiles(root: string): TornFile[] {
  const torn: TornFile[] = [];
  const planDir = join(root, '.plan');
  if (!existsSync(planDir)) return torn;
  const walk = (dir: string, rel: string): string[] => {
    const files: string[] = [];
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const path = `${rel}/${name}`;
      const stat = lstatSync(full);
      if (stat.isDirectory()) files.push(...walk(full, path));
      else if (stat.isFile()) files.push(path);
    }
    return files;
  };
  for (const path of walk(planDir, '.plan')) {
    const text = readFileSync(join(root, path), 'utf8');
    if (path.endsWith('.jsonl')) {
      if (text !== '' && !text.endsWith('\n')) torn.push({ path, problem: 'last line has no newline (a torn append)' });
      text.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        try {
          JSON.parse(line);
        } catch {
          torn.push({ path, line: i + 1, problem: `line does not parse: ${line.slice(0, 80)}` });
        }
      });
    } else if (path === '.plan/state.yaml') {
      try {
        parseState(text, path);
      } catch (error) {
        torn.push({ path, problem: (error as Error).message });
      }
    } else if (path.endsWith('/signatures.yaml')) {
      const { problems } = parseSignatures(text);
      for (const p of problems) torn.push({ path, line: p.line, problem: p.message });
      if (text !== '' && !text.endsWith('\n')) torn.push({ path, problem: 'no final newline' });
    } else if (path.endsWith('.yaml') || path.endsWith('.yml')) {
      const doc = parseDocument(text, { uniqueKeys: true });
      if (doc.errors.length > 0) torn.push({ path, problem: doc.errors[0]!.message.split('\n')[0]! });
    } else if (path.endsWith('.json')) {
      try {
        JSON.parse(text);
      } catch {
        torn.push({ path, problem: 'JSON does not parse' });
      }
    }
  }
  return torn;
}

/** Temporary files and folders plan's writers leave only when interrupted. */
export function tempLeftovers(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (rel === '' && name === '.git') continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      if (/^\..*\.tmp$/.test(name) || /^\.tmp-/.test(name)) found.push(path);
      const full = join(dir, name);
      if (lstatSync(full).isDirectory()) walk(full, path);
    }
  };
  walk(root, '');
  return found.sort();
}

/** chown -R to the unprivileged user (for the cases that need permission bits to bite). */
export function giveTo(path: string, uid = NOBODY): void {
  const r = spawnSync('chown', ['-R', `${uid}:${uid}`, path]);
  if (r.status !== 0) chownSync(path, uid, uid);
}

// ---------------------------------------------------------------------------------------------
// planning repositories

export interface KeyRing {
  dir: string;
  /** key label → encrypted private key file (outside any repository) */
  path: Record<string, string>;
  keyid: Record<string, string>;
  role: Record<string, string>;
}

export interface PlanningRepo {
  dir: string;
  keys: KeyRing;
}

// The planning files every gate passes are the lifecycle suite's: one definition serves both.
export { goodBacklog, goodStoryMap };

export function prefixOf(plan: string): string {
  return plan.toUpperCase().replace(/[^A-Z0-9]+/g, '');
}

/**
 * A committed planning repository: plan init, the plans (from plan new, with files that pass
 * every gate), and signing keys in its trust store (private keys in a folder outside it).
 */
export function buildPlanningRepo(options: { plans: string[]; keys?: Record<string, string>; prefix?: string }): PlanningRepo {
  const dir = tempDir(options.prefix ?? 'plan-reliability-repo-');
  const init = spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  if (init.status !== 0) throw new Error('git init failed');
  for (const [k, v] of [['user.name', 'Plan Tester'], ['user.email', 'tester@example.com'], ['commit.gpgsign', 'false'], ['gc.auto', '0']]) gitOk(dir, 'config', k!, v!);
  planOk(dir, ['init']);
  for (const p of options.plans) {
    planOk(dir, ['new', p]);
    writeFileSync(join(dir, 'plans', p, 'be_backlog.yaml'), goodBacklog(prefixOf(p)));
    writeFileSync(join(dir, 'plans', p, 'story_map.md'), goodStoryMap(p, prefixOf(p)));
  }
  const keys: KeyRing = { dir: tempDir('plan-reliability-keys-', { shared: true }), path: {}, keyid: {}, role: {} };
  for (const [id, role] of Object.entries(options.keys ?? {})) {
    const out = JSON.parse(planOk(dir, ['keygen', '--id', id, '--role', role, '--bits', '2048', '--out', keys.dir, '--json']).stdout) as { keyid: string; privateKey: string };
    keys.path[id] = out.privateKey;
    keys.keyid[id] = out.keyid;
    keys.role[id] = role;
  }
  gitOk(dir, 'add', '-A');
  gitOk(dir, 'commit', '-q', '--no-verify', '-m', 'planning repository');
  return { dir, keys };
}

/** Where sealedPlanningRepo's handoff of plan s lives. */
export const S_MANIFEST = '.plan/handoffs/s/0001/handoff_manifest.yaml';
export const S_SIGNATURES = '.plan/handoffs/s/0001/signatures.yaml';

/**
 * Plans p, q and s, with s sealed (PACKAGED) and signed by `lead` only, so begin_execution waits
 * for a reviewer; the plans in `ready` are moved to READY_FOR_HANDOFF. Every step is committed.
 */
export function sealedPlanningRepo(options: { keys: Record<string, string>; prefix: string; ready?: string[] }): PlanningRepo {
  const repo = buildPlanningRepo({ plans: ['p', 'q', 's'], keys: options.keys, prefix: options.prefix });
  for (const p of [...(options.ready ?? []), 's']) planOk(repo.dir, ['transition', p, 'validate_complete', '--commit']);
  planOk(repo.dir, ['seal', 's', '--key', repo.keys.path['lead']!, '--commit']);
  return repo;
}

/** A private copy of a repository (work tree and .git). */
export function copyOf(dir: string, prefix = 'plan-reliability-copy-'): string {
  const copy = tempDir(prefix);
  cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

/** The state line of every plan, parsed as plan parses it. */
export function statesOf(dir: string): Map<string, { state: string; since: string; seq: number; event: string }> {
  return parseState(readFileSync(join(dir, '.plan', 'state.yaml'), 'utf8'), '.plan/state.yaml');
}

/** The lines of a .jsonl file (none when it does not exist). */
export function jsonlLines(dir: string, path: string): string[] {
  const full = join(dir, path);
  if (!existsSync(full)) return [];
  return readFileSync(full, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

export interface LoggedEvent {
  event: { id: string; type: string; timestamp: string; payload: { from_state: string | null; to_state: string; entity_id: string; metadata: { seq: number; event: string; [k: string]: unknown } } };
}

/** A plan's events, strictly parsed (a torn line throws). */
export function eventsOf(dir: string, plan: string): LoggedEvent[] {
  return jsonlLines(dir, `.plan/events/${plan}.jsonl`).map((l) => JSON.parse(l) as LoggedEvent);
}

export interface DoctorFinding {
  rule: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  plan?: string;
}

/** `plan doctor --json`, parsed; the run is returned for the contract checks. */
export function doctorOf(dir: string, ...extra: string[]): { run: Run; findings: DoctorFinding[] } {
  const run = plan(dir, ['doctor', '--json', ...extra]);
  try {
    return { run, findings: (JSON.parse(run.stdout) as { findings: DoctorFinding[] }).findings };
  } catch {
    throw new Error(`plan doctor --json printed no JSON: ${describeRun(run)}`);
  }
}

/** Errors and warnings only: what makes doctor unhealthy. */
export function problemsOf(findings: readonly DoctorFinding[]): DoctorFinding[] {
  return findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
}

const counted = new Set<string>();

/**
 * Adds one to `field` the first time a failure of this kind is seen in this file: fast-check runs
 * a failing property again and again while it shrinks the input, and that is one failure, not fifty.
 */
export function countOnce(stats: Record<string, number>, field: string, kind: string): void {
  const key = `${field}\0${kind.replace(/\d+/g, 'N').slice(0, 300)}`;
  if (counted.has(key)) return;
  counted.add(key);
  stats[field] = (stats[field] ?? 0) + 1;
}
