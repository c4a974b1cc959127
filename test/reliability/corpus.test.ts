/**
 * The bad-input corpus (test/fixtures/corpus, plus cases generated here: 100 MB files, symlink
 * loops and escapes, unreadable files, a read-only .plan/, odd git states) against every
 * command. The contract (DESIGN §8): exit 0, 1 or 2; for bad input 1 or 2 where the command
 * reads it; an error is one clear `plan: ` line, never a stack trace or "internal error"; and no
 * file changes unless the command's purpose is to write and it succeeded (no half-writes), and
 * never a file outside the repository. Unprivileged cases (permission bits) run the CLI as
 * `nobody`, since root ignores them; they are skipped when that is not possible.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers.js';
import {
  BUDGET,
  buildPlanningRepo,
  changedPaths,
  cleanupAll,
  cliBin,
  crashOf,
  describeRun,
  firstLines,
  giveTo,
  gitIn,
  gitMetaHash,
  gitOk,
  IS_ROOT,
  mapLimit,
  NOBODY,
  planAsync,
  planOk,
  record,
  tempDir,
  treeHash,
  unclearError,
  BASE_ENV,
  type PlanningRepo,
  type Run,
} from './support.js';

const AREA = 'corpus';
const CORPUS = join(FIXTURES, 'corpus');
const stats = { inputs: 0, crashes: 0, violations: 0 };
afterAll(() => {
  record(AREA, stats);
  cleanupAll();
});

// ---------------------------------------------------------------------------------------------
// commands

type CommandName =
  | 'lint' | 'status' | 'gate' | 'events' | 'doctor' | 'verify' | 'keys list' | 'config' | 'policy simulate' | 'policy test'
  | 'transition' | 'seal' | 'sign' | 'approve' | 'init' | 'new';

interface Command {
  name: CommandName;
  args: (keys: Record<string, string>) => string[];
  /** What the command may write when it succeeds (path prefixes); none for read-only commands. */
  writes?: string[];
}

const STORE_WRITES = ['.plan/state.yaml', '.plan/events/', '.plan/journal.json', '.plan/lock'];
const S_MANIFEST = '.plan/handoffs/s/0001/handoff_manifest.yaml';

const COMMANDS: Command[] = [
  { name: 'lint', args: () => ['lint'] },
  { name: 'status', args: () => ['status'] },
  { name: 'gate', args: () => ['gate', 'schema_lint', 'p'] },
  { name: 'events', args: () => ['events'] },
  { name: 'doctor', args: () => ['doctor'] },
  { name: 'verify', args: () => ['verify', '--all', '--history'] },
  { name: 'keys list', args: () => ['keys', 'list'] },
  { name: 'config', args: () => ['config'] },
  { name: 'policy simulate', args: () => ['policy', 'simulate', '--rulebook', 'rulebook'] },
  { name: 'policy test', args: () => ['policy', 'test'] },
  { name: 'transition', args: () => ['transition', 'p', 'validate_complete'], writes: STORE_WRITES },
  { name: 'seal', args: (k) => ['seal', 'q', '--key', k['lead']!], writes: [...STORE_WRITES, '.plan/handoffs/q/', '.plan/handoffs/'] },
  { name: 'sign', args: (k) => ['sign', S_MANIFEST, '--key', k['carol']!], writes: [...STORE_WRITES, '.plan/handoffs/s/0001/signatures.yaml'] },
  { name: 'approve', args: (k) => ['approve', 'p', '--key', k['lead']!], writes: ['.plan/approvals/'] },
  { name: 'init', args: () => ['init'], writes: ['.plan/', 'plan.config.yaml', '.gitattributes', 'rulebook/', 'plans/'] },
  { name: 'new', args: () => ['new', 'r'], writes: [...STORE_WRITES, 'plans/r/', 'plans/'] },
];
const READERS = COMMANDS.filter((c) => !c.writes).map((c) => c.name);
const WRITERS = COMMANDS.filter((c) => c.writes).map((c) => c.name);
const ALL = COMMANDS.map((c) => c.name);
const PLAN_READERS: CommandName[] = ['lint', 'gate', 'transition'];

// ---------------------------------------------------------------------------------------------
// cases

interface CaseContext {
  /** The repository (a copy of the template). */
  dir: string;
  /** Beside the repository, outside it: where escapes point; must never change. */
  outside: string;
  /** Beside the repository, for the other repositories a case makes (clones, a bare one). */
  alt: string;
}

