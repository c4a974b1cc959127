#!/usr/bin/env node
// The project's benchmark (DESIGN §10): spawns `plan` and a baseline in the same run, reports medians,
// minimums and ratios against the budgets.
//
//   npm run bench                        # build, then print a Markdown report (exit 0)
//   node test/bench/run.mjs --check      # exit 1 when a budget fails or a row is BROKEN
//   npm run -s bench -- --json           # rows as JSON on stdout (progress goes to stderr; -s keeps npm quiet)
//   node test/bench/run.mjs --only lint  # only rows whose name contains "lint"
//   BENCH_RUNS=3 node test/bench/run.mjs # measured runs per row (default 10 fast / 5 slow)
//
// Generated repositories are cached in .bench/<name>/ (git-ignored) and reused while the generator
// and its parameters are unchanged: small, large (lint), states (1,000 plans in .plan/state.yaml:
// transition, status), tasks10k (one 10,000-task plan: gate), seal (plans/big/, 1,000 files / 100 MB,
// its throw-away keys in .bench/seal.keys/: seal, verify). Delete one to regenerate it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRepo, generateSealRepo, GENERATOR_VERSION, planId, SEAL_PASSPHRASE } from './generate.mjs';
import { snapshotCli } from './snapshot.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
// Set in main(): a snapshot of the built CLI in .bench/cli/ (or bin/plan.js itself with --in-place).
let PLAN = join(ROOT, 'bin', 'plan.js');
const AJV = join(ROOT, 'node_modules', 'ajv-cli', 'dist', 'index.js');
const BACKLOG_SCHEMA = join(ROOT, 'schemas', 'be_backlog.schema.json');
const NODE = process.execPath;
const RUN_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_BUFFER = 512 * 1024 * 1024;

const REPOS = {
  small: { plans: 100, tasksPerPlan: 100, seed: 1, seedErrors: true },
  large: { plans: 1000, tasksPerPlan: 100, seed: 1, seedErrors: true },
  // `large` without its seeded errors, every plan PLANNED in .plan/state.yaml with its create_plan event.
  states: { plans: 1000, tasksPerPlan: 100, seed: 1, seedErrors: false, lifecycle: true },
  // One plan of 10,000 tasks (the seed's §8.2 "gate validation of a 10,000-task plan < 1 s").
  tasks10k: { plans: 1, tasksPerPlan: 10000, seed: 1, seedErrors: false },
  // 1,000 small plans with their lifecycle state, for the governance row (issue 5: the default rulebook over 1,000 plans).
  governance: { plans: 1000, tasksPerPlan: 1, seed: 3, seedErrors: false, lifecycle: true },
  // plans/big/: 1,000 files, ~100 MB, keys in .bench/seal.keys/, the plan in READY_FOR_HANDOFF (prepareSealRepo).
  seal: { kind: 'seal', plan: 'big', files: 1000, fileBytes: 100 * 1024, seed: 1, keyBits: 2048, prepareVersion: 2 },
};

// ---------------------------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const options = { json: false, check: false, only: [], inPlace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') options.json = true;
    else if (a === '--check') options.check = true;
    else if (a === '--in-place') options.inPlace = true;
    else if (a === '--only') {
      const value = argv[++i];
      if (value === undefined) usage('--only needs a substring');
      options.only.push(value.toLowerCase());
    } else if (a.startsWith('--only=')) options.only.push(a.slice(7).toLowerCase());
    else if (a === '-h' || a === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    } else usage(`unknown argument ${a}`);
  }
  return options;
}

const HELP = `usage: node test/bench/run.mjs [--json] [--check] [--only <substring>]...
  --json         print the rows as JSON instead of a Markdown table
  --check        exit 1 when a budget fails or a row is BROKEN (default: exit 0, it is a report)
  --only <s>     run only the rows whose name contains <s> (repeatable)
  --in-place     run bin/plan.js itself instead of a snapshot of the build in .bench/cli/
env BENCH_RUNS=N  measured runs per row (default 10 for fast rows, 5 for slow ones), after warm-up
`;

function usage(message) {
  process.stderr.write(`bench: ${message}\n${HELP}`);
  process.exit(2);
}

function runsFor(kind) {
  const env = process.env.BENCH_RUNS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) usage(`BENCH_RUNS must be a positive integer, got "${env}"`);
    return n;
  }
  return kind === 'slow' ? 5 : 10;
}

function progress(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// processes

function git(cwd, args, { allowFail = false } = {}) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) throw new Error(`git ${args.join(' ')} in ${cwd} failed (${r.status}): ${r.stderr.trim()}`);
  return r;
}

const CHILD_ENV = { ...process.env, NO_COLOR: '1' };
delete CHILD_ENV.FORCE_COLOR;

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * CPU time (user + sys, ms) of the reaped children of this process, from /proc (Linux); includes
 * their own reaped children (git). Less disturbed by a busy machine than wall clock. null elsewhere.
 */
function childrenCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * One spawned process, timed by wall clock around spawnSync (and its CPU time where /proc tells).
 * cmd.stdin names a file to read stdin from; cmd.stdout 'ignore' sends stdout to /dev/null (for
 * baselines that print 100 MB); cmd.env adds variables.
 */
