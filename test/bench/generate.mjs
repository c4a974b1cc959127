#!/usr/bin/env node
// Generates a synthetic planning repository for benchmarks: plans/<id>/{plan.yaml, be_backlog.yaml,
// story_map.md}, deterministic for a given seed, committed in one commit.
//
//   node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors]
//
// Plain ESM JavaScript on purpose: it runs without a build step.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the shape of generated repositories changes, so cached copies are regenerated. */
export const GENERATOR_VERSION = 1;

/** Levels 0..DEPTH_LEVELS-1; a task only depends on tasks of a lower level, so chains have < DEPTH_LEVELS edges. */
const DEPTH_LEVELS = 5;

/** mulberry32: small, fast, and the same sequence on every platform. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = ['Implement', 'Design', 'Migrate', 'Harden', 'Document', 'Refactor', 'Instrument', 'Automate', 'Review', 'Ship'];
const NOUNS = ['event bus', 'state machine', 'schema registry', 'handoff packager', 'digest renderer', 'approval flow', 'audit log', 'rate limiter', 'search index', 'billing export', 'session store', 'feature flags'];
const QUALIFIERS = ['for the checkout flow', 'behind a feature flag', 'with retries', 'for multi-region use', 'with metrics', 'for the mobile clients', 'with a rollback path', 'for batch jobs'];
const ARTIFACTS = ['event_schema.json', 'bus_config.yaml', 'state_machine.yaml', 'transition_rules.json', 'runbook.md', 'dashboard.json', 'migration.sql', 'openapi.yaml'];
const TEAMS = ['backend', 'frontend', 'platform'];
const STATUSES = ['todo', 'todo', 'in_progress', 'done'];
const PRIORITIES = ['P0', 'P1', 'P2', 'P3'];
const POINTS = [1, 2, 3, 5, 8, 13];

export function planId(index, plans) {
  return `PL${String(index + 1).padStart(Math.max(4, String(plans).length), '0')}`;
}

export function taskId(planIdx, taskIdx, plans) {
  return `${planId(planIdx, plans)}-${taskIdx + 1}`;
}

/** The level of task `t` of `n`: non-decreasing with t, so "earlier task with a lower level" is a prefix. */
function levelOf(t, n) {
  return Math.floor((t * DEPTH_LEVELS) / n);
}

/** First task index of each level, for a plan of n tasks. */
function levelStarts(n) {
  const starts = [];
  for (let l = 0; l <= DEPTH_LEVELS; l++) starts.push(Math.ceil((l * n) / DEPTH_LEVELS));
  return starts;
}

/**
 * Chooses which plans/tasks carry seeded errors: per kind, one per 100 plans (at least one), so at
 * least 3 in total, on distinct plans.
 */
function chooseErrors(rand, plans, tasksPerPlan) {
  const perKind = Math.max(1, Math.floor(plans / 100));
  const kinds = ['unknown-dependency', 'bad-priority', 'cycle'];
  const total = perKind * kinds.length;
  if (plans < total) throw new Error(`seeding ${total} errors needs at least ${total} plans (or --no-errors / seedErrors: false)`);
  if (tasksPerPlan < 3) throw new Error('seeding errors needs at least 3 tasks per plan (or --no-errors / seedErrors: false)');
  const chosen = new Set();
  const byPlan = new Map();
  // Spread over the repository: one pick in each of `total` equal slices of the plan range.
  for (let i = 0; i < total; i++) {
    const lo = Math.floor((i * plans) / total);
    const hi = Math.floor(((i + 1) * plans) / total);
    let p = lo + Math.floor(rand() * (hi - lo));
    while (chosen.has(p)) p = (p + 1) % plans;
    chosen.add(p);
    byPlan.set(p, kinds[i % kinds.length]);
  }
  return byPlan;
}

function q(s) {
  return JSON.stringify(s);
}

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

/**
 * Writes the repository and commits it. Returns what was generated, including the seeded errors
 * ({kind, rule, plan, task, file}) that `plan lint` must report.
 */
