/**
 * Output conventions (DESIGN §8): colors follow NO_COLOR / FORCE_COLOR / --no-color and never reach a
 * machine format; --quiet drops notes but keeps results; every --json parses, with a stable top-level
 * shape; results on stdout, diagnostics on stderr; no spinner when stderr is not a terminal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, tempDirTracker, tempRepo } from '../helpers.js';
import { cleanEnv, gitOut, largeHandoffRepo, planWrapper, run, type HandoffRepo, type ShResult } from '../fixtures/ci/support.js';

const ANSI = /\u001b\[/;
/** ora's default spinner ("dots") draws braille patterns. */
const SPINNER_FRAME = /[\u2800-\u28ff]/;

const dirs = tempDirTracker();
let bin: string;
/** lint findings of every severity, in a committed repository */
let broken: string;
let large: HandoffRepo;
/** `plan lint` of `broken` with NO_COLOR=1 */
let plainLint: string;

function plan(cwd: string, args: string[], env: Record<string, string | undefined> = {}): ShResult {
  return run(cwd, join(bin, 'plan'), args, cleanEnv(bin, env));
}

beforeAll(() => {
  bin = planWrapper(dirs.tempDir('plan-output-bin-'));
  broken = dirs.track(tempRepo('plan-output-'));
  expect(plan(broken, ['init']).code).toBe(0);
  expect(plan(broken, ['new', 'alpha']).code).toBe(0);
  const backlog = join(broken, 'plans/alpha/be_backlog.yaml');
  const text = readFileSync(backlog, 'utf8');
  // an error (duplicate key) and a warning (trailing space)
  run(broken, 'sh', ['-c', `cat > ${JSON.stringify(backlog)}`], cleanEnv(bin), text.replace('    priority: P2\n', '    priority: P2 \n    priority: P1\n'));
  gitOut(broken, 'add', '-A');
  gitOut(broken, 'commit', '-qm', 'broken backlog');
  large = largeHandoffRepo((p) => dirs.tempDir(p), bin);
  plainLint = plan(broken, ['lint']).stdout;
});
afterAll(() => dirs.cleanup());

