#!/usr/bin/env node
// The project's benchmark (DESIGN §10): spawns `plan` and a baseline in the same run, reports medians,
// minimums and ratios against the budgets.
//
//   npm run bench                        # build, then print a Markdown report (exit 0)
//   node test/bench/run.mjs --check      # exit 1 when a budget fails or a row is BROKEN
//   node test/bench/run.mjs --json       # rows as JSON on stdout (progress goes to stderr)
//   node test/bench/run.mjs --only lint  # only rows whose name contains "lint"
//   BENCH_RUNS=3 node test/bench/run.mjs # measured runs per row (default 10 fast / 5 slow)
//
// Generated repositories are cached in .bench/<name>/ (git-ignored) and reused while the generator
// and its parameters are unchanged.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRepo, GENERATOR_VERSION, planId } from './generate.mjs';
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

/** One spawned process, timed by wall clock around spawnSync (and its CPU time where /proc tells). */
function timeOnce(cmd) {
  const cpuBefore = childrenCpuMs();
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, { cwd: cmd.cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, env: CHILD_ENV, timeout: RUN_TIMEOUT_MS });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuAfter = childrenCpuMs();
  const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  return { ms, cpuMs, status: r.status, signal: r.signal, error: r.error, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function describe(cmd) {
  const rel = (p) => (p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length + 1) : p);
  const file = cmd.file === NODE ? 'node' : cmd.file;
  return [file, ...cmd.args.map((a) => (/[\s*"]/.test(a) ? JSON.stringify(rel(a)) : rel(a)))].join(' ');
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
      if (JSON.stringify(marker.key) === JSON.stringify(key) && head.status === 0 && head.stdout.trim() === marker.head) info = marker.info;
    } catch {
      info = undefined;
    }
  }
  if (info) {
    // A previous run may have been interrupted between staging an edit and restoring it.
    const dirty = git(dir, ['status', '--porcelain', '--', 'plans']).stdout.trim();
    if (dirty) {
      progress(`${name}: restoring a modified working tree`);
      git(dir, ['reset', '-q', '--hard', 'HEAD']);
      git(dir, ['clean', '-q', '-fd', '--', 'plans']);
    }
    progress(`${name}: reusing ${dir} (${info.plans} plans x ${info.tasksPerPlan} tasks)`);
  } else {
    progress(`${name}: generating ${params.plans} plans x ${params.tasksPerPlan} tasks in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    info = generateRepo(dir, params);
    progress(`${name}: generated in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`);
    const head = git(dir, ['rev-parse', 'HEAD']).stdout.trim();
    // Written last: its presence means the repository is complete.
    writeFileSync(markerPath, `${JSON.stringify({ key, head, info }, null, 2)}\n`);
  }
  const repo = { name, dir, ...info };
  repoCache.set(name, repo);
  return repo;
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
];

// ---------------------------------------------------------------------------------------------
// measuring

function measureRow(row) {
  const runs = runsFor(row.speed);
  const warmups = row.warmups ?? 1;
  const planCmd = row.plan.cmd();
  const baseCmd = row.baseline.cmd();
  progress(`${row.name}: ${warmups} warm-up + ${runs} runs of: ${describe(planCmd)}  vs  ${describe(baseCmd)}`);
  const distBefore = distStamp();
  const restore = row.setup ? row.setup() : undefined;
  const planMs = [];
  const baseMs = [];
  const planCpu = [];
  const baseCpu = [];
  const problems = [];
  const notes = new Set();
  let summary;
  const record = (side, check, r) => {
    const c = check(r);
    if (c.problem) problems.push(`${side}: ${c.problem}`);
    for (const n of c.notes ?? []) notes.add(`${side}: ${n}`);
    if (side === 'plan' && c.summary) summary = c.summary;
  };
  try {
    for (let i = 0; i < warmups; i++) {
      record('plan', row.plan.check, timeOnce(planCmd));
      record('baseline', row.baseline.check, timeOnce(baseCmd));
    }
    // Interleaved, so drift (thermal, other load) hits both sides alike.
    for (let i = 0; i < runs && problems.length === 0; i++) {
      const p = timeOnce(planCmd);
      planMs.push(p.ms);
      if (p.cpuMs !== null) planCpu.push(p.cpuMs);
      record('plan', row.plan.check, p);
      const b = timeOnce(baseCmd);
      baseMs.push(b.ms);
      if (b.cpuMs !== null) baseCpu.push(b.cpuMs);
      record('baseline', row.baseline.check, b);
    }
  } finally {
    if (restore) restore();
  }
  // Others may rebuild dist/ while the bench runs (`npm run build` deletes it first): say so.
  if (distStamp() !== distBefore) notes.add('dist/ was rebuilt while this row ran; its runs may mix builds (or fail while dist/ was missing)');

  const result = {
    name: row.name,
    work: row.work(),
    command: describe(planCmd),
    baselineLabel: row.baseline.label,
    baselineCommand: describe(baseCmd),
    runs: planMs.length,
    warmups,
    plan: stats(planMs),
    baseline: stats(baseMs),
    ratio: planMs.length && baseMs.length ? median(planMs) / median(baseMs) : null,
    cpu: { plan: stats(planCpu), baseline: stats(baseCpu) },
    budget: row.budget?.text ?? 'informational',
    status: 'INFO',
    failed: [],
    problems: [...new Set(problems)],
    notes: [...notes],
  };
  if (summary) result.lintSummary = summary;
  if (result.problems.length > 0) result.status = 'BROKEN';
  else if (row.budget) {
    const { maxMs, maxRatio, ratioInclusive } = row.budget;
    if (maxMs !== undefined && !(result.plan.median < maxMs)) result.failed.push(`median ${fmtMs(result.plan.median)} is not < ${maxMs} ms`);
    if (maxRatio !== undefined) {
      const ok = ratioInclusive ? result.ratio <= maxRatio : result.ratio < maxRatio;
      if (!ok) result.failed.push(`ratio ${result.ratio.toFixed(2)}x is not ${ratioInclusive ? '<=' : '<'} ${maxRatio}x`);
    }
    result.status = result.failed.length ? 'FAIL' : 'PASS';
  }
  progress(`${row.name}: ${result.status} plan ${fmtMs(result.plan.median)} vs baseline ${fmtMs(result.baseline.median)}`);
  return result;
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
  };
}

function loadAverage() {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

function markdown(machine, rows) {
  const lines = [];
  lines.push('## plan benchmark', '');
  lines.push(`- node ${machine.node}, ${machine.platform}`);
  lines.push(`- ${machine.cpus} CPUs: ${machine.cpuModel}; ${machine.memoryGiB} GiB RAM`);
  lines.push(`- ${machine.git}; ${machine.date}`);
  const busy = Math.max(machine.loadAverage[0], machine.loadAverageAfter?.[0] ?? 0) > machine.cpus * 0.75;
  lines.push(`- load average (1, 5, 15 min) before: ${machine.loadAverage.join(', ')}; after: ${(machine.loadAverageAfter ?? []).join(', ')}${busy ? ' — the machine was busy, absolute times are inflated; ratios are more reliable' : ''}`);
  lines.push('- times are wall clock per spawned process: median (min) of the measured runs, after warm-up; ratio = plan median / baseline median');
  lines.push('');
  lines.push('| work | plan (median) | baseline | baseline (median) | ratio | budget | status |');
  lines.push('|---|---:|---|---:|---:|---|---|');
  const cell = (s) => (s.median === null ? '—' : `${fmtMs(s.median)} (min ${fmtMs(s.min)})`);
  for (const r of rows) {
    const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`;
    lines.push(`| ${r.work.replaceAll('|', '\\|')} | ${cell(r.plan)} | ${r.baselineLabel} | ${cell(r.baseline)} | ${ratio} | ${r.budget} | ${r.status} |`);
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
      return { name: row.name, work: row.name, command: null, baselineLabel: row.baseline.label, baselineCommand: null, runs: 0, warmups: 0, plan: empty, baseline: empty, ratio: null, cpu: { plan: empty, baseline: empty }, budget: row.budget?.text ?? 'informational', status: 'BROKEN', failed: [], problems: [message], notes: [] };
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