export function generateRepo(dir, { plans, tasksPerPlan, seedErrors = true, seed = 1 }) {
  if (!Number.isInteger(plans) || plans < 1) throw new Error(`plans must be a positive integer, got ${plans}`);
  if (!Number.isInteger(tasksPerPlan) || tasksPerPlan < 1) throw new Error(`tasksPerPlan must be a positive integer, got ${tasksPerPlan}`);
  dir = resolve(dir);
  const rand = prng(seed);
  const errors = seedErrors ? chooseErrors(rand, plans, tasksPerPlan) : new Map();

  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  gitOrThrow(dir, ['init', '-q', '-b', 'main']);
  // One write instead of four `git config` processes.
  appendFileSync(
    join(dir, '.git', 'config'),
    '[user]\n\tname = Bench Generator\n\temail = bench@example.com\n[commit]\n\tgpgsign = false\n[gc]\n\tauto = 0\n',
  );
  const seeded = [];
  const starts = levelStarts(tasksPerPlan);
  const day = (n) => new Date(Date.UTC(2024, 0, 1) + n * 86400000).toISOString().slice(0, 10);

  writeFileSync(join(dir, 'README.md'), `# Benchmark planning repository\n\n${plans} plans x ${tasksPerPlan} tasks, seed ${seed}, generator v${GENERATOR_VERSION}.\n`);
  mkdirSync(join(dir, 'plans'));

  for (let p = 0; p < plans; p++) {
    const id = planId(p, plans);
    const planDir = join(dir, 'plans', id);
    mkdirSync(planDir);
    const noun = pick(rand, NOUNS);
    const title = `${noun[0].toUpperCase()}${noun.slice(1)} program ${p + 1}`;
    const error = errors.get(p);

    // plan.yaml
    writeFileSync(
      join(planDir, 'plan.yaml'),
      `id: ${id}\ntitle: ${q(title)}\nversion: "1.0.0"\nowner: owner${1 + Math.floor(rand() * 50)}@example.com\ntags:\n  criticality: ${Math.floor(rand() * 4)}\n  compliance: ${rand() < 0.2 ? 'sox' : 'none'}\n  data_classification: internal\n`,
    );

    // be_backlog.yaml
    const cycleA = 0;
    const cycleB = Math.min(1, tasksPerPlan - 1);
    const errorTask = error === 'cycle' ? cycleA : Math.floor(rand() * tasksPerPlan);
    const out = [`version: "1.0.0"\ngenerated_at: "${day(p % 365)}T10:00:00Z"\ntasks:\n`];
    for (let t = 0; t < tasksPerPlan; t++) {
      const tid = taskId(p, t, plans);
      const level = levelOf(t, tasksPerPlan);
      const deps = new Set();
      if (level > 0) {
        const pool = starts[level]; // tasks 0..pool-1 have a lower level
        const count = Math.floor(rand() * 4); // 0-3
        for (let k = 0; k < count; k++) deps.add(taskId(p, Math.floor(rand() * pool), plans));
        if (p > 0 && rand() < 0.03) {
          const other = Math.floor(rand() * p);
          deps.add(taskId(other, Math.floor(rand() * pool), plans));
        }
      }
      let priority = pick(rand, PRIORITIES);
      if (error === 'cycle' && t === cycleA) deps.add(taskId(p, cycleB, plans));
      if (error === 'cycle' && t === cycleB) deps.add(taskId(p, cycleA, plans));
      if (error === 'unknown-dependency' && t === errorTask) {
        const missing = `MISSING-${p + 1}`;
        deps.add(missing);
        seeded.push({ kind: error, rule: 'ref/unknown-dependency', plan: id, task: tid, file: `plans/${id}/be_backlog.yaml`, detail: missing });
      }
      if (error === 'bad-priority' && t === errorTask) {
        priority = 'P9';
        seeded.push({ kind: error, rule: 'schema/enum', plan: id, task: tid, file: `plans/${id}/be_backlog.yaml`, detail: 'priority P9' });
      }
      if (error === 'cycle' && t === cycleA) {
        seeded.push({ kind: error, rule: 'deps/cycle', plan: id, task: tid, file: `plans/${id}/be_backlog.yaml`, detail: `${tid} <-> ${taskId(p, cycleB, plans)}` });
      }
      const verb = pick(rand, VERBS);
      const what = pick(rand, NOUNS);
      const artifacts = [pick(rand, ARTIFACTS)];
      if (rand() < 0.4) artifacts.push(pick(rand, ARTIFACTS));
      const uniqueArtifacts = [...new Set(artifacts)];
      out.push(
        `  - id: ${tid}\n` +
          `    title: ${q(`${verb} ${what} (${t + 1})`)}\n` +
          `    description: ${q(`${verb} the ${what} ${pick(rand, QUALIFIERS)}.`)}\n` +
          `    effort_points: ${pick(rand, POINTS)}\n` +
          `    priority: ${priority}\n` +
          `    status: ${pick(rand, STATUSES)}\n` +
          `    team: ${pick(rand, TEAMS)}\n` +
          `    type: feature\n` +
          `    dependencies: [${[...deps].map(q).join(', ')}]\n` +
          `    artifacts:\n${uniqueArtifacts.map((a) => `      - ${a}\n`).join('')}`,
      );
    }
    writeFileSync(join(planDir, 'be_backlog.yaml'), out.join(''));

    // story_map.md
    const ref = (t) => taskId(p, Math.min(t, tasksPerPlan - 1), plans);
    const mid = Math.floor(tasksPerPlan / 2);
    writeFileSync(
      join(planDir, 'story_map.md'),
      `# ${title} - Story Map\n\n` +
        `## Epic: ${title}\n\n` +
        `### Backbone (User Activities)\n1. **Plan** → 2. **Build** → 3. **Validate** → 4. **Ship**\n\n` +
        `### Walking Skeleton (MVP)\n- Basic ${noun} slice (${ref(0)})\n- Persist state (${ref(1)}, ${ref(2)})\n- Schema validation (${ref(3)})\n\n` +
        `### Release 1 Features\n- Automate the ${noun} (${ref(mid)})\n- Metrics and alerts (${ref(tasksPerPlan - 1)})\n- Rollback capabilities\n`,
    );
  }

  gitOrThrow(dir, ['add', '-A']);
  gitOrThrow(dir, ['commit', '-q', '-m', `Generate ${plans} plans x ${tasksPerPlan} tasks (seed ${seed})`]);
  return { dir, plans, tasksPerPlan, seed, seedErrors, tasks: plans * tasksPerPlan, seeded, generatorVersion: GENERATOR_VERSION };
}

function gitOrThrow(cwd, args) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

function main(argv) {
  const positional = [];
  let seed = 1;
  let seedErrors = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--no-errors') seedErrors = false;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors]');
      return 0;
    } else positional.push(a);
  }
  if (positional.length !== 3) {
    console.error('usage: node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors]');
    return 2;
  }
  const [dir, plans, tasksPerPlan] = positional;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    console.error(`${dir} exists and is not empty`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const result = generateRepo(dir, { plans: Number(plans), tasksPerPlan: Number(tasksPerPlan), seedErrors, seed });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`generated ${result.tasks} tasks in ${result.plans} plans at ${result.dir} in ${ms.toFixed(0)} ms`);
  for (const e of result.seeded) console.log(`  seeded ${e.rule}: ${e.file} ${e.task} (${e.detail})`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
}
