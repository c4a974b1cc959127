/**
 * Git hooks where people already have them: the pre-commit framework (Debian's package) running the
 * hooks of .pre-commit-hooks.yaml, and `plan hook install` in plain git, core.hooksPath and husky.
 * Every case commits for real, with `plan` on PATH through a wrapper.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT, commitAll, tempDirTracker, tempRepo, writeFiles } from '../helpers.js';
import { cleanEnv, ensureDebianPackages, gitOut, planWrapper, run, type ShResult } from '../fixtures/ci/support.js';

const dirs = tempDirTracker();
let bin: string;

beforeAll(() => {
  bin = planWrapper(dirs.tempDir('plan-hooks-bin-'));
});
afterAll(() => dirs.cleanup());

/** A repository with plan init and plan demo, committed without hooks. */
function planRepo(prefix: string): string {
  const repo = dirs.track(tempRepo(prefix));
  expect(plan(repo, ['init']).code).toBe(0);
  expect(plan(repo, ['new', 'demo']).code).toBe(0);
  commitAll(repo, 'plan init');
  return repo;
}

function plan(cwd: string, args: string[], env: Record<string, string | undefined> = {}): ShResult {
  return run(cwd, join(bin, 'plan'), args, cleanEnv(bin, env));
}

function commit(repo: string, message: string, env: Record<string, string | undefined> = {}): ShResult {
  return run(repo, 'git', ['commit', '-m', message], cleanEnv(bin, env));
}

const BACKLOG = 'plans/demo/be_backlog.yaml';

/** Adds a second, different `priority:` to the first task; returns the 1-based line of the duplicate. */
function seedDuplicateKey(repo: string): number {
  const lines = readFileSync(join(repo, BACKLOG), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith('    priority: '));
  lines.splice(at + 1, 0, `    priority: ${lines[at] === '    priority: P1' ? 'P3' : 'P1'}`);
  writeFiles(repo, { [BACKLOG]: lines.join('\n') });
  return at + 2;
}

/** Keeps the second value: the backlog then differs from the last commit, so there is something to commit. */
function fixDuplicateKey(repo: string): void {
  const lines = readFileSync(join(repo, BACKLOG), 'utf8').split('\n');
  lines.splice(lines.findIndex((l) => l.startsWith('    priority: ')), 1);
  writeFiles(repo, { [BACKLOG]: lines.join('\n') });
}

function expectBlocked(r: ShResult, line: number): void {
  const out = r.stdout + r.stderr;
  expect(r.code, out).not.toBe(0);
  expect(out).toContain('yaml/duplicate-key');
  expect(out).toContain(BACKLOG);
  expect(out).toMatch(new RegExp(`^\\s*${line}:\\d+\\s+error\\s+duplicate key "priority"`, 'm'));
}

