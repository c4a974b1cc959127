/**
 * The programmatic API as a tool that embeds plan gets it: the built dist/api.js (what package.json
 * "exports" names), driven against temporary repositories. One case imports `plan-cli` by name from
 * a consumer project, the way `npm install plan-cli` makes it available.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, commitAll, git, tempDirTracker, tempRepo, writeFiles } from '../helpers.js';

type Api = typeof import('../../src/index.js');

const dirs = tempDirTracker();
let api: Api;
const PASSPHRASE = 'api-test-passphrase';

beforeAll(async () => {
  process.env['PLAN_KEY_PASSPHRASE'] = PASSPHRASE;
  // A computed specifier: the built bundle, not the TypeScript sources vitest would otherwise load.
  const entry = pathToFileURL(join(PROJECT_ROOT, 'dist', 'api.js')).href;
  api = (await import(entry)) as Api;
});
afterAll(() => dirs.cleanup());

async function freshRepo(prefix: string): Promise<string> {
  const cwd = dirs.track(tempRepo(prefix));
  await api.init({ cwd });
  await api.newPlan({ cwd, id: 'alpha', title: 'Alpha' });
  commitAll(cwd, 'init');
  return cwd;
}

describe('the package entry point', () => {
  it('package.json exports "." as dist/api.js', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const dot = pkg.exports['.'];
    const target = typeof dot === 'string' ? dot : (dot as Record<string, string>)['import'] ?? (dot as Record<string, string>)['default'];
    expect(target).toBe('./dist/api.js');
  });

  it('exports the commands, the error classes and the helpers', () => {
    for (const name of ['init', 'newPlan', 'lint', 'lintExitCode', 'transition', 'status', 'gate', 'events', 'doctor', 'keygen', 'listKeys', 'revokeKey', 'seal', 'sign', 'verify', 'approve', 'digest', 'simulatePolicy', 'testPolicy', 'installHook', 'schemaNames', 'schemaText', 'showConfig', 'formatFindings', 'compareFindings', 'countFindings']) {
      expect(typeof (api as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ['PlanError', 'UsageError', 'ConfigError', 'RepoError'] as const) expect(new api[name]('x')).toBeInstanceOf(api.PlanError);
    expect([api.EXIT_OK, api.EXIT_CHECK_FAILED, api.EXIT_CANNOT_RUN]).toEqual([0, 1, 2]);
    expect(api.FORMAT_NAMES).toEqual(['stylish', 'json', 'sarif', 'junit', 'github']);
  });

  it('resolves by name from a project that installed it, with no other setup', () => {
    const consumer = dirs.tempDir('plan-api-consumer-');
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    symlinkSync(PROJECT_ROOT, join(consumer, 'node_modules', 'plan-cli'), 'dir');
    writeFileSync(join(consumer, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(
      join(consumer, 'check.js'),
      `import { lint, transition, seal, verify, status, events, digest, PlanError } from 'plan-cli';
console.log(JSON.stringify({ resolved: import.meta.resolve('plan-cli'), kinds: [lint, transition, seal, verify, status, events, digest, PlanError].map((f) => typeof f) }));
`,
    );
    const r = spawnSync(process.execPath, ['check.js'], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { resolved: string; kinds: string[] };
    expect(out.resolved).toBe(pathToFileURL(join(PROJECT_ROOT, 'dist', 'api.js')).href);
    expect(out.kinds).toEqual(Array(8).fill('function'));
  });
});

/** Where package.json says the declarations are, once the build emits them. */
function declaredTypes(): string | undefined {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { types?: string; exports: Record<string, unknown> };
  const dot = pkg.exports['.'];
  const types = (typeof dot === 'object' && dot !== null ? (dot as Record<string, string>)['types'] : undefined) ?? pkg.types;
  return types && existsSync(join(PROJECT_ROOT, types)) ? types : undefined;
}