interface Case {
  name: string;
  kind: 'bad' | 'odd';
  /** Commands that read the bad input and so must not exit 0. */
  mustFail?: CommandName[];
  /** Changes the copy of the template; returns where to run (and which repository to judge) when not the copy itself. */
  setup: (c: CaseContext) => { cwd: string; repo: string } | void;
  /** Commit the change (so HEAD has it too, as a pushed mistake would). */
  commit?: boolean;
  /** Run the CLI as the unprivileged user (permission bits bite). */
  unprivileged?: boolean;
  /** Arguments instead of the command's usual ones. */
  args?: Partial<Record<CommandName, (keys: Record<string, string>) => string[]>>;
  /** Only in the budgets that generate huge files. */
  huge?: boolean;
  timeoutMs?: number;
}

const corpus = (path: string): Buffer => readFileSync(join(CORPUS, path));
const put = (dir: string, path: string, content: string | Uint8Array): void => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  try {
    chmodSync(join(dir, path), 0o644);
  } catch {
    // new file
  }
  writeFileSync(join(dir, path), content);
};
const inPlans = (file: string, content: Uint8Array) => ({ dir }: CaseContext) => {
  for (const p of ['p', 'q']) put(dir, `plans/${p}/${file}`, content);
};

const ODD_YAML = new Set(['bom-utf8.yaml', 'crlf.yaml', 'numbers.yaml', 'long-line.yaml', 'bidi-and-zero-width.yaml', 'control-chars.yaml', 'proto-pollution.yaml']);
const ODD_MD = new Set(['crlf.md', 'unclosed-fence.md', 'unclosed-comment.md', 'deep-list.md', 'heading-only.md', 'html-and-links.md', 'emphasis-runs.md']);
const ODD_JSON = new Set(['bom.json', 'proto-pollution.json', 'huge-number.json', 'nul-escape.json', 'lone-surrogate.json']);