describe('the pre-commit framework runs the hooks of .pre-commit-hooks.yaml', () => {
  let hookRepo: string;
  let rev: string;
  let preCommitHome: string;

  beforeAll(() => {
    ensureDebianPackages({ 'pre-commit': 'pre-commit' });
    // The working tree's manifest, committed in a repository of its own: HEAD may not have it yet.
    hookRepo = dirs.track(tempRepo('plan-hook-repo-'));
    copyFileSync(join(PROJECT_ROOT, '.pre-commit-hooks.yaml'), join(hookRepo, '.pre-commit-hooks.yaml'));
    commitAll(hookRepo, 'hooks');
    rev = gitOut(hookRepo, 'rev-parse', 'HEAD').trim();
    preCommitHome = dirs.tempDir('plan-pre-commit-home-');
  });

  const preCommit = (repo: string, args: string[]) => run(repo, 'pre-commit', [args[0]!, '--color', 'never', ...args.slice(1)], cleanEnv(bin, { PRE_COMMIT_HOME: preCommitHome }), '', 120_000);

  function configure(repo: string, hooks: string[]): void {
    writeFiles(repo, { '.pre-commit-config.yaml': `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n${hooks.map((h) => `      - id: ${h}\n`).join('')}` });
  }

  it('declares system hooks that need nothing but plan on PATH', () => {
    const hooks = parse(readFileSync(join(PROJECT_ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Array<Record<string, unknown>>;
    expect(hooks.map((h) => h['id'])).toEqual(['plan-lint', 'plan-verify']);
    for (const h of hooks) {
      expect(h['language']).toBe('system');
      expect(h['entry']).toMatch(/^plan /);
      expect(h['pass_filenames']).toBe(false);
    }
    expect(preCommit(hookRepo, ['validate-manifest', join(hookRepo, '.pre-commit-hooks.yaml')]).code).toBe(0);
  });

  it('plan-lint fails on a broken staged backlog and passes once it is fixed, in pre-commit run and in git commit', () => {
    const repo = planRepo('plan-pre-commit-');
    configure(repo, ['plan-lint', 'plan-verify']);
    expect(preCommit(repo, ['validate-config', '.pre-commit-config.yaml']).code).toBe(0);
    commitAll(repo, 'pre-commit config');

    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const failed = preCommit(repo, ['run']);
    expect(failed.stdout).toMatch(/^plan lint\.+Failed$/m);
    expect(failed.stdout).toContain('- hook id: plan-lint');
    expectBlocked(failed, line);
    // nothing under .plan/handoffs or .plan/keys is staged
    expect(failed.stdout).toMatch(/^plan verify\.+\(no files to check\)Skipped$/m);

    // unstaged, the fix is not what would be committed: still failing
    fixDuplicateKey(repo);
    expect(preCommit(repo, ['run']).code).toBe(1);
    gitOut(repo, 'add', BACKLOG);
    const passed = preCommit(repo, ['run']);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toMatch(/^plan lint\.+Passed$/m);

    // the same through git commit, with the framework's own hook installed
    expect(preCommit(repo, ['install']).code).toBe(0);
    seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const blocked = commit(repo, 'broken backlog', { PRE_COMMIT_HOME: preCommitHome, PRE_COMMIT_COLOR: 'never' });
    expectBlocked(blocked, line);
    fixDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const ok = commit(repo, 'fixed backlog', { PRE_COMMIT_HOME: preCommitHome, PRE_COMMIT_COLOR: 'never' });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  });

  it('plan-verify fails while a staged handoff lacks its second signature and passes once co-signed', () => {
    const repo = planRepo('plan-pre-commit-verify-');
    const keys = dirs.tempDir('plan-pre-commit-keys-');
    const env = { PLAN_KEY_PASSPHRASE: 'pre-commit-passphrase' };
    expect(plan(repo, ['keygen', '--id', 'alice', '--role', 'planning_lead', '--out', keys, '--bits', '2048'], env).code).toBe(0);
    expect(plan(repo, ['keygen', '--id', 'bob', '--role', 'technical_reviewer', '--out', keys, '--bits', '2048'], env).code).toBe(0);
    configure(repo, ['plan-verify']);
    commitAll(repo, 'keys and pre-commit config');
    expect(plan(repo, ['transition', 'demo', 'validate_complete', '--commit'], env).code).toBe(0);
    expect(plan(repo, ['seal', 'demo', '--key', join(keys, 'alice.key.pem')], env).code).toBe(0);
    gitOut(repo, 'add', '-A');
    const failed = preCommit(repo, ['run']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^plan verify\.+Failed$/m);
    expect(failed.stdout).toContain('verify/threshold');
    commitAll(repo, 'seal (awaiting the second signature)');
    expect(plan(repo, ['sign', '.plan/handoffs/demo/0001/handoff_manifest.yaml', '--key', join(keys, 'bob.key.pem')], env).code).toBe(0);
    gitOut(repo, 'add', '-A');
    const passed = preCommit(repo, ['run']);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toMatch(/^plan verify\.+Passed$/m);
  });
});

describe('plan hook install', () => {
  it('blocks a commit of a backlog with duplicate keys, naming the rule and file:line, and lets the fix through', () => {
    const repo = planRepo('plan-hook-git-');
    const r = plan(repo, ['hook', 'install']);
    expect(r.code, r.stderr).toBe(0);
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    expect(r.stdout).toBe(`created ${hook} (via git): commits now run plan lint --staged\n`);
    expect(statSync(hook).mode & 0o111).toBe(0o111);

    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const before = gitOut(repo, 'rev-parse', 'HEAD');
    expectBlocked(commit(repo, 'duplicate keys'), line);
    expect(gitOut(repo, 'rev-parse', 'HEAD')).toBe(before);

    fixDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const ok = commit(repo, 'fixed');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(plan(repo, ['hook', 'install', '--json']).stdout).toContain('"action": "unchanged"');
  });

  it('installs into core.hooksPath when it is set', () => {
    const repo = planRepo('plan-hook-path-');
    gitOut(repo, 'config', 'core.hooksPath', '.githooks');
    const r = plan(repo, ['hook', 'install', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ path: join(repo, '.githooks', 'pre-commit'), action: 'created', via: 'core.hooksPath' });
    expect(existsSync(join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    expectBlocked(commit(repo, 'duplicate keys'), line);
  });

  it("writes .husky/pre-commit under husky's layout (core.hooksPath=.husky/_), and husky runs it", () => {
    const repo = planRepo('plan-hook-husky-');
    // husky 9's generated files: every hook in .husky/_ sources `h`, which runs the user's .husky/<hook>
    writeFiles(repo, {
      '.husky/_/h': `#!/usr/bin/env sh
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n
[ ! -f "$s" ] && exit 0
[ "\${HUSKY-}" = "0" ] && exit 0
export PATH="node_modules/.bin:$PATH"
sh -e "$s" "$@"
c=$?
[ $c != 0 ] && echo "husky - $n script failed (code $c)"
exit $c
`,
      '.husky/_/pre-commit': '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n',
    });
    chmodSync(join(repo, '.husky/_/h'), 0o755);
    chmodSync(join(repo, '.husky/_/pre-commit'), 0o755);
    gitOut(repo, 'config', 'core.hooksPath', '.husky/_');
    const r = plan(repo, ['hook', 'install', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ path: join(repo, '.husky', 'pre-commit'), action: 'created', via: 'husky' });
    const script = readFileSync(join(repo, '.husky', 'pre-commit'), 'utf8');
    expect(script).toContain('plan lint --staged');
    expect(script.startsWith('#!')).toBe(false);
    // husky's own file is left alone
    expect(readFileSync(join(repo, '.husky/_/pre-commit'), 'utf8')).toBe('#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n');

    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    const blocked = commit(repo, 'duplicate keys');
    expectBlocked(blocked, line);
    expect(blocked.stdout + blocked.stderr).toContain('husky - pre-commit script failed (code 1)');
    fixDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    expect(commit(repo, 'fixed').code).toBe(0);
  });

  it('refuses to overwrite a foreign hook without --force (exit 1) and replaces it with --force', () => {
    const repo = planRepo('plan-hook-foreign-');
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    const foreign = '#!/bin/sh\necho "the team\'s own checks"\n';
    mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
    writeFiles(repo, { '.git/hooks/pre-commit': foreign });
    chmodSync(hook, 0o755);

    const refused = plan(repo, ['hook', 'install']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(hook);
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(hook, 'utf8')).toBe(foreign);

    const forced = plan(repo, ['hook', 'install', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ action: 'replaced', via: 'git' });
    expect(readFileSync(hook, 'utf8')).toContain('plan lint --staged');
    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    expectBlocked(commit(repo, 'duplicate keys'), line);
  });

  it('finds plan in node_modules/.bin when it is not on PATH, and skips with a note when it is nowhere', () => {
    const repo = planRepo('plan-hook-local-');
    expect(plan(repo, ['hook', 'install']).code).toBe(0);
    const noPlan = cleanEnv(undefined, { PATH: '/usr/local/bin:/usr/bin:/bin' });
    // nowhere: the commit goes through, with a note
    writeFiles(repo, { '.gitignore': 'node_modules/\n' });
    gitOut(repo, 'add', '.gitignore');
    const skipped = run(repo, 'git', ['commit', '-m', 'no plan installed'], noPlan);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain('plan: not installed; skipping plan lint --staged');
    // a project-local install (npm install --save-dev plan-cli) is found
    mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(bin, 'plan'), join(repo, 'node_modules', '.bin', 'plan'));
    const line = seedDuplicateKey(repo);
    gitOut(repo, 'add', BACKLOG);
    expectBlocked(run(repo, 'git', ['commit', '-m', 'local plan'], noPlan), line);
  });
});