function timeOnce(cmd) {
  const stdinFd = cmd.stdin ? openSync(cmd.stdin, 'r') : undefined;
  try {
    const stdio = [stdinFd ?? 'pipe', cmd.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'];
    const env = cmd.env ? { ...CHILD_ENV, ...cmd.env } : CHILD_ENV;
    const cpuBefore = childrenCpuMs();
    const started = process.hrtime.bigint();
    const r = spawnSync(cmd.file, cmd.args, { cwd: cmd.cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, env, timeout: RUN_TIMEOUT_MS, stdio });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpuAfter = childrenCpuMs();
    const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
    return { ms, cpuMs, status: r.status, signal: r.signal, error: r.error, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    if (stdinFd !== undefined) closeSync(stdinFd);
  }
}

function describe(cmd) {
  const rel = (p) => (p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length + 1) : p);
  const file = cmd.file === NODE ? 'node' : cmd.file;
  // A long argument list (sha256sum over 1,000 files) is abbreviated.
  const args = cmd.args.length > 12 ? [...cmd.args.slice(0, 4), `... (${cmd.args.length - 4} more)`] : cmd.args;
  const words = [file, ...args.map((a) => (/[\s*"]/.test(a) && !a.startsWith('... (') ? JSON.stringify(rel(a)) : rel(a)))];
  if (cmd.stdin) words.push('<', rel(cmd.stdin));
  if (cmd.stdout === 'ignore') words.push('> /dev/null');
  return words.join(' ');
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------------------------------------
// repositories

function generatorHash() {
  return createHash('sha256').update(readFileSync(join(HERE, 'generate.mjs'))).digest('hex').slice(0, 16);
}

const repoCache = new Map();

/** The repository `name`, generated on first use and cached in .bench/<name>/ while its key is unchanged. */
function ensureRepo(name) {
  if (repoCache.has(name)) return repoCache.get(name);
  const params = REPOS[name];
  const dir = join(ROOT, '.bench', name);
  const markerPath = join(dir, '.git', 'plan-bench.json');
  const key = { generatorVersion: GENERATOR_VERSION, generatorHash: generatorHash(), ...params };
  let info;
  if (existsSync(markerPath)) {
    try {
      const marker = JSON.parse(readFileSync(markerPath, 'utf8'));
      const head = git(dir, ['rev-parse', '--verify', '-q', 'HEAD'], { allowFail: true });
      const keysPresent = !marker.info?.keys || Object.values(marker.info.keys).every((k) => existsSync(k));
      if (JSON.stringify(marker.key) === JSON.stringify(key) && head.status === 0 && head.stdout.trim() === marker.head && keysPresent) info = marker.info;
    } catch {
      info = undefined;
    }
  }
  const shape = params.kind === 'seal' ? `plans/${params.plan}: ${params.files} files x ~${params.fileBytes / 1024} KB` : `${params.plans} plans x ${params.tasksPerPlan} tasks${params.lifecycle ? ', all PLANNED' : ''}`;
  if (info) {
    // A previous run may have been interrupted between staging an edit and restoring it, or while a
    // transition or seal had changed .plan/.
    const dirty = git(dir, ['status', '--porcelain', '--untracked-files=all', '--', 'plans', '.plan']).stdout.trim();
    if (dirty) {
      progress(`${name}: restoring a modified working tree`);
      git(dir, ['reset', '-q', '--hard', 'HEAD']);
      git(dir, ['clean', '-q', '-fdx', '--', 'plans', '.plan']);
    }
    progress(`${name}: reusing ${dir} (${shape})`);
  } else {
    progress(`${name}: generating ${shape} in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    info = params.kind === 'seal' ? prepareSealRepo(dir, params) : generateRepo(dir, params);
    if (params.lifecycle) checkDoctor(dir, info.plans);
    progress(`${name}: generated in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`);
    const head = git(dir, ['rev-parse', 'HEAD']).stdout.trim();
    // Written last: its presence means the repository is complete.
    writeFileSync(markerPath, `${JSON.stringify({ key, head, info }, null, 2)}\n`);
  }
  const repo = { name, dir, ...info };
  repoCache.set(name, repo);
  return repo;
}

/** Runs the CLI outside any measurement (repository preparation, row setup); throws unless it exits 0. */
function planOnce(cwd, args, env = {}) {
  const r = spawnSync(NODE, [PLAN, ...args], { cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, env: { ...CHILD_ENV, ...env } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`plan ${args.join(' ')} in ${cwd} exited ${r.status}: ${firstLine(r.stderr || r.stdout)}`);
  return r.stdout;
}

/** The state file and event logs written by generate.mjs must be what plan itself would have written. */
function checkDoctor(dir, plans) {
  const out = planOnce(dir, ['doctor']);
  if (!out.includes(`${plans} plans, ${plans} event logs, state file consistent`)) throw new Error(`plan doctor does not find the generated .plan/ healthy: ${firstLine(out)}`);
}

/**
 * The sealing repository: generate.mjs writes plans/big/ and commits it; then, with the CLI itself,
 * two 2048-bit keys (planning_lead, technical_reviewer; the private keys in .bench/seal.keys/, outside
 * the repository), create_plan, a commit, and validate_complete --commit. HEAD is then the commit
 * every seal starts from. The blob ids of plans/big are written once for the git cat-file baseline.
 */
function prepareSealRepo(dir, params) {
  const keyDir = `${dir}.keys`;
  rmSync(keyDir, { recursive: true, force: true });
  const generated = generateSealRepo(dir, params);
  const env = { PLAN_KEY_PASSPHRASE: SEAL_PASSPHRASE };
  const bits = String(params.keyBits);
  // Valid for ten years, so a cached repository does not start failing when the keys expire.
  planOnce(dir, ['keygen', '--id', 'lead', '--role', 'planning_lead', '--bits', bits, '--valid-days', '3650', '--out', keyDir], env);
  planOnce(dir, ['keygen', '--id', 'reviewer', '--role', 'technical_reviewer', '--bits', bits, '--valid-days', '3650', '--out', keyDir], env);
  planOnce(dir, ['transition', params.plan, 'create_plan']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `Trust store (lead, reviewer); create ${params.plan}`]);
  planOnce(dir, ['transition', params.plan, 'validate_complete', '--commit']);
  const entries = git(dir, ['ls-tree', '-r', '-l', '-z', 'HEAD', '--', `plans/${params.plan}`])
    .stdout.split('\0')
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf('\t');
      const [, , object, size] = record.slice(0, tab).split(/ +/);
      return { object, size: Number(size), path: record.slice(tab + 1) };
    });
  if (entries.length !== params.files) throw new Error(`plans/${params.plan} has ${entries.length} committed files, expected ${params.files}`);
  const preSeal = git(dir, ['rev-parse', 'HEAD']).stdout.trim();
  const blobList = join(dir, '.git', 'plan-bench-blobs.txt');
  writeFileSync(blobList, `${entries.map((e) => e.object).join('\n')}\n`);
  return {
    kind: 'seal',
    plan: params.plan,
    preSeal,
    files: entries.map((e) => e.path),
    bytes: entries.reduce((sum, e) => sum + e.size, 0),
    blobList,
    keys: { lead: join(keyDir, 'lead.key.pem'), reviewer: join(keyDir, 'reviewer.key.pem') },
    generatorVersion: generated.generatorVersion,
  };
}

// ---------------------------------------------------------------------------------------------
// checks: a measurement of the wrong thing is BROKEN, not fast

function processProblem(r, expectedStatus) {
  if (r.error) return `could not run: ${r.error.message}`;
  if (r.signal) return `killed by ${r.signal}`;
  const ok = Array.isArray(expectedStatus) ? expectedStatus.includes(r.status) : r.status === expectedStatus;
  if (!ok) return `exit code ${r.status}, expected ${expectedStatus}; stderr: ${firstLine(r.stderr)}`;
  return null;
}

function firstLine(text) {
  return (text.trim().split('\n')[0] ?? '').slice(0, 200) || '(empty)';
}

/** `plan lint --format json` must exit 1 and report every seeded error; other findings become notes. */
function checkLintJson(repo, r, { onlyFile } = {}) {
  const problem = processProblem(r, 1);
  if (problem) return { problem };
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch (error) {
    return { problem: `stdout is not JSON (${error.message}): ${firstLine(r.stdout)}; stderr: ${firstLine(r.stderr)}` };
  }
  if (!Array.isArray(report.findings)) return { problem: 'JSON report has no findings array' };
  const expected = repo.seeded.filter((e) => !onlyFile || e.file === onlyFile);
  const missing = expected.filter((e) => !report.findings.some((f) => f.rule === e.rule && f.file === e.file && (f.task === undefined || f.task === e.task)));
  if (missing.length > 0) return { problem: `seeded errors not reported: ${missing.map((e) => `${e.rule} ${e.task}`).join(', ')}` };
  const unexpected = report.findings.filter((f) => !expected.some((e) => f.rule === e.rule && f.file === e.file));
  const notes = [];
  if (unexpected.length > 0) {
    const byRule = {};
    for (const f of unexpected) byRule[`${f.rule} (${f.severity})`] = (byRule[`${f.rule} (${f.severity})`] ?? 0) + 1;
    notes.push(`unexpected findings: ${Object.entries(byRule).map(([k, v]) => `${v}x ${k}`).join(', ')}`);
  }
  if (onlyFile) {
    const outside = report.findings.filter((f) => f.file !== undefined && f.file !== onlyFile);
    if (outside.length > 0) notes.push(`${outside.length} findings outside the staged file (${[...new Set(outside.map((f) => f.file))].slice(0, 3).join(', ')}...)`);
  }
  return { notes, summary: report.summary };
}

/** ajv-cli must validate every backlog and find exactly the seeded bad priorities invalid. */
function checkAjv(repo, r) {
  const problem = processProblem(r, repo.seeded.some((e) => e.rule === 'schema/enum') ? 1 : 0);
  if (problem) return { problem };
  const valid = r.stdout.split('\n').filter((l) => l.endsWith(' valid')).length;
  const invalidFiles = r.stderr
    .split('\n')
    .filter((l) => l.endsWith(' invalid'))
    .map((l) => l.slice(0, -' invalid'.length));
  if (valid + invalidFiles.length !== repo.plans) return { problem: `ajv-cli checked ${valid + invalidFiles.length} files, expected ${repo.plans}` };
  const expectedInvalid = [...new Set(repo.seeded.filter((e) => e.rule === 'schema/enum').map((e) => join(repo.dir, e.file)))].sort();
  if (JSON.stringify([...invalidFiles].sort()) !== JSON.stringify(expectedInvalid)) return { problem: `ajv-cli found ${invalidFiles.length} invalid files, expected ${expectedInvalid.length}` };
  return { notes: [] };
}

function checkExit0(r, stdoutTest, what) {
  const problem = processProblem(r, 0);
  if (problem) return { problem };
  if (stdoutTest && !stdoutTest(r.stdout)) return { problem: `unexpected output for ${what}: ${firstLine(r.stdout)}` };
  return { notes: [] };
}

/** `plan status --json`: every plan of the repository, PLANNED, and (with gates) ready for validate_complete. */
function checkStatusJson(r, plans, gates) {
  const problem = processProblem(r, 0);
  if (problem) return { problem };
  let result;
  try {
    result = JSON.parse(r.stdout);
  } catch (error) {
    return { problem: `stdout is not JSON (${error.message}): ${firstLine(r.stdout)}` };
  }
  if (!Array.isArray(result.plans) || result.plans.length !== plans) return { problem: `status lists ${result.plans?.length} plans, expected ${plans}` };
  const notPlanned = result.plans.filter((p) => p.state !== 'PLANNED');
  if (notPlanned.length) return { problem: `${notPlanned.length} plans not PLANNED, e.g. ${notPlanned[0].plan}: ${notPlanned[0].state}` };
  const steps = result.plans.map((p) => ({ plan: p.plan, step: p.next?.find((n) => n.event === 'validate_complete') }));
  const missing = steps.filter((s) => !s.step);
  if (missing.length) return { problem: `${missing.length} plans do not list validate_complete as a next step` };
  if (gates) {
    // the generated backlogs have no errors: a plan is not ready only when governance blocks it (critical_zero)
    const blocked = steps.filter((s) => s.step.ready !== true && !s.step.governance?.length);
    if (blocked.length) return { problem: `${blocked.length} plans not ready for validate_complete (none has an error), e.g. ${blocked[0].plan}: ${JSON.stringify(blocked[0].step.blocking ?? blocked[0].step.ready)}` };
  } else if (steps.some((s) => s.step.ready !== undefined)) return { problem: 'gate readiness reported with --no-gates' };
  return { notes: [] };
}

/** The state line of `plan` in the working tree's .plan/state.yaml. */
function stateLine(dir, plan) {
  const text = readFileSync(join(dir, '.plan', 'state.yaml'), 'utf8');
  return text.split('\n').find((l) => l.startsWith(`${plan}: `));
}

// ---------------------------------------------------------------------------------------------
// rows

const nodeE0 = { label: 'node -e 0', cmd: () => ({ file: NODE, args: ['-e', '0'], cwd: ROOT }), check: (r) => checkExit0(r) };

function ajvBaseline(repoName) {
  return {
    label: 'ajv-cli validate (be_backlog.yaml files)',
    cmd: () => {
      const repo = ensureRepo(repoName);
      return {
        file: NODE,
        args: [AJV, 'validate', '--spec=draft2020', '-c', 'ajv-formats', '-s', BACKLOG_SCHEMA, '-d', `${repo.dir}/plans/*/be_backlog.yaml`, '--errors=json'],
        cwd: ROOT,
      };
    },
    check: (r) => checkAjv(ensureRepo(repoName), r),
  };
}

function lintRow(repoName, maxMs) {
  return {
    name: `lint ${repoName}`,
    speed: 'slow',
    work: () => {
      const repo = ensureRepo(repoName);
      return `plan lint --format json, ${repo.plans} plans / ${repo.tasks} tasks (${repo.seeded.length} seeded errors)`;
    },
    plan: { cmd: () => ({ file: NODE, args: [PLAN, 'lint', '--format', 'json'], cwd: ensureRepo(repoName).dir }), check: (r) => checkLintJson(ensureRepo(repoName), r) },
    baseline: ajvBaseline(repoName),
    budget: { maxMs, maxRatio: 1, ratioInclusive: false, text: `< ${maxMs / 1000} s and < 1.0x` },
  };
}

/** The staged edit: the plan holding a seeded bad priority, so the report proves the staged file was linted. */
function stagedTarget(repo) {
  const seeded = repo.seeded.find((e) => e.rule === 'schema/enum') ?? repo.seeded[0];
  return seeded ? seeded.file : `plans/${planId(0, repo.plans)}/be_backlog.yaml`;
}

const ROWS = [
  {
    name: 'startup',
    speed: 'fast',
    work: () => 'plan --version (cold start)',
    plan: {
      cmd: () => ({ file: NODE, args: [PLAN, '--version'], cwd: ROOT }),
      check: (r) => checkExit0(r, (out) => out.trim() === JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, '--version'),
    },
    baseline: nodeE0,
    budget: { maxRatio: 1.5, ratioInclusive: true, text: '<= 1.5x' },
  },
  {
    name: 'help',
    speed: 'fast',
    work: () => 'plan --help',
    plan: { cmd: () => ({ file: NODE, args: [PLAN, '--help'], cwd: ROOT }), check: (r) => checkExit0(r, (out) => out.includes('Usage: plan'), '--help') },
    baseline: nodeE0,
    budget: undefined,
  },
  lintRow('small', 1000),
  lintRow('large', 3000),
  {
    name: 'lint --staged large',
    speed: 'fast',
    warmups: 2, // a cache may be populated by the first run
    work: () => `plan lint --staged --format json, one changed backlog of ${ensureRepo('large').plans} plans`,
    setup: () => {
      const repo = ensureRepo('large');
      const file = stagedTarget(repo);
      const full = join(repo.dir, file);
      const text = readFileSync(full, 'utf8');
      const edited = text.replace(/^( {4}title: ")/m, '$1(edited) ');
      if (edited === text) throw new Error(`no title to edit in ${file}`);
      writeFileSync(full, edited);
      git(repo.dir, ['add', '--', file]);
      return () => git(repo.dir, ['checkout', '-q', 'HEAD', '--', file]);
    },
    plan: {
      cmd: () => ({ file: NODE, args: [PLAN, 'lint', '--staged', '--format', 'json'], cwd: ensureRepo('large').dir }),
      check: (r) => checkLintJson(ensureRepo('large'), r, { onlyFile: stagedTarget(ensureRepo('large')) }),
    },
    baseline: nodeE0,
    budget: { maxMs: 300, text: '< 300 ms' },
  },
  ...lifecycleRows(),
  ...sealRows(),
  {
    name: 'governance 1000 plans',
    speed: 'slow',
    work: () => `plan policy simulate --rulebook rulebook --json: the default governance rules over ${ensureRepo('governance').plans} plans and each pending transition, twice (in force and candidate)`,
    plan: {
      cmd: () => ({ file: NODE, args: [PLAN, 'policy', 'simulate', '--rulebook', join(ROOT, 'rulebook'), '--json'], cwd: ensureRepo('governance').dir }),
      check: (r) => checkExit0(r, (out) => { try { const j = JSON.parse(out); return j.plansChecked === ensureRepo('governance').plans && Array.isArray(j.changes); } catch { return false; } }, 'policy simulate --json'),
    },
    baseline: coldStart(),
    budget: { maxMs: 500, text: '< 500 ms' },
  },
];

/** Cold start of the measured CLI: what "above cold start" is measured from. */
function coldStart() {
  return {
    label: 'plan --version (cold start)',
    cmd: () => ({ file: NODE, args: [PLAN, '--version'], cwd: ROOT }),
    check: (r) => checkExit0(r, (out) => /^\d+\.\d+\.\d+/.test(out.trim()), '--version'),
  };
}

/** Rows over the `states` repository (1,000 plans in .plan/state.yaml) and the 10,000-task plan. */
function lifecycleRows() {
  const states = () => ensureRepo('states');
  /** Plans moved so far in this bench run, by id, so each check knows the seq to expect. */
  const moves = new Map();
  const cleanPlanDir = () => {
    git(states().dir, ['checkout', '-q', 'HEAD', '--', '.plan']);
    git(states().dir, ['clean', '-q', '-fdx', '--', '.plan']);
  };
  const unchangedPlanDir = () => {
    const dirty = git(states().dir, ['status', '--porcelain', '--untracked-files=all', '--', '.plan', 'plans']).stdout.trim();
    return dirty ? `the dry run changed the repository: ${firstLine(dirty)}` : null;
  };
  const tenK = () => ensureRepo('tasks10k');
  // Plans no rule of the default governance.yaml guards validate_complete for (critical_zero needs
  // approvals, an emergency contact and a rollback plan from criticality-0 plans): the dry run must pass.
  let ungoverned;
  const dryRunPlan = (i) => {
    ungoverned ??= Array.from({ length: states().plans }, (_, p) => planId(p, states().plans)).filter((id) => {
      const text = readFileSync(join(states().dir, 'plans', id, 'plan.yaml'), 'utf8');
      return /^ {2}criticality: [1-3]$/m.test(text) && /^ {2}compliance: none$/m.test(text);
    });
    if (ungoverned.length === 0) throw new Error('no plan without governance requirements in the states repository');
    return ungoverned[(i * 37) % ungoverned.length];
  };
  return [
    {
      name: 'transition update_plan',
      speed: 'fast',
      work: () => `plan transition <plan> update_plan (no gate), ${states().plans} plans in .plan/state.yaml; each run moves another plan`,
      setup: () => {
        cleanPlanDir();
        moves.clear();
        return cleanPlanDir;
      },
      plan: {
        // Run i moves plan i: every run rewrites the 1,000-line state file and appends to a fresh log.
        cmd: (i) => ({ file: NODE, args: [PLAN, 'transition', planId(i % states().plans, states().plans), 'update_plan'], cwd: states().dir }),
        check: (r, i) => {
          const id = planId(i % states().plans, states().plans);
          const c = checkExit0(r, (out) => out.trim() === `${id}: update_plan (PLANNED → PLANNED)`, 'transition');
          if (c.problem) return c;
          const seq = (moves.get(id) ?? 1) + 1;
          moves.set(id, seq);
          const line = stateLine(states().dir, id);
          if (!line?.includes(`seq: ${seq}, event: update_plan}`)) return { problem: `state line after the transition: ${line}; expected seq ${seq}, event update_plan` };
          const logged = readFileSync(join(states().dir, '.plan', 'events', `${id}.jsonl`), 'utf8').trim().split('\n').length;
          if (logged !== seq) return { problem: `${id}'s event log has ${logged} events, expected ${seq}` };
          return { notes: [] };
        },
      },
      baseline: coldStart(),
      budget: { maxAboveMs: 100, text: '< 100 ms above cold start' },
    },
    {
      name: 'transition validate_complete --dry-run',
      speed: 'slow',
      work: () => `plan transition <plan> validate_complete --dry-run (gate schema_lint), ${states().plans} plans / ${states().tasks} tasks; plans no governance rule guards`,
      setup: () => {
        cleanPlanDir();
        return cleanPlanDir;
      },
      plan: {
        cmd: (i) => ({ file: NODE, args: [PLAN, 'transition', dryRunPlan(i), 'validate_complete', '--dry-run'], cwd: states().dir }),
        check: (r, i) => {
          const id = dryRunPlan(i);
          const c = checkExit0(r, (out) => out.trim() === `${id}: validate_complete (PLANNED → READY_FOR_HANDOFF) would apply; gate schema_lint passes (dry run, nothing written)`, 'transition --dry-run');
          if (c.problem) return c;
          const changed = unchangedPlanDir();
          return changed ? { problem: changed } : { notes: [] };
        },
      },
      baseline: coldStart(),
      budget: undefined,
    },
    {
      name: 'gate 10k tasks',
      speed: 'slow',
      work: () => `plan gate schema_lint <plan>, one plan of ${tenK().tasks} tasks`,
      plan: {
        cmd: () => ({ file: NODE, args: [PLAN, 'gate', 'schema_lint', planId(0, tenK().plans)], cwd: tenK().dir }),
        check: (r) => checkExit0(r, () => r.stderr.includes(`${planId(0, tenK().plans)}: gate schema_lint passes`), 'gate (stderr)'),
      },
      baseline: ajvBaseline('tasks10k'),
      budget: { maxMs: 1000, text: '< 1 s' },
    },
    {
      name: 'status',
      speed: 'slow',
      work: () => `plan status --json (gates run), ${states().plans} plans / ${states().tasks} tasks`,
      setup: () => {
        cleanPlanDir();
        return undefined;
      },
      plan: { cmd: () => ({ file: NODE, args: [PLAN, 'status', '--json'], cwd: states().dir }), check: (r) => checkStatusJson(r, states().plans, true) },
      baseline: coldStart(),
      budget: undefined,
    },
    {
      name: 'status --no-gates',
      speed: 'slow',
      work: () => `plan status --json --no-gates, ${states().plans} plans / ${states().tasks} tasks`,
      setup: () => {
        cleanPlanDir();
        return undefined;
      },
      plan: { cmd: () => ({ file: NODE, args: [PLAN, 'status', '--json', '--no-gates'], cwd: states().dir }), check: (r) => checkStatusJson(r, states().plans, false) },
      baseline: coldStart(),
      budget: undefined,
    },
  ];
}

/**
 * `plan seal` and `plan verify` over plans/big/ (1,000 files, ~100 MB). Baseline: the same blobs
 * read by one `git cat-file --batch` (to /dev/null) plus `sha256sum` over the checked-out files,
 * measured separately, their medians summed.
 */
function sealRows() {
  const repo = () => ensureRepo('seal');
  const env = { PLAN_KEY_PASSPHRASE: SEAL_PASSPHRASE };
  const manifest = () => `.plan/handoffs/${repo().plan}/0001/handoff_manifest.yaml`;
  // Back to the commit every seal starts from (seals are not committed, so HEAD stays there too).
  const reset = () => {
    git(repo().dir, ['reset', '-q', '--hard', repo().preSeal]);
    git(repo().dir, ['clean', '-q', '-fdx', '--', '.plan/handoffs']);
  };
  const mb = () => `${Math.round(repo().bytes / 1e6)} MB`;
  const baseline = {
    label: 'git cat-file --batch + sha256sum (same blobs; sum of medians)',
    parts: [
      {
        label: 'git cat-file --batch',
        cmd: () => ({ file: 'git', args: ['cat-file', '--batch'], cwd: repo().dir, stdin: repo().blobList, stdout: 'ignore' }),
        check: (r) => checkExit0(r),
      },
      {
        label: 'sha256sum',
        cmd: () => ({ file: 'sha256sum', args: ['--', ...repo().files], cwd: repo().dir }),
        check: (r) => checkExit0(r, (out) => out.trim().split('\n').length === repo().files.length, `sha256sum of ${repo().files.length} files`),
      },
    ],
  };
  const sealed = (out) => new RegExp(`^sealed ${manifest().replaceAll('.', '\\.')} \\(${repo().files.length} artifacts, sha256 [0-9a-f]{16}…\\), signed by lead \\(planning_lead\\)$`, 'm').test(out);
  return [
    {
      name: 'seal',
      speed: 'slow',
      work: () => `plan seal ${repo().plan} --key K, ${repo().files.length} artifacts / ${mb()} (reset to the pre-seal commit between runs, untimed)`,
      setup: () => {
        reset();
        return reset;
      },
      plan: {
        cmd: () => ({ file: NODE, args: [PLAN, 'seal', repo().plan, '--key', repo().keys.lead], cwd: repo().dir, env }),
        check: (r) => checkExit0(r, sealed, 'seal'),
        after: reset,
      },
      baseline,
      budget: { maxRatio: 1.3, ratioInclusive: true, text: '<= 1.3x' },
    },
    {
      name: 'verify',
      speed: 'slow',
      work: () => `plan verify, one handoff of ${repo().files.length} artifacts / ${mb()} sealed and co-signed (2 of 2 signatures)`,
      setup: () => {
        reset();
        const out = planOnce(repo().dir, ['seal', repo().plan, '--key', repo().keys.lead], env);
        if (!sealed(out)) throw new Error(`plan seal printed: ${firstLine(out)}`);
        planOnce(repo().dir, ['sign', manifest(), '--key', repo().keys.reviewer], env);
        return reset;
      },
      plan: {
        cmd: () => ({ file: NODE, args: [PLAN, 'verify'], cwd: repo().dir }),
        check: (r) => checkExit0(r, (out) => out.trim() === `✔ ${manifest()}: verified; signed by lead (planning_lead), reviewer (technical_reviewer)`, 'verify'),
      },
      baseline,
      budget: { maxRatio: 1.3, ratioInclusive: true, text: '<= 1.3x' },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// measuring

/**
 * A row: plan.cmd(i) (i counts this row's plan runs, warm-ups included, so each run may use another
 * plan), plan.check(r, i), optional plan.after(i) (untimed, after each plan run: a reset), and a
 * baseline of one command or of `parts` timed one after the other (its median is the sum of the
 * parts' medians). setup() runs once before the runs and returns the restore function.
 */
function measureRow(row) {
  const runs = runsFor(row.speed);
  const warmups = row.warmups ?? 1;
  const parts = row.baseline.parts ?? [row.baseline];
  progress(`${row.name}: ${warmups} warm-up + ${runs} runs of: ${describe(row.plan.cmd(0))}  vs  ${parts.map((p) => describe(p.cmd())).join('  +  ')}`);
  const distBefore = distStamp();
  const restore = row.setup ? row.setup() : undefined;
  const planMs = [];
  const planCpu = [];
  const partMs = parts.map(() => []);
  const partCpu = parts.map(() => []);
  const problems = [];
  const notes = new Set();
  let summary;
  let planRuns = 0;
  const record = (side, check, r, ...extra) => {
    const c = check(r, ...extra);
    if (c.problem) problems.push(`${side}: ${c.problem}`);
    for (const n of c.notes ?? []) notes.add(`${side}: ${n}`);
    if (side === 'plan' && c.summary) summary = c.summary;
  };
  const runPlan = (measured) => {
    const i = planRuns++;
    const p = timeOnce(row.plan.cmd(i));
    try {
      record('plan', row.plan.check, p, i);
    } finally {
      row.plan.after?.(i);
    }
    if (measured) {
      planMs.push(p.ms);
      if (p.cpuMs !== null) planCpu.push(p.cpuMs);
    }
  };
  const runBaseline = (measured) => {
    parts.forEach((part, k) => {
      const b = timeOnce(part.cmd());
      record(parts.length > 1 ? `baseline (${part.label})` : 'baseline', part.check, b);
      if (measured) {
        partMs[k].push(b.ms);
        if (b.cpuMs !== null) partCpu[k].push(b.cpuMs);
      }
    });
  };
  try {
    for (let i = 0; i < warmups; i++) {
      runPlan(false);
      runBaseline(false);
    }
    // Interleaved, so drift (thermal, other load) hits both sides alike.
    for (let i = 0; i < runs && problems.length === 0; i++) {
      runPlan(true);
      runBaseline(true);
    }
  } finally {
    if (restore) restore();
  }
  // Others may rebuild dist/ while the bench runs (`npm run build` deletes it first): say so.
  if (distStamp() !== distBefore) notes.add('dist/ was rebuilt while this row ran; its runs may mix builds (or fail while dist/ was missing)');

  const baseline = sumStats(partMs);
  const basePartsCpu = sumStats(partCpu);
  const planStats = stats(planMs);
  const result = {
    name: row.name,
    work: row.work(),
    command: describe(row.plan.cmd(0)),
    baselineLabel: row.baseline.label,
    baselineCommand: parts.map((p) => describe(p.cmd())).join(' + '),
    runs: planMs.length,
    warmups,
    plan: planStats,
    baseline,
    ratio: planMs.length && baseline.median ? planStats.median / baseline.median : null,
    difference: planMs.length && baseline.median !== null ? round(planStats.median - baseline.median) : null,
    cpu: { plan: stats(planCpu), baseline: basePartsCpu },
    budget: row.budget?.text ?? 'informational',
    status: 'INFO',
    failed: [],
    problems: [...new Set(problems)],
    notes: [...notes],
  };
  if (parts.length > 1) result.baselineParts = parts.map((p, k) => ({ label: p.label, command: describe(p.cmd()), ...stats(partMs[k]) }));
  if (summary) result.lintSummary = summary;
  if (result.problems.length > 0) result.status = 'BROKEN';
  else if (row.budget) {
    const { maxMs, maxRatio, ratioInclusive, maxAboveMs } = row.budget;
    if (maxMs !== undefined && !(result.plan.median < maxMs)) result.failed.push(`median ${fmtMs(result.plan.median)} is not < ${maxMs} ms`);
    if (maxRatio !== undefined) {
      const ok = ratioInclusive ? result.ratio <= maxRatio : result.ratio < maxRatio;
      if (!ok) result.failed.push(`ratio ${result.ratio.toFixed(2)}x is not ${ratioInclusive ? '<=' : '<'} ${maxRatio}x`);
    }
    if (maxAboveMs !== undefined && !(result.difference < maxAboveMs)) result.failed.push(`${fmtMs(result.difference)} above the baseline is not < ${maxAboveMs} ms`);
    result.status = result.failed.length ? 'FAIL' : 'PASS';
  }
  progress(`${row.name}: ${result.status} plan ${fmtMs(result.plan.median)} vs baseline ${fmtMs(result.baseline.median)}`);
  return result;
}

/** Stats of a baseline made of parts: median and min are the sums of the parts' medians and mins. */
function sumStats(partSamples) {
  if (partSamples.length === 1) return stats(partSamples[0]);
  if (partSamples.some((s) => s.length === 0)) return { median: null, min: null, samples: [] };
  const each = partSamples.map((s) => stats(s));
  const n = Math.min(...partSamples.map((s) => s.length));
  const perRun = Array.from({ length: n }, (_, i) => partSamples.reduce((sum, s) => sum + s[i], 0));
  return { median: round(each.reduce((sum, e) => sum + e.median, 0)), min: round(each.reduce((sum, e) => sum + e.min, 0)), samples: perRun.map(round) };
}

function distStamp() {
  try {
    const st = statSync(join(dirname(dirname(PLAN)), 'dist', 'main.js'));
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

function stats(samples) {
  if (samples.length === 0) return { median: null, min: null, samples: [] };
  return { median: round(median(samples)), min: round(Math.min(...samples)), samples: samples.map(round) };
}

function round(ms) {
  return Math.round(ms * 10) / 10;
}

function fmtMs(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms >= 10000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

// ---------------------------------------------------------------------------------------------
// report

function machineInfo() {
  const cpus = os.cpus();
  const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown';
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    git: gitVersion,
    date: new Date().toISOString(),
    loadAverage: loadAverage(),
    revision: revision(),
  };
}

/** The commit measured, and whether src/ differed from it (others edit concurrently). */
function revision() {
  const head = git(ROOT, ['rev-parse', '--short', 'HEAD'], { allowFail: true }).stdout.trim() || 'unknown';
  const dirty = git(ROOT, ['status', '--porcelain', '--', 'src', 'bin', 'schemas'], { allowFail: true }).stdout.trim();
  return dirty ? `${head} + uncommitted changes in ${dirty.split('\n').length} files under src/, bin/, schemas/` : head;
}

function loadAverage() {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

function markdown(machine, rows) {
  const lines = [];
  lines.push('## plan benchmark', '');
  lines.push(`- node ${machine.node}, ${machine.platform}`);
  lines.push(`- ${machine.cpus} CPUs: ${machine.cpuModel}; ${machine.memoryGiB} GiB RAM`);
  lines.push(`- ${machine.git}; ${machine.date}; plan at ${machine.revision}`);
  const busy = Math.max(machine.loadAverage[0], machine.loadAverageAfter?.[0] ?? 0) > machine.cpus * 0.75;
  lines.push(`- load average (1, 5, 15 min) before: ${machine.loadAverage.join(', ')}; after: ${(machine.loadAverageAfter ?? []).join(', ')}${busy ? ' — the machine was busy, absolute times are inflated; ratios are more reliable' : ''}`);
  lines.push('- times are wall clock per spawned process: median (min) of the measured runs, after warm-up; ratio = plan median / baseline median');
  lines.push('');
  lines.push('| work | plan (median) | baseline | baseline (median) | ratio | plan − baseline | budget | status |');
  lines.push('|---|---:|---|---:|---:|---:|---|---|');
  const cell = (s) => (s.median === null ? '—' : `${fmtMs(s.median)} (min ${fmtMs(s.min)})`);
  for (const r of rows) {
    const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`;
    const difference = r.difference === null || r.difference === undefined ? '—' : `${r.difference >= 0 ? '+' : '−'}${fmtMs(Math.abs(r.difference))}`;
    lines.push(`| ${r.work.replaceAll('|', '\\|')} | ${cell(r.plan)} | ${r.baselineLabel} | ${cell(r.baseline)} | ${ratio} | ${difference} | ${r.budget} | ${r.status} |`);
  }
  const remarks = [];
  const cpuRows = rows.filter((r) => r.cpu.plan.median !== null && r.cpu.baseline.median !== null);
  if (cpuRows.length) {
    remarks.push(
      `- CPU time (user+sys of the process and its git children, median; ${1000 / CLK_TCK} ms ticks): ${cpuRows
        .map((r) => `${r.name} ${fmtMs(r.cpu.plan.median)} vs ${fmtMs(r.cpu.baseline.median)}${r.cpu.baseline.median > 0 ? ` (${(r.cpu.plan.median / r.cpu.baseline.median).toFixed(2)}x)` : ''}`)
        .join('; ')}`,
    );
  }
  for (const r of rows) {
    if (r.baselineParts) remarks.push(`- ${r.name}: baseline parts (median, min): ${r.baselineParts.map((p) => `${p.label} ${fmtMs(p.median)} (min ${fmtMs(p.min)})`).join('; ')}`);
  }
  for (const r of rows) {
    for (const f of r.failed) remarks.push(`- ${r.name}: FAIL: ${f}`);
    for (const p of r.problems) remarks.push(`- ${r.name}: BROKEN: ${p}`);
    for (const n of r.notes) remarks.push(`- ${r.name}: note: ${n}`);
  }
  if (remarks.length) lines.push('', ...remarks);
  lines.push('', `Runs per row: ${rows.map((r) => `${r.name} ${r.warmups}+${r.runs}`).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

function main() {
  const options = parseArgs(process.argv.slice(2));
  const selected = options.only.length ? ROWS.filter((r) => options.only.some((s) => r.name.toLowerCase().includes(s))) : ROWS;
  if (selected.length === 0) usage(`--only matches no row; rows: ${ROWS.map((r) => r.name).join(', ')}`);
  if (!options.inPlace) {
    PLAN = snapshotCli();
    progress(`measuring a snapshot of the build: ${PLAN}`);
  } else if (!existsSync(join(ROOT, 'dist', 'main.js'))) progress('warning: dist/main.js is missing; run `npm run build` (or `npm run bench`)');
  const machine = machineInfo();
  const rows = selected.map((row) => {
    try {
      return measureRow(row);
    } catch (error) {
      // A row that cannot even be set up (generation, git) is reported, and the others still run.
      const message = error instanceof Error ? error.message : String(error);
      progress(`${row.name}: BROKEN: ${message}`);
      const empty = { median: null, min: null, samples: [] };
      return { name: row.name, work: row.name, command: null, baselineLabel: row.baseline.label, baselineCommand: null, runs: 0, warmups: 0, plan: empty, baseline: empty, ratio: null, difference: null, cpu: { plan: empty, baseline: empty }, budget: row.budget?.text ?? 'informational', status: 'BROKEN', failed: [], problems: [message], notes: [] };
    }
  });
  machine.loadAverageAfter = loadAverage();
  if (options.json) process.stdout.write(`${JSON.stringify({ machine, rows }, null, 2)}\n`);
  else process.stdout.write(markdown(machine, rows));
  const bad = rows.filter((r) => r.status === 'FAIL' || r.status === 'BROKEN');
  if (options.check && bad.length > 0) {
    progress(`--check: ${bad.map((r) => `${r.name} ${r.status}`).join(', ')}`);
    process.exitCode = 1;
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
}
