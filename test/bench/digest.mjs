#!/usr/bin/env node
// Benchmark of `plan digest` (DESIGN §10: over 10,000 commits < 2 s and <= 3x a bare `git log` of the
// same range). Generates repositories whose history moves task statuses in backlog files, then prints
// the median times of `plan digest --format json` with a cold and a warm cache against
// `git log --format=%H%x00%ct --name-only -- plans` over the same history, as a Markdown table.
//
//   node test/bench/digest.mjs [--commits 1000,10000] [--runs 5] [--plans 10] [--tasks 25] [--keep]
//   node test/bench/digest.mjs --generate <dir> --commits N      (only make the repository)
//
// Plain ESM JavaScript on purpose: it runs without a build step (but needs `npm run build` for bin/plan.js).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './generate.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PLAN_BIN = resolve(HERE, '..', '..', 'bin', 'plan.js');
const DAY = 86_400_000;
/** The cycles the history spans; the digest covers the last one and trends over the three before. */
const CYCLES = 8;
const CYCLE_DAYS = 14;
const ANCHOR = '2024-01-01';


const VERBS = ['Implement', 'Design', 'Migrate', 'Harden', 'Document', 'Refactor', 'Instrument', 'Automate'];
const NOUNS = ['event bus', 'state machine', 'schema registry', 'handoff packager', 'digest renderer', 'approval flow', 'audit log', 'rate limiter'];
const POINTS = [1, 2, 3, 5, 8, 13];
const NEXT = { todo: 'in_progress', in_progress: 'done', blocked: 'in_progress' };