describe('types', () => {
  // Pending: the build does not emit declarations yet (see the lead's note on bin/build.mjs); this
  // runs as soon as package.json names a declaration file that exists.
  it.skipIf(declaredTypes() === undefined)('a TypeScript consumer type-checks against the declarations, and misuse does not', () => {
    const consumer = dirs.tempDir('plan-api-types-');
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    symlinkSync(PROJECT_ROOT, join(consumer, 'node_modules', 'plan-cli'), 'dir');
    writeFiles(consumer, {
      'package.json': '{ "type": "module", "private": true }\n',
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')] }, include: ['*.ts'] }),
      'good.ts': `import { lint, lintExitCode, transition, verify, PlanError, type LintResult, type Finding, type TransitionResult } from 'plan-cli';
const result: LintResult = await lint({ cwd: '.' });
const first: Finding | undefined = result.findings[0];
const code: number = lintExitCode(result);
const t: TransitionResult = await transition({ cwd: '.', plan: 'p', target: 'validate_complete', dryRun: true });
const ok: boolean = (await verify({ cwd: '.', all: true })).ok;
const e: number = new PlanError('x').exitCode;
// @ts-expect-error cwd is a string: unused if the declarations had degraded to any
await lint({ cwd: 1 });
export { first, code, t, ok, e };
`,
    });
    const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', consumer], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('lint, transition, seal and verify against a repository', () => {
  it('lint returns findings as data, and lintExitCode is the CLI\'s verdict', async () => {
    const cwd = await freshRepo('plan-api-lint-');
    const clean = await api.lint({ cwd });
    expect(clean.findings).toEqual([]);
    expect(clean.filesChecked).toBeGreaterThan(0);
    expect(api.lintExitCode(clean)).toBe(0);

    const backlog = join(cwd, 'plans/alpha/be_backlog.yaml');
    writeFileSync(backlog, readFileSync(backlog, 'utf8').replace('    priority: P2\n', '    priority: P2\n    priority: P1\n'));
    const broken = await api.lint({ cwd });
    expect(broken.findings).toContainEqual(expect.objectContaining({ rule: 'yaml/duplicate-key', severity: 'error', file: 'plans/alpha/be_backlog.yaml', line: expect.any(Number) }));
    expect(api.lintExitCode(broken)).toBe(1);
    // the index still has the clean backlog
    expect((await api.lint({ cwd, staged: true })).findings).toEqual([]);

    const sarif = JSON.parse(await api.formatFindings(broken.findings, { format: 'sarif', root: broken.root })) as { version: string; runs: Array<{ results: unknown[] }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results).toHaveLength(broken.findings.length);
    expect(await api.formatFindings(broken.findings, { format: 'github' })).toMatch(/^::error file=plans\/alpha\/be_backlog\.yaml,line=\d+,col=5,title=yaml\/duplicate-key::duplicate key "priority"$/m);
  });

  it('transition, status and events: a dry run writes nothing, --commit commits', async () => {
    const cwd = await freshRepo('plan-api-transition-');
    const head = git(cwd, 'rev-parse', 'HEAD');
    const dry = await api.transition({ cwd, plan: 'alpha', target: 'validate_complete', dryRun: true });
    expect(dry).toMatchObject({ outcome: 'would-apply', from: 'PLANNED', to: 'READY_FOR_HANDOFF' });
    expect(git(cwd, 'status', '--porcelain')).toBe('');

    const applied = await api.transition({ cwd, plan: 'alpha', target: 'READY_FOR_HANDOFF', commit: true });
    expect(applied).toMatchObject({ outcome: 'applied', event: 'validate_complete', commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(git(cwd, 'rev-parse', 'HEAD^')).toBe(head);

    const s = await api.status({ cwd, plan: 'alpha', gates: false });
    expect(s.plans.map((p) => [p.plan, p.state])).toEqual([['alpha', 'READY_FOR_HANDOFF']]);
    const e = await api.events({ cwd, plan: 'alpha' });
    expect(e.events.map((x) => [x.event.type, x.event.payload.metadata.event])).toEqual([
      ['PLAN_CREATED', 'create_plan'],
      ['STATE_TRANSITION', 'validate_complete'],
    ]);

    const refused = await api.transition({ cwd, plan: 'alpha', target: 'validate_complete' });
    expect(refused.outcome).toBe('refused');
  });

  it('seal and verify: a handoff signed by two keys verifies, with history', async () => {
    const cwd = await freshRepo('plan-api-seal-');
    const keys = dirs.tempDir('plan-api-keys-');
    const alice = await api.keygen({ cwd, id: 'alice', role: 'planning_lead', out: keys, bits: 2048 });
    const bob = await api.keygen({ cwd, id: 'bob', role: 'technical_reviewer', out: keys, bits: 2048 });
    expect((await api.listKeys({ cwd })).keys.map((k) => [k.id, k.status])).toEqual([['alice', 'active'], ['bob', 'active']]);
    commitAll(cwd, 'trust alice and bob');
    await api.transition({ cwd, plan: 'alpha', target: 'validate_complete', commit: true });

    const sealed = await api.seal({ cwd, plan: 'alpha', key: alice.privateKey, commit: true });
    expect(sealed).toMatchObject({ outcome: 'applied', signer: { id: 'alice', role: 'planning_lead' } });
    const pending = await api.verify({ cwd, all: true });
    expect(pending.ok).toBe(false);
    expect(pending.reports[0]!.findings.map((f) => f.rule)).toContain('verify/threshold');

    const signed = await api.sign({ cwd, manifest: sealed.manifest!, key: bob.privateKey, commit: true });
    expect(signed.signatures).toBe(2);
    const verified = await api.verify({ cwd, all: true, history: true });
    expect(verified).toMatchObject({ ok: true, history: [] });
    expect(verified.reports[0]!.signers.map((x) => x.id)).toEqual(['alice', 'bob']);

    const d = await api.digest({ cwd, format: 'json' });
    expect(d.written).toBeUndefined();
    expect(JSON.parse(d.text)).toHaveProperty('cycle');
  });

  it('throws PlanError subclasses with the CLI\'s exit codes instead of exiting', async () => {
    const cwd = await freshRepo('plan-api-errors-');
    await expect(api.transition({ cwd, plan: 'nope', target: 'validate_complete' })).rejects.toSatisfy((e: unknown) => e instanceof api.PlanError && e.exitCode === 2 && /nope/.test(e.message));
    const outside = dirs.tempDir('plan-api-not-a-repo-');
    await expect(api.lint({ cwd: outside })).rejects.toBeInstanceOf(api.RepoError);
    writeFiles(cwd, { 'plan.config.yaml': 'lint: [broken\n' });
    await expect(api.lint({ cwd })).rejects.toBeInstanceOf(api.ConfigError);
    expect(process.exitCode ?? 0).toBe(0);
  });
});