describe('colors', () => {
  it.each<[string, Record<string, string | undefined>, string[], boolean]>([
    ['FORCE_COLOR=1, piped', { FORCE_COLOR: '1', NO_COLOR: undefined }, [], true],
    ['NO_COLOR=1', { NO_COLOR: '1' }, [], false],
    ['neither, piped (not a terminal)', { NO_COLOR: undefined }, [], false],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0', NO_COLOR: undefined }, [], false],
    ['FORCE_COLOR=1 and --no-color', { FORCE_COLOR: '1', NO_COLOR: undefined }, ['--no-color'], false],
    // as in Node itself (tty.getColorDepth), FORCE_COLOR wins over NO_COLOR
    ['FORCE_COLOR=1 and NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }, [], true],
  ])('stylish lint output: %s', (_name, env, flags, colored) => {
    const r = plan(broken, [...flags, 'lint'], env);
    expect(r.code).toBe(1);
    expect(ANSI.test(r.stdout)).toBe(colored);
    expect(r.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plainLint);
  });

  it.each(['json', 'sarif', 'junit', 'github'])('never colors --format %s, even with FORCE_COLOR=1', (format) => {
    const r = plan(broken, ['lint', '--format', format], { FORCE_COLOR: '1', NO_COLOR: undefined });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('never colors --json results or files written with -o', () => {
    const env = { FORCE_COLOR: '1', NO_COLOR: undefined };
    expect(plan(broken, ['status', '--json'], env).stdout).not.toMatch(ANSI);
    expect(plan(broken, ['lint', '-o', 'lint.txt'], env).code).toBe(1);
    expect(readFileSync(join(broken, 'lint.txt'), 'utf8')).not.toMatch(ANSI);
  });
});

describe('--quiet', () => {
  it.each<[string, string[]]>([
    ['lint -o writes a note', ['lint', '--format', 'sarif', '-o', 'quiet.sarif']],
    ['gate writes one note per plan', ['gate', 'schema_lint', 'alpha']],
  ])('%s on stderr; --quiet drops it and keeps the result', (_name, args) => {
    const loud = plan(broken, args);
    const quiet = plan(broken, ['--quiet', ...args]);
    const quietAfter = plan(broken, [...args, '-q']);
    expect(loud.stderr).not.toBe('');
    for (const q of [quiet, quietAfter]) {
      expect(q.stderr).toBe('');
      expect(q.code).toBe(loud.code);
      expect(q.stdout).toBe(loud.stdout);
    }
  });

  it('digest --out: the note goes, the file is still written', () => {
    const r = plan(large.repo, ['-q', 'digest', '--out', '../digest-{cycle}.md']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const loud = plan(large.repo, ['digest', '--out', '../digest-loud.md']);
    expect(loud.stderr).toMatch(/^wrote \.\.\/digest-loud\.md: cycle /);
    expect(existsSync(join(large.repo, '..', 'digest-loud.md'))).toBe(true);
  });

  it('errors still show', () => {
    const r = plan(broken, ['-q', 'status', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^plan: .*nope/);
  });
});

describe('stdout for results, stderr for diagnostics', () => {
  it.each<[string, string[], number]>([
    ['an unknown plan', ['status', 'nope'], 2],
    ['a bad --format', ['lint', '--format', 'nope'], 2],
    ['an unknown command', ['frobnicate'], 2],
    ['not a git repository', ['-C', '/', 'lint'], 2],
  ])('%s: nothing on stdout, the error on stderr', (_name, args, code) => {
    const r = plan(broken, args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^plan: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('lint findings go to stdout, and only there', () => {
    const r = plan(broken, ['lint']);
    expect(r.stdout).toContain('yaml/duplicate-key');
    expect(r.stderr).toBe('');
  });

  it('--help and --version go to stdout', () => {
    for (const args of [['--help'], ['lint', '--help'], ['--version']]) {
      const r = plan(broken, args);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toBe('');
      expect(r.stderr).toBe('');
    }
  });
});

describe('--json', () => {
  /** The commands whose --help offers --json, read from the completion spec (made from the commander program). */
  function commandsWithJson(): string[] {
    const script = plan(broken, ['completion', 'bash']).stdout;
    return [...script.matchAll(/^ {6}'plan\/([^']+)'\) words='([^']*)' ;;$/gm)].filter((m) => m[2]!.split(' ').includes('--json')).map((m) => m[1]!.replace('/', ' '));
  }

  it('every command that has --json prints JSON on stdout with a stable top-level shape', () => {
    const repo = dirs.track(tempRepo('plan-json-'));
    const keys = dirs.tempDir('plan-json-keys-');
    const env = { PLAN_KEY_PASSPHRASE: 'json-passphrase' };
    const manifest = '.plan/handoffs/alpha/0001/handoff_manifest.yaml';
    const commit = (message: string) => {
      gitOut(repo, 'add', '-A');
      gitOut(repo, 'commit', '-qm', message);
    };
    // [command as listed, args, exit code, top-level keys (or 'array')]
    const table: Array<[string, string[], number, string[] | 'array', (() => void)?]> = [
      ['init', ['init', '--json'], 0, ['root', 'changes']],
      ['new', ['new', 'alpha', '--json'], 0, ['plan', 'dir', 'files', 'state', 'eventId']],
      ['keygen', ['keygen', '--id', 'alice', '--role', 'planning_lead', '--out', keys, '--bits', '2048', '--json'], 0, ['id', 'keyid', 'role', 'privateKey', 'publicKey', 'bits', 'validUntil']],
      ['keygen', ['keygen', '--id', 'bob', '--role', 'technical_reviewer', '--out', keys, '--bits', '2048', '--json'], 0, ['id', 'keyid', 'role', 'privateKey', 'publicKey', 'bits', 'validUntil'], () => commit('keys')],
      ['keys list', ['keys', 'list', '--json'], 0, ['keys']],
      ['status', ['status', '--json'], 0, ['plans']],
      ['transition', ['transition', 'alpha', 'validate_complete', '--commit', '--json'], 0, ['plan', 'from', 'to', 'event', 'gate', 'outcome', 'allowed', 'eventId', 'commit']],
      ['gate', ['gate', 'schema_lint', 'alpha', '--json'], 0, 'array'],
      ['seal', ['seal', 'alpha', '--key', join(keys, 'alice.key.pem'), '--commit', '--json'], 0, ['plan', 'from', 'to', 'event', 'gate', 'outcome', 'allowed', 'eventId', 'manifest', 'manifestSha256', 'artifacts', 'signer', 'commit']],
      ['sign', ['sign', manifest, '--key', join(keys, 'bob.key.pem'), '--commit', '--json'], 0, ['manifest', 'signer', 'signatures', 'commit']],
      ['verify', ['verify', '--all', '--history', '--json'], 0, ['reports', 'history', 'ok']],
      ['new', ['new', 'beta', '--json'], 0, ['plan', 'dir', 'files', 'state', 'eventId'], () => commit('beta')],
      ['approve', ['approve', 'beta', '--key', join(keys, 'alice.key.pem'), '--role', 'planning_lead', '--json'], 0, ['plan', 'approver', 'contentSha256', 'file']],
      ['keys revoke', ['keys', 'revoke', 'alice', '--reason', 'rotated', '--json'], 0, ['id', 'keyid', 'file', 'role', 'valid_from', 'valid_until', 'revoked', 'revoked_at', 'revoked_reason']],
      ['doctor', ['doctor', '--json'], 0, ['version', 'tool', 'summary', 'findings']],
      ['policy simulate', ['policy', 'simulate', '--rulebook', 'rulebook', '--json'], 0, ['candidate', 'plansChecked', 'transitionsChecked', 'changes']],
      ['policy test', ['policy', 'test', '--dir', join(FIXTURES, 'governance', 'policy_tests'), '--json'], 0, ['fixtures', 'passed', 'failed']],
      ['hook install', ['hook', 'install', '--json'], 0, ['path', 'action', 'via']],
      ['schema', ['schema', '--json'], 0, 'array'],
      ['config', ['config', '--json'], 0, ['root', 'file', 'config', 'origin', 'rulebook']],
    ];
    for (const [, args, code, keysExpected, after] of table) {
      const r = plan(repo, args, env);
      expect(r.code, `plan ${args.join(' ')}\n${r.stderr}`).toBe(code);
      let value: unknown;
      expect(() => (value = JSON.parse(r.stdout)), `plan ${args.join(' ')} printed: ${r.stdout.slice(0, 300)}`).not.toThrow();
      if (keysExpected === 'array') expect(Array.isArray(value)).toBe(true);
      else expect(Object.keys(value as object), `plan ${args.join(' ')}`).toEqual(keysExpected);
      expect(r.stderr, `plan ${args.join(' ')}`).not.toMatch(/^\s*[[{]/);
      after?.();
    }
    expect(new Set(table.map(([name]) => name))).toEqual(new Set(commandsWithJson()));

    // the machine formats of the other commands
    const lint = plan(repo, ['lint', '--format', 'json']);
    expect(Object.keys(JSON.parse(lint.stdout) as object)).toEqual(['version', 'tool', 'summary', 'findings']);
    const gate = plan(repo, ['gate', 'schema_lint', '--format', 'json']);
    expect(Object.keys(JSON.parse(gate.stdout) as object)).toEqual(['version', 'tool', 'summary', 'findings']);
    const digest = plan(repo, ['digest', '--format', 'json']);
    expect(JSON.parse(digest.stdout)).toHaveProperty('cycle');
    for (const format of ['jsonl', 'cloudevents']) {
      const lines = plan(repo, ['events', '--format', format]).stdout.trimEnd().split('\n');
      // alpha: create, validate_complete, package_artifacts; beta: create
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(Object.keys(JSON.parse(line) as object)).toEqual(format === 'jsonl' ? ['type', 'version', 'event'] : ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data']);
    }
  });
});

describe('spinners', () => {
  it('none when stderr is not a terminal, even for work long enough to deserve one', () => {
    for (const args of [['verify'], ['verify', '--all', '--history'], ['digest', '--format', 'json']]) {
      const r = plan(large.repo, args, { NO_COLOR: undefined });
      expect(r.code, r.stderr).toBe(0);
      for (const stream of [r.stdout, r.stderr]) {
        expect(stream).not.toMatch(ANSI);
        expect(stream).not.toMatch(SPINNER_FRAME);
      }
      expect(r.stderr).not.toContain('verifying');
    }
  });
});