function fileCases(): Case[] {
  const cases: Case[] = [];
  for (const f of readdirSync(join(CORPUS, 'yaml'))) {
    const odd = ODD_YAML.has(f);
    // a changed plan file after its gate passed: seal q must refuse whatever the content
    cases.push({ name: `backlog ${f}`, kind: odd ? 'odd' : 'bad', mustFail: odd ? ['seal'] : [...PLAN_READERS, 'seal'], setup: inPlans('be_backlog.yaml', corpus(`yaml/${f}`)), commit: true });
  }
  for (const f of readdirSync(join(CORPUS, 'md'))) {
    const odd = ODD_MD.has(f);
    cases.push({ name: `story map ${f}`, kind: odd ? 'odd' : 'bad', mustFail: odd ? ['seal'] : [...PLAN_READERS, 'seal'], setup: inPlans('story_map.md', corpus(`md/${f}`)), commit: true });
  }
  for (const f of readdirSync(join(CORPUS, 'json'))) {
    const odd = ODD_JSON.has(f);
    cases.push({ name: `json artifact ${f}`, kind: odd ? 'odd' : 'bad', mustFail: odd ? ['seal'] : [...PLAN_READERS, 'seal'], setup: inPlans('data.json', corpus(`json/${f}`)), commit: true });
  }
  cases.push(
    { name: 'plan.yaml with .. paths', kind: 'odd', mustFail: ['seal'], setup: inPlans('plan.yaml', corpus('plan/dotdot-paths.yaml')), commit: true },
    { name: 'plan.yaml with absolute paths', kind: 'odd', mustFail: ['seal'], setup: inPlans('plan.yaml', corpus('plan/absolute-paths.yaml')), commit: true },
    { name: 'plan.yaml with a wrong id and tags', kind: 'bad', mustFail: [...PLAN_READERS, 'seal'], setup: inPlans('plan.yaml', corpus('plan/wrong-id.yaml')), commit: true },
  );
  for (const f of readdirSync(join(CORPUS, 'config'))) {
    const outsideRepo = f.includes('dotdot') || f.includes('absolute');
    cases.push({ name: `plan.config.yaml ${f}`, kind: 'bad', mustFail: f === 'redos-pattern.yaml' ? [] : outsideRepo ? ['new', 'lint'] : ALL.filter((c) => c !== 'init'), setup: ({ dir }) => put(dir, 'plan.config.yaml', corpus(`config/${f}`)), commit: true, timeoutMs: 30_000 });
  }
  cases.push(
    { name: 'lifecycle with an unreachable state', kind: 'bad', mustFail: ['transition', 'seal', 'new', 'status'], setup: ({ dir }) => put(dir, 'rulebook/lifecycle.yaml', corpus('rulebook/lifecycle-unreachable.yaml')), commit: true },
    { name: 'lifecycle that is binary garbage', kind: 'bad', mustFail: ['transition', 'seal', 'new', 'status'], setup: ({ dir }) => put(dir, 'rulebook/lifecycle.yaml', corpus('rulebook/lifecycle-garbage.yaml')), commit: true },
    { name: 'gates naming an unknown validator', kind: 'bad', mustFail: ['gate', 'transition'], setup: ({ dir }) => put(dir, 'rulebook/gates.yaml', corpus('rulebook/gates-unknown-validator.yaml')), commit: true },
  );
  const stateMustFail: Record<string, CommandName[]> = {
    'conflict.yaml': ['doctor', 'transition', 'new', 'seal'],
    'garbage.yaml': ['doctor', 'transition', 'new', 'seal'],
    'duplicate-lines.yaml': ['doctor', 'transition', 'new', 'seal'],
    'dotdot-plan.yaml': ['doctor', 'transition', 'new', 'seal'],
    'unknown-state.yaml': ['doctor', 'transition'],
    'huge-seq.yaml': ['doctor'],
  };
  for (const f of readdirSync(join(CORPUS, 'state'))) cases.push({ name: `state file ${f}`, kind: 'bad', mustFail: stateMustFail[f] ?? ['doctor'], setup: ({ dir }) => put(dir, '.plan/state.yaml', corpus(`state/${f}`)), commit: true });
  // a "__proto__" key in JSON is only an own property: nothing wrong with that log
  for (const f of readdirSync(join(CORPUS, 'events'))) cases.push({ name: `event log ${f}`, kind: f === 'proto.jsonl' ? 'odd' : 'bad', mustFail: f === 'proto.jsonl' ? [] : ['doctor'], setup: ({ dir }) => put(dir, '.plan/events/p.jsonl', corpus(`events/${f}`)), commit: true });
  cases.push({ name: 'approvals log of garbage', kind: 'odd', setup: ({ dir }) => put(dir, '.plan/approvals/p.jsonl', corpus('approvals/garbage.jsonl')), commit: true });
  for (const f of readdirSync(join(CORPUS, 'keys'))) cases.push({ name: `trust store ${f}`, kind: 'bad', mustFail: ['keys list', 'verify', 'seal', 'sign', 'approve'], setup: ({ dir }) => put(dir, '.plan/keys/keys.yaml', corpus(`keys/${f}`)), commit: true });
  for (const f of readdirSync(join(CORPUS, 'journal'))) cases.push({ name: `journal ${f}`, kind: f === 'truncated.json' ? 'odd' : 'bad', setup: ({ dir }) => put(dir, '.plan/journal.json', corpus(`journal/${f}`)), commit: f === 'dotdot-plan.json' });
  cases.push(
    { name: 'a manifest naming paths outside the repository', kind: 'bad', mustFail: ['verify'], setup: ({ dir }) => put(dir, S_MANIFEST, corpus('handoff/dotdot-manifest.yaml')), commit: true },
    { name: 'a garbled signatures file', kind: 'bad', mustFail: ['verify'], setup: ({ dir }) => put(dir, '.plan/handoffs/s/0001/signatures.yaml', corpus('handoff/signatures-garbage.yaml')), commit: true },
  );
  return cases;
}

/** A file of `size` bytes made of `line` repeated. */
function hugeFile(path: string, line: string, size: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const block = Buffer.from(line.repeat(Math.ceil((1 << 20) / line.length)).slice(0, 1 << 20));
  const fd = openSync(path, 'w');
  for (let written = 0; written < size; written += block.length) writeSync(fd, block);
  closeSync(fd);
}

const HUNDRED_MB = 100 * (1 << 20);