function backlogText(tasks) {
  const lines = ['# yaml-language-server: $schema=../../.plan/schemas/be_backlog.schema.json', 'version: "1.0.0"', 'tasks:'];
  for (const t of tasks) {
    lines.push(`  - id: ${t.id}`, `    title: "${t.title}"`, `    effort_points: ${t.points}`, `    priority: ${t.priority}`, `    status: ${t.status}`, `    type: ${t.type}`, '    dependencies: []');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A repository with `commits` commits spread evenly over CYCLES cycles, each changing one backlog:
 * mostly a task moving todo → in_progress → done, sometimes a reopen, a re-estimate, a new task
 * or a dropped one; backlogs stay near `tasks` tasks. Written with one `git fast-import`, so 10,000 commits take a second or two.
 */
export function generateHistory(dir, { commits, plans = 10, tasks = 25, seed = 42 }) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = false\n[user]\n\tname = Bench\n\temail = bench@example.com\n[commit]\n\tgpgsign = false\n[gc]\n\tauto = 0\n');
  const backlogs = [];
  let nextId = 0;
  const newTask = (p) => ({ id: `PL${String(p + 1).padStart(4, '0')}-${++nextId}`, title: `${pick(VERBS)} ${pick(NOUNS)}`, points: pick(POINTS), priority: pick(['P0', 'P1', 'P2', 'P3']), status: 'todo', type: random() < 0.1 ? 'defect' : 'feature' });
  // Teams archive finished work: a backlog past its size loses its oldest done task.
  const addTask = (backlog, p) => {
    backlog.push(newTask(p));
    const done = backlog.findIndex((t) => t.status === 'done');
    if (backlog.length > tasks && done !== -1) backlog.splice(done, 1);
  };
  for (let p = 0; p < plans; p++) backlogs.push(Array.from({ length: tasks }, () => newTask(p)));
  const start = Date.parse(`${ANCHOR}T00:00:00Z`);
  const span = CYCLES * CYCLE_DAYS * DAY;
  const chunks = [];
  const config = 'plans_dir: plans\ncycle:\n  length_days: 14\n  anchor: "2024-01-01"\n  timezone: UTC\n';
  const commit = (i, message, files) => {
    const when = Math.floor((start + (span * (i + 0.5)) / commits) / 1000);
    chunks.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <bench@example.com> ${when} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
    if (i > 0) chunks.push(`from :${i}\n`);
    for (const [path, text] of files) chunks.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  };
  commit(0, 'plans', [['plan.config.yaml', config], ...backlogs.map((b, p) => [`plans/p${String(p + 1).padStart(2, '0')}/be_backlog.yaml`, backlogText(b)])]);
  for (let i = 1; i < commits; i++) {
    const p = Math.floor(random() * plans);
    const backlog = backlogs[p];
    const roll = random();
    const open = backlog.filter((t) => t.status !== 'done' && t.status !== 'dropped');
    if (roll < 0.03) addTask(backlog, p);
    else if (roll < 0.05 && open.length > 0) pick(open).status = 'dropped';
    else if (roll < 0.08) pick(backlog).points = pick(POINTS);
    else if (roll < 0.11) {
      const done = backlog.filter((t) => t.status === 'done');
      if (done.length > 0) pick(done).status = 'in_progress';
    } else if (open.length > 0) {
      const t = pick(open);
      t.status = NEXT[t.status] ?? 'in_progress';
    } else addTask(backlog, p);
    commit(i, `work ${i}`, [[`plans/p${String(p + 1).padStart(2, '0')}/be_backlog.yaml`, backlogText(backlog)]]);
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join(''), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
  spawnSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir });
  const lastCycleStart = new Date(start + (CYCLES - 1) * CYCLE_DAYS * DAY).toISOString().slice(0, 10);
  return { cycle: lastCycleStart };
}

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function run(cwd, command, args) {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' }, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result;
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const generateDir = option('--generate');
  const plans = Number(option('--plans', '10'));
  const tasks = Number(option('--tasks', '25'));
  if (generateDir) {
    mkdirSync(generateDir, { recursive: true });
    const { cycle } = generateHistory(resolve(generateDir), { commits: Number(option('--commits', '1000')), plans, tasks });
    process.stdout.write(`generated ${generateDir}; digest with: plan digest --cycle ${cycle}\n`);
  } else {
    const sizes = option('--commits', '1000,10000').split(',').map(Number);
    const runs = Number(option('--runs', '5'));
    const rows = ['| commits | bare `git log` | `plan digest` cold cache | `plan digest` warm cache | cold / git log | warm / git log |', '|---:|---:|---:|---:|---:|---:|'];
    for (const commits of sizes) {
      const dir = mkdtempSync(join(tmpdir(), 'plan-bench-digest-'));
      try {
        const { cycle } = generateHistory(dir, { commits, plans, tasks });
        const digest = ['--format', 'json', '--cycle', cycle];
        run(dir, process.execPath, [PLAN_BIN, 'digest', ...digest]); // warms the OS file cache
        const gitLog = [];
        const cold = [];
        const warm = [];
        for (let r = 0; r < runs; r++) {
          gitLog.push(time(() => run(dir, 'git', ['log', '--format=%H%x00%ct', '--name-only', '--', 'plans'])));
          rmSync(join(dir, '.git', 'plan', 'cache'), { recursive: true, force: true });
          cold.push(time(() => run(dir, process.execPath, [PLAN_BIN, 'digest', ...digest])));
          warm.push(time(() => run(dir, process.execPath, [PLAN_BIN, 'digest', ...digest])));
        }
        const [g, c, w] = [median(gitLog), median(cold), median(warm)];
        rows.push(`| ${commits.toLocaleString('en-US')} | ${g.toFixed(0)} ms | ${c.toFixed(0)} ms | ${w.toFixed(0)} ms | ${(c / g).toFixed(1)}x | ${(w / g).toFixed(1)}x |`);
      } finally {
        if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
        else process.stderr.write(`kept ${dir}\n`);
      }
    }
    process.stdout.write(`${rows.join('\n')}\n\nmedian of ${runs} runs; ${plans} plans of ${tasks}+ tasks; budget at 10,000 commits: < 2 s and <= 3x git log\n`);
  }
}
