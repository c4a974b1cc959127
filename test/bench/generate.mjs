#!/usr/bin/env node
// Generates a synthetic planning repository for benchmarks: plans/<id>/{plan.yaml, be_backlog.yaml,
// story_map.md}, deterministic for a given seed, committed in one commit; optionally with every plan
// in state PLANNED (.plan/state.yaml and event logs). generateSealRepo makes one plan of many large files.
//
//   node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors] [--lifecycle]
//
// Plain ESM JavaScript on purpose: it runs without a build step.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the shape of generated repositories changes, so cached copies are regenerated. */
export const GENERATOR_VERSION = 1;

/** Levels 0..DEPTH_LEVELS-1; a task only depends on tasks of a lower level, so chains have < DEPTH_LEVELS edges. */
const DEPTH_LEVELS = 5;

/** mulberry32: small, fast, and the same sequence on every platform. */
export function prng(seed) {
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
export function generateRepo(dir, { plans, tasksPerPlan, seedErrors = true, seed = 1, lifecycle = false }) {
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

  if (lifecycle) writeLifecycleFiles(dir, Array.from({ length: plans }, (_, p) => planId(p, plans)), rand);

  gitOrThrow(dir, ['add', '-A']);
  gitOrThrow(dir, ['commit', '-q', '-m', `Generate ${plans} plans x ${tasksPerPlan} tasks (seed ${seed})`]);
  return { dir, plans, tasksPerPlan, seed, seedErrors, lifecycle, tasks: plans * tasksPerPlan, seeded, generatorVersion: GENERATOR_VERSION };
}

/** Passphrase of the bench's throw-away signing keys (.bench/seal.keys/; they sign nothing outside .bench/seal/). */
export const SEAL_PASSPHRASE = 'bench-only-passphrase';

/** When every generated plan was created: fixed, so repositories are reproducible. */
export const CREATED_AT = '2024-01-01T09:00:00Z';
const ACTOR = 'Bench Generator <bench@example.com>';

/**
 * Every plan in state PLANNED, as `plan new` would leave it, written directly (1,000 `plan transition
 * <id> create_plan` processes would take minutes): .plan/state.yaml in the format of
 * src/core/state.ts serializeState (one line per plan, sorted, a blank line between), one PLAN_CREATED
 * event per plan in .plan/events/<id>.jsonl in the shape of src/core/events.ts makeEvent, and the
 * .gitattributes lines of `plan init`. `plan doctor` must find it healthy (the bench checks that).
 */
export function writeLifecycleFiles(dir, ids, rand = prng(7)) {
  mkdirSync(join(dir, '.plan', 'events'), { recursive: true });
  const compact = CREATED_AT.replace(/[-:]/g, '').replace('T', '_').replace('Z', '');
  const sorted = [...ids].sort();
  const header = '# yaml-language-server: $schema=schemas/state.schema.json\n# One line per plan, written by plan transition. Do not edit by hand; `plan doctor` checks it.\n';
  const lines = sorted.map((id) => `${id}: {state: PLANNED, since: "${CREATED_AT}", seq: 1, event: create_plan}`);
  writeFileSync(join(dir, '.plan', 'state.yaml'), `${header}${lines.join('\n\n')}\n`);
  for (const id of sorted) {
    const nonce = Math.floor(rand() * 2 ** 32).toString(16).padStart(8, '0');
    const event = {
      type: 'planning_event',
      version: '1.0.0',
      event: {
        id: `evt_${compact}_${nonce}`,
        timestamp: CREATED_AT,
        type: 'PLAN_CREATED',
        payload: { from_state: null, to_state: 'PLANNED', entity_id: id, metadata: { triggered_by: ACTOR, gate_results: {}, event: 'create_plan', seq: 1 } },
      },
    };
    writeFileSync(join(dir, '.plan', 'events', `${id}.jsonl`), `${JSON.stringify(event)}\n`);
  }
  appendFileSync(join(dir, '.gitattributes'), '.plan/events/*.jsonl merge=union\n.plan/approvals/*.jsonl merge=union\n');
}

/**
 * A repository with one plan, plans/<plan>/, of `files` committed files of about `fileBytes` each:
 * a small valid plan.yaml, be_backlog.yaml and story_map.md (all the gates read), and `files - 3`
 * documents under docs/ of pseudo-random text (an AES-CTR keystream in base64 lines: it does not
 * compress away, so git and the hashes see the full size). Committed in one commit; the keys, the
 * state and the transition to READY_FOR_HANDOFF are made by the bench with the CLI itself.
 */
export function generateSealRepo(dir, { plan = 'big', files = 1000, fileBytes = 100 * 1024, tasks = 20, seed = 1 }) {
  if (!Number.isInteger(files) || files < 4) throw new Error(`files must be an integer >= 4, got ${files}`);
  dir = resolve(dir);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  gitOrThrow(dir, ['init', '-q', '-b', 'main']);
  appendFileSync(join(dir, '.git', 'config'), '[user]\n\tname = Bench Generator\n\temail = bench@example.com\n[commit]\n\tgpgsign = false\n[gc]\n\tauto = 0\n');
  writeFileSync(join(dir, 'README.md'), `# Benchmark sealing repository\n\nOne plan of ${files} files of ~${fileBytes} bytes, seed ${seed}, generator v${GENERATOR_VERSION}.\n`);
  const planDir = join(dir, 'plans', plan);
  mkdirSync(join(planDir, 'docs'), { recursive: true });
  const ids = Array.from({ length: tasks }, (_, t) => `${plan.toUpperCase()}-${t + 1}`);
  // Dependencies in chains of at most 3 edges (cross_stream_consistency allows max_depth 5).
  writeFileSync(join(planDir, 'plan.yaml'), `id: ${plan}\ntitle: "Large handoff"\nversion: "1.0.0"\nowner: lead@example.com\ntags:\n  criticality: 2\n  compliance: none\n  data_classification: internal\n`);
  const backlog = [`version: "1.0.0"\ngenerated_at: "2024-01-01T10:00:00Z"\ntasks:\n`];
  ids.forEach((id, t) => {
    backlog.push(
      `  - id: ${id}\n    title: "Write document ${t + 1}"\n    description: "Write and review document ${t + 1}."\n    effort_points: 1\n    priority: P2\n    status: todo\n    team: backend\n    type: feature\n` +
        `    dependencies: [${t % 4 > 0 ? q(ids[t - 1]) : ''}]\n    artifacts:\n      - docs/doc-${String(t + 1).padStart(4, '0')}.txt\n`,
    );
  });
  writeFileSync(join(planDir, 'be_backlog.yaml'), backlog.join(''));
  writeFileSync(
    join(planDir, 'story_map.md'),
    `# Large handoff - Story Map\n\n## Epic: Large handoff\n\n### Backbone (User Activities)\n1. **Write** → 2. **Review** → 3. **Ship**\n\n` +
      `### Walking Skeleton (MVP)\n${ids.map((id) => `- Document (${id})`).join('\n')}\n`,
  );
  // The keystream: deterministic for a seed, fast (OpenSSL), incompressible.
  const key = createHash('sha256').update(`plan-bench-seal-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const rawPerFile = Math.ceil((fileBytes * 3) / 4);
  let total = 0;
  for (let f = 0; f < files - 3; f++) {
    const b64 = cipher.update(Buffer.alloc(rawPerFile)).toString('base64');
    const lines = b64.match(/.{1,76}/g);
    const text = `${lines.join('\n')}\n`;
    total += text.length;
    writeFileSync(join(planDir, 'docs', `doc-${String(f + 1).padStart(4, '0')}.txt`), text);
  }
  gitOrThrow(dir, ['add', '-A']);
  gitOrThrow(dir, ['commit', '-q', '-m', `Generate plan ${plan}: ${files} files`]);
  return { dir, plan, files, fileBytes, docBytes: total, seed, generatorVersion: GENERATOR_VERSION };
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
  let lifecycle = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--no-errors') seedErrors = false;
    else if (a === '--lifecycle') lifecycle = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors] [--lifecycle]');
      return 0;
    } else positional.push(a);
  }
  if (positional.length !== 3) {
    console.error('usage: node test/bench/generate.mjs <dir> <plans> <tasksPerPlan> [--seed N] [--no-errors] [--lifecycle]');
    return 2;
  }
  const [dir, plans, tasksPerPlan] = positional;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    console.error(`${dir} exists and is not empty`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const result = generateRepo(dir, { plans: Number(plans), tasksPerPlan: Number(tasksPerPlan), seedErrors, seed, lifecycle });
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