function generatedCases(): Case[] {
  return [
    {
      name: '100 MB backlog (uncommitted)',
      kind: 'bad',
      huge: true,
      mustFail: [...PLAN_READERS],
      setup: ({ dir }) => hugeFile(join(dir, 'plans/p/be_backlog.yaml'), '  - id: P-001\n    title: "x"\n', HUNDRED_MB),
      timeoutMs: 120_000,
    },
    {
      name: '100 MB story map (uncommitted)',
      kind: 'bad',
      huge: true,
      mustFail: [...PLAN_READERS],
      setup: ({ dir }) => hugeFile(join(dir, 'plans/p/story_map.md'), '- A story (P-001)\n', HUNDRED_MB),
      timeoutMs: 120_000,
    },
    {
      name: '100 MB event log of repeated events',
      kind: 'bad',
      huge: true,
      mustFail: ['doctor'],
      setup: ({ dir }) => {
        const line = readFileSync(join(dir, '.plan/events/p.jsonl'), 'utf8').split('\n')[0]!;
        hugeFile(join(dir, '.plan/events/p.jsonl'), `${line}\n`, HUNDRED_MB);
      },
      timeoutMs: 120_000,
    },
    {
      name: 'two YAML files nested 5,000 levels deep (20 KB each)',
      kind: 'bad',
      mustFail: ['lint', 'gate', 'transition'],
      setup: ({ dir }) => {
        put(dir, 'plans/p/be_backlog.yaml', '&a ['.repeat(5_000));
        put(dir, 'plans/p/plan.yaml', '&a ['.repeat(5_000));
      },
      commit: true,
    },
    {
      name: 'symlink loops in a plan folder',
      kind: 'bad',
      mustFail: ['lint', 'gate', 'transition'],
      setup: ({ dir }) => {
        symlinkSync('loop.yaml', join(dir, 'plans/p/loop.yaml'));
        symlinkSync('b.md', join(dir, 'plans/p/a.md'));
        symlinkSync('a.md', join(dir, 'plans/p/b.md'));
        symlinkSync('.', join(dir, 'plans/p/self'));
        symlinkSync('..', join(dir, 'plans/p/up'));
      },
      commit: true,
    },
    {
      name: 'a plan file that is a symlink out of the repository',
      kind: 'bad',
      mustFail: ['lint', 'gate', 'transition'],
      setup: ({ dir, outside }) => {
        rmSync(join(dir, 'plans/p/be_backlog.yaml'));
        symlinkSync(join(outside, 'secret.yaml'), join(dir, 'plans/p/be_backlog.yaml'));
      },
      commit: true,
    },
    {
      name: 'a plan folder that is a symlink out of the repository',
      kind: 'bad',
      mustFail: ['lint', 'gate', 'transition'],
      setup: ({ dir, outside }) => {
        cpSync(join(dir, 'plans/p'), join(outside, 'p'), { recursive: true });
        rmSync(join(dir, 'plans/p'), { recursive: true });
        symlinkSync(join(outside, 'p'), join(dir, 'plans/p'));
      },
      commit: true,
    },
    {
      name: 'an event log that is a symlink out of the repository',
      kind: 'bad',
      mustFail: ['transition'],
      setup: ({ dir, outside }) => {
        copyFileSync(join(dir, '.plan/events/p.jsonl'), join(outside, 'victim.jsonl'));
        rmSync(join(dir, '.plan/events/p.jsonl'));
        symlinkSync(join(outside, 'victim.jsonl'), join(dir, '.plan/events/p.jsonl'));
      },
      commit: true,
    },
    {
      name: 'an approvals log that is a symlink out of the repository',
      kind: 'bad',
      mustFail: ['approve'],
      setup: ({ dir, outside }) => {
        writeFileSync(join(outside, 'victim-approvals.jsonl'), '');
        mkdirSync(join(dir, '.plan/approvals'), { recursive: true });
        symlinkSync(join(outside, 'victim-approvals.jsonl'), join(dir, '.plan/approvals/p.jsonl'));
      },
      commit: true,
    },
    {
      name: 'a signatures file that is a symlink out of the repository',
      kind: 'bad',
      mustFail: ['sign', 'verify'],
      setup: ({ dir, outside }) => {
        copyFileSync(join(dir, '.plan/handoffs/s/0001/signatures.yaml'), join(outside, 'victim-signatures.yaml'));
        rmSync(join(dir, '.plan/handoffs/s/0001/signatures.yaml'));
        symlinkSync(join(outside, 'victim-signatures.yaml'), join(dir, '.plan/handoffs/s/0001/signatures.yaml'));
      },
      commit: true,
    },
    {
      name: '.plan/ itself a symlink out of the repository',
      kind: 'bad',
      mustFail: ['transition', 'new', 'approve', 'seal', 'sign'],
      setup: ({ dir, outside }) => {
        cpSync(join(dir, '.plan'), join(outside, 'dotplan'), { recursive: true });
        rmSync(join(dir, '.plan'), { recursive: true });
        symlinkSync(join(outside, 'dotplan'), join(dir, '.plan'));
      },
      commit: true,
    },
    {
      name: 'plan ids and manifest paths with ..',
      kind: 'bad',
      mustFail: ['transition', 'seal', 'sign', 'approve', 'new', 'gate', 'status', 'events', 'verify'],
      setup: () => undefined,
      args: {
        transition: () => ['transition', '../p', 'validate_complete'],
        seal: (k) => ['seal', '../../q', '--key', k['lead']!],
        sign: (k) => ['sign', '../../../etc/hostname', '--key', k['carol']!],
        approve: (k) => ['approve', '../../outside/p', '--key', k['lead']!],
        new: () => ['new', '../../outside/r'],
        gate: () => ['gate', 'schema_lint', '../p'],
        status: () => ['status', '../../p'],
        events: () => ['events', '--plan', '../../outside/victim'],
        verify: () => ['verify', '.plan/handoffs/../../../outside/0001/handoff_manifest.yaml'],
        lint: () => ['lint', '../..'],
      },
    },
    ...unprivilegedCases(),
    {
      name: 'a detached HEAD',
      kind: 'odd',
      setup: ({ dir }) => void gitOk(dir, 'checkout', '-q', '--detach', 'HEAD'),
    },
    {
      name: 'an empty repository (no commits, no plan init)',
      kind: 'odd',
      mustFail: ['transition', 'seal', 'sign', 'approve', 'gate'],
      setup: ({ dir }) => {
        for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
        gitOk(dir, 'init', '-q', '-b', 'main');
      },
    },
    {
      name: 'a shallow clone',
      kind: 'odd',
      setup: ({ dir, alt }) => {
        const clone = join(alt, 'shallow');
        gitOk(alt, 'clone', '-q', '--depth', '1', `file://${dir}`, clone);
        for (const [k, v] of [['user.name', 'Plan Tester'], ['user.email', 'tester@example.com']]) gitOk(clone, 'config', k!, v!);
        return { cwd: clone, repo: clone };
      },
    },
    {
      name: 'a bare repository',
      kind: 'bad',
      mustFail: ALL.filter((c) => c !== 'config'),
      setup: ({ dir, alt }) => {
        const bare = join(alt, 'bare.git');
        gitOk(alt, 'clone', '-q', '--bare', dir, bare);
        return { cwd: bare, repo: bare };
      },
    },
    {
      name: 'inside .git',
      kind: 'bad',
      mustFail: ALL.filter((c) => c !== 'config'),
      setup: ({ dir }) => ({ cwd: join(dir, '.git'), repo: dir }),
    },
    {
      name: 'not a git repository',
      kind: 'bad',
      mustFail: ALL.filter((c) => c !== 'config'),
      setup: ({ alt }) => {
        mkdirSync(join(alt, 'plain'));
        writeFileSync(join(alt, 'plain', 'notes.md'), '# not a repository\n');
        return { cwd: join(alt, 'plain'), repo: join(alt, 'plain') };
      },
    },
    {
      name: 'an unfinished merge with conflicts in a backlog',
      kind: 'bad',
      mustFail: ['lint', 'gate', 'transition', 'seal'],
      setup: ({ dir }) => {
        gitOk(dir, 'checkout', '-q', '-b', 'other');
        for (const p of ['p', 'q']) put(dir, `plans/${p}/be_backlog.yaml`, readFileSync(join(dir, `plans/${p}/be_backlog.yaml`), 'utf8').replace('priority: P1', 'priority: P0'));
        gitOk(dir, 'commit', '-q', '-am', 'other');
        gitOk(dir, 'checkout', '-q', 'main');
        for (const p of ['p', 'q']) put(dir, `plans/${p}/be_backlog.yaml`, readFileSync(join(dir, `plans/${p}/be_backlog.yaml`), 'utf8').replace('priority: P1', 'priority: P2'));
        gitOk(dir, 'commit', '-q', '-am', 'main');
        gitIn(dir, ['merge', '--no-edit', 'other']);
      },
    },
  ];
}

function unprivilegedCases(): Case[] {
  const unreadable = (path: string, mustFail: CommandName[]): Case => ({
    name: `unreadable ${path}`,
    kind: 'bad',
    unprivileged: true,
    mustFail,
    setup: ({ dir }) => chmodSync(join(dir, path), 0o000),
    commit: false,
  });
  return [
    unreadable('plans/p/be_backlog.yaml', ['lint', 'gate', 'transition', 'approve']),
    unreadable('.plan/state.yaml', ['status', 'transition', 'doctor', 'new', 'seal']),
    unreadable('.plan/events/p.jsonl', ['events', 'doctor', 'transition']),
    unreadable('.plan/keys/keys.yaml', ['keys list', 'verify', 'seal', 'sign', 'approve']),
    unreadable('plan.config.yaml', ALL.filter((c) => c !== 'init')),
    unreadable('rulebook/lifecycle.yaml', ['transition', 'status', 'new', 'seal']),
    {
      name: 'a read-only .plan/',
      kind: 'bad',
      unprivileged: true,
      mustFail: ['transition', 'new', 'seal', 'sign', 'approve'],
      setup: ({ dir }) => void spawnSync('chmod', ['-R', 'a-w', join(dir, '.plan')]),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// running a case

let template: PlanningRepo;
let hasKeys: Record<string, string>;

beforeAll(() => {
  template = buildPlanningRepo({ plans: ['p', 'q', 's'], keys: { lead: 'planning_lead', reviewer: 'technical_reviewer', carol: 'planning_lead' }, prefix: 'plan-reliability-corpus-' });
  const dir = template.dir;
  planOk(dir, ['transition', 'q', 'validate_complete', '--commit']);
  planOk(dir, ['transition', 's', 'validate_complete', '--commit']);
  planOk(dir, ['seal', 's', '--key', template.keys.path['lead']!, '--commit']);
  planOk(dir, ['sign', S_MANIFEST, '--key', template.keys.path['reviewer']!, '--commit']);
  hasKeys = template.keys.path;
}, 180_000);

interface Verdict {
  run: Run;
  problems: string[];
  crashed: boolean;
}

/** A fresh sandbox holding a copy of the template (`repo`) and a folder outside it (`outside`). */
function sandbox(c: Case): { ctx: CaseContext; cwd: string; repo: string; keys: Record<string, string> } {
  const root = tempDir('plan-reliability-case-', { shared: true });
  const dir = join(root, 'repo');
  const outside = join(root, 'outside');
  const alt = join(root, 'alt');
  cpSync(template.dir, dir, { recursive: true, verbatimSymlinks: true });
  mkdirSync(outside);
  mkdirSync(alt);
  writeFileSync(join(outside, 'secret.yaml'), 'version: "1.0.0"\ntasks: []\n');
  const ctx = { dir, outside, alt };
  const where = c.setup(ctx) ?? { cwd: dir, repo: dir };
  const cwd = where.cwd;
  if (c.commit && existsSync(join(dir, '.git'))) {
    gitOk(dir, 'add', '-A', '--force');
    gitIn(dir, ['commit', '-q', '--no-verify', '-m', `corpus: ${c.name}`]);
  }
  let keys = hasKeys;
  if (c.unprivileged) {
    // the keys must be readable by the unprivileged user too
    const keyDir = join(root, 'keys');
    mkdirSync(keyDir);
    keys = Object.fromEntries(Object.entries(hasKeys).map(([id, path]) => [id, join(keyDir, `${id}.key.pem`)]));
    for (const [id, path] of Object.entries(hasKeys)) copyFileSync(path, keys[id]!);
    giveTo(root);
    // git refuses repositories owned by someone else; the repository is nobody's now, like its user
  }
  return { ctx, cwd, repo: where.repo, keys };
}

/** Paths that hold the bad input itself: never rewritten, whatever the command. */
function pathsHeldBy(before: Map<string, string>, c: Case): string[] {
  if (c.kind !== 'bad') return [];
  return [...before.keys()].filter((p) => /^(plans\/[pq]\/|\.plan\/(state\.yaml|events\/p\.jsonl|keys\/|journal\.json|handoffs\/s\/))/.test(p));
}

function judge(c: Case, command: Command, run: Run, before: Map<string, string>, after: Map<string, string>, outsideBefore: Map<string, string>, outsideAfter: Map<string, string>, gitBefore: string, gitAfter: string): Verdict {
  const problems: string[] = [];
  const crash = crashOf(run);
  if (crash) problems.push(`crash: ${crash}`);
  const unclear = unclearError(run);
  if (unclear) problems.push(unclear);
  if (run.status === 1 && run.stderr.split('\n').filter((l) => l.trim()).length > 1) problems.push(`exit 1 with ${run.stderr.split('\n').filter((l) => l.trim()).length} stderr lines: ${firstLines(run.stderr)}`);
  if (run.status === 0 && c.mustFail?.includes(command.name)) problems.push(`exit 0 on bad input it reads: ${firstLines(run.stdout, 2)}`);
  const changed = changedPaths(before, after);
  const outsideChanged = changedPaths(outsideBefore, outsideAfter);
  if (outsideChanged.length > 0) problems.push(`wrote outside the repository: ${outsideChanged.slice(0, 5).join(', ')}`);
  if (changed.length > 0) {
    if (!command.writes) problems.push(`a read-only command changed ${changed.slice(0, 5).join(', ')}`);
    else if (run.status !== 0) problems.push(`failed (exit ${run.status}) but changed ${changed.slice(0, 5).join(', ')}: a half-write`);
    else {
      // a folder on the way to a file the command writes (.plan/ for the first plan new) is part of that write
      const stray = changed.filter((p) => !command.writes!.some((w) => p === w || p.startsWith(w) || `${p}/` === w || (p.endsWith('/') && w.startsWith(p))));
      if (stray.length > 0) problems.push(`wrote outside what ${command.name} writes: ${stray.slice(0, 5).join(', ')}`);
      const held = pathsHeldBy(before, c).filter((p) => changed.includes(p) && !(command.name === 'init' && p.startsWith('plans/')));
      if (held.length > 0 && command.name !== 'transition' && command.name !== 'new' && command.name !== 'seal' && command.name !== 'sign') problems.push(`rewrote the bad input itself: ${held.join(', ')}`);
    }
  }
  if (command.name !== 'init' && gitBefore !== gitAfter) problems.push('changed .git (config, HEAD or refs)');
  return { run, problems, crashed: crash !== undefined };
}

async function runCase(c: Case, names: readonly CommandName[], runs: Array<{ name: CommandName; run: Run }> = []): Promise<string[]> {
  const failures: string[] = [];
  let box = sandbox(c);
  let dirty = false;
  // readers first, on one copy; each writer on a fresh copy when the one before wrote
  const ordered = [...names].sort((a, b) => Number(WRITERS.includes(a)) - Number(WRITERS.includes(b)));
  for (const name of ordered) {
    const command = COMMANDS.find((x) => x.name === name)!;
    if (dirty) {
      box = sandbox(c);
      dirty = false;
    }
    const root = dirname(box.ctx.dir);
    const outsideOf = (m: Map<string, string>) => new Map([...m].filter(([p]) => !/^(repo|keys|alt)(\/|$)/.test(p)));
    const before = treeHash(box.repo);
    const outsideBefore = outsideOf(treeHash(root));
    const gitMeta = () => (existsSync(join(box.repo, '.git')) ? gitMetaHash(box.repo) : '');
    const gitBefore = gitMeta();
    const args = (c.args?.[name] ?? command.args)(box.keys);
    const run = await planAsync(box.cwd, args, { ...(c.unprivileged ? { uid: NOBODY } : {}), env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' }, timeout: c.timeoutMs });
    const after = treeHash(box.repo);
    const verdict = judge(c, command, run, before, after, outsideBefore, outsideOf(treeHash(root)), gitBefore, gitMeta());
    runs.push({ name, run });
    stats.inputs++;
    if (verdict.crashed) stats.crashes++;
    if (verdict.problems.length > 0) {
      if (!verdict.crashed) stats.violations++;
      failures.push(`[${c.name}] ${verdict.problems.join('; ')}\n    ${describeRun(run).replace(/\n/g, '\n    ')}`);
    }
    if (changedPaths(before, after).length > 0) dirty = true;
  }
  return failures;
}

/**
 * The commands a case runs: every command (budget full), or the ones that must fail plus a
 * rotating command (and, for generated cases, a rotating writer), so every command meets every
 * kind of case across the run.
 */
function commandsFor(c: Case, index: number, generated: boolean): CommandName[] {
  if (BUDGET.corpusAllCommands && !(c.huge && BUDGET.name !== 'full')) return ALL;
  const mustFail = c.mustFail ?? [];
  const sample = new Set<CommandName>(mustFail.length <= BUDGET.corpusMustFail ? mustFail : Array.from({ length: BUDGET.corpusMustFail }, (_, k) => mustFail[(index + k) % mustFail.length]!));
  sample.add(ALL[index % ALL.length]!);
  if (generated) sample.add(WRITERS[index % WRITERS.length]!);
  return [...sample];
}

const FILE_CASES = fileCases();
const GENERATED = generatedCases().filter((c) => !c.huge || BUDGET.hugeFiles);
const CAN_DROP_PRIVILEGES = IS_ROOT && spawnSync(process.execPath, ['-e', '0'], { uid: NOBODY, gid: NOBODY }).status === 0;

/** Bounded budgets run every n-th corpus file (all over a full run); smoke also a few of the generated cases. */
const SELECTED_FILE_CASES = FILE_CASES.filter((_, i) => i % BUDGET.corpusStride === 0);
const SMOKE_GENERATED = ['two YAML files nested 5,000 levels deep (20 KB each)', 'symlink loops in a plan folder', 'an event log that is a symlink out of the repository', 'a bare repository', 'a read-only .plan/', 'plan ids and manifest paths with ..'];
const SELECTED_GENERATED = BUDGET.name === 'smoke' ? GENERATED.filter((c) => SMOKE_GENERATED.includes(c.name)) : GENERATED;

describe(`the bad-input corpus against every command (budget ${BUDGET.name})`, () => {
  it('the template itself: every command succeeds (policy test: no fixtures, exit 2)', async () => {
    const runs: Array<{ name: CommandName; run: Run }> = [];
    const failures = await runCase({ name: 'the good template', kind: 'odd', setup: () => undefined }, ALL, runs);
    for (const { name, run } of runs) if (run.status !== (name === 'policy test' ? 2 : 0)) failures.push(`the good template: ${describeRun(run)}`);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 300_000);

  it(`${SELECTED_FILE_CASES.length} corpus files in plans, rulebook, config and .plan/`, async () => {
    const results = await mapLimit(SELECTED_FILE_CASES, 3, (c, i) => runCase(c, commandsFor(c, i, false)));
    const failures = results.flat();
    expect(failures, `${failures.length} contract violations:\n${failures.join('\n')}`).toEqual([]);
  }, 1_800_000);

  it.each(SELECTED_GENERATED.filter((c) => !c.unprivileged).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const failures = await runCase(c, commandsFor(c, GENERATED.indexOf(c), true));
    expect(failures, `${failures.length} contract violations:\n${failures.join('\n')}`).toEqual([]);
  }, 900_000);

  it.skipIf(!CAN_DROP_PRIVILEGES).each(SELECTED_GENERATED.filter((c) => c.unprivileged).map((c) => [c.name, c] as const))('%s (as an unprivileged user)', async (_name, c) => {
    const failures = await runCase(c, commandsFor(c, GENERATED.indexOf(c), true));
    expect(failures, `${failures.length} contract violations:\n${failures.join('\n')}`).toEqual([]);
  }, 900_000);
});

describe('output to a closed pipe', () => {
  it('plan lint | head: a reader that stops early gets no stack trace', async () => {
    const root = tempDir('plan-reliability-epipe-');
    cpSync(template.dir, root, { recursive: true });
    // enough findings that the report is far larger than a pipe buffer
    const tasks = Array.from({ length: 3000 }, (_, i) => `  - id: P-${i + 1}\n    title: "t"\n    unknown_field_${i}: 1\n`).join('');
    writeFileSync(join(root, 'plans/p/be_backlog.yaml'), `version: "1.0.0"\ntasks:\n${tasks}`);
    const child = spawn(process.execPath, [cliBin(), 'lint', '--format', 'json'], { cwd: root, env: { ...process.env, ...BASE_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    stats.inputs++;
    const crashed = /^\s+at\s/m.test(stderr) || /Unhandled 'error' event/.test(stderr);
    if (crashed) stats.crashes++;
    expect(crashed, `exit ${code ?? signal}; stderr:\n${stderr.slice(0, 1500)}`).toBe(false);
  }, 120_000);
});
