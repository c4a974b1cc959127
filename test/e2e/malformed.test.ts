/**
 * The malformed-input contract of `plan lint`: for every bad input it exits 1 (a finding) or 2
 * (could not run), says where in one clear line, never prints a stack trace, and writes nothing.
 */
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git, removeRepo, runPlan, tempRepo, writeFiles, type RunResult } from '../helpers.js';
import { expectNoCrash, oneErrorLine, stripAnsi, parseReport, runUnchanged, VALID_BACKLOG, VALID_PLAN, type JsonFinding, type JsonLintReport } from './support.js';

const BACKLOG = 'plans/p1/be_backlog.yaml';
const PLAN = 'plans/p1/plan.yaml';
const repos: string[] = [];

afterAll(() => {
  for (const dir of repos) {
    try {
      chmodSync(dir, 0o755);
    } catch {
      // already gone
    }
    removeRepo(dir);
  }
});

/** A fresh repository holding a valid plans/p1/plan.yaml plus `files`, committed unless told otherwise. */
function repoWith(files: Record<string, string | Uint8Array>, options: { commit?: boolean; plan?: boolean } = {}): string {
  const dir = tempRepo('plan-e2e-bad-');
  repos.push(dir);
  writeFiles(dir, { ...(options.plan === false ? {} : { [PLAN]: VALID_PLAN }), ...files });
  if (options.commit !== false) commitAll(dir, 'fixture');
  return dir;
}

interface LintRun {
  dir: string;
  result: RunResult;
  report: JsonLintReport;
  stylish: RunResult;
}

/** Runs `plan lint --format json` and `plan lint` (stylish) in `dir`, both checked for crashes and writes. */
function lintBoth(dir: string, extra: string[] = [], timeout?: number): LintRun {
  const result = runUnchanged(dir, ['lint', '--format', 'json', ...extra], timeout ? { timeout } : {});
  expectNoCrash(result);
  const colored = runUnchanged(dir, ['lint', ...extra], timeout ? { timeout } : {});
  expectNoCrash(colored);
  const stylish = { ...colored, stdout: stripAnsi(colored.stdout) };
  expect(stylish.code).toBe(result.code);
  return { dir, result, report: parseReport(result), stylish };
}

/**
 * Asserts a finding run: exit 1, nothing on stderr, every finding names its file, and one finding
 * of `rule` in `file` at `line` (when given). Also checks the stylish row for that finding.
 */
function expectFinding(run: LintRun, rule: string | RegExp, file: string, line?: number): JsonFinding {
  const { result, report, stylish } = run;
  const context = `exit ${result.code}\nstdout: ${result.stdout.slice(0, 3000)}\nstderr: ${result.stderr.slice(0, 1000)}`;
  expect(result.code, context).toBe(1);
  expect(result.stderr, context).toBe('');
  for (const f of report.findings) expect(f.file, `finding without a file: ${JSON.stringify(f)}`).toBeTruthy();
  const matches = report.findings.filter((f) => (typeof rule === 'string' ? f.rule === rule : rule.test(f.rule)) && f.file === file);
  expect(matches.length, `no ${String(rule)} finding in ${file}:\n${context}`).toBeGreaterThan(0);
  const finding = line === undefined ? matches[0]! : matches.find((f) => f.line === line);
  expect(finding, `no ${String(rule)} at ${file}:${line}; got lines ${matches.map((f) => f.line).join(', ')}`).toBeDefined();
  // Stylish: the file on a line of its own, then `line:column  error  message  rule`.
  expect(stylish.stdout).toContain(file);
  if (finding!.line !== undefined) {
    const where = finding!.column !== undefined ? `${finding!.line}:${finding!.column}` : `${finding!.line}`;
    expect(stylish.stdout, stylish.stdout).toMatch(new RegExp(`^\\s+${where}\\s+error\\s+.*${finding!.rule.replace('/', '\\/')}\\s*$`, 'm'));
  }
  return finding!;
}

/** Asserts a "could not run" result: exit 2, no stack trace, one `plan: ` line on stderr. */
function expectCannotRun(result: RunResult): string {
  expectNoCrash(result);
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(2);
  const line = oneErrorLine(result);
  expect(line.startsWith('plan: '), line).toBe(true);
  return line;
}

/** 9 levels of 9 aliases: 9^9 strings if expanded. */
function aliasBomb(): string {
  const names = 'abcdefghi';
  const lines = [`${names[0]}: &${names[0]} [${Array(9).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('plan lint on malformed YAML', () => {
  it('refuses a billion-laughs alias bomb (yaml/alias-limit)', () => {
    const run = lintBoth(repoWith({ [BACKLOG]: aliasBomb() }));
    expectFinding(run, 'yaml/alias-limit', BACKLOG, 2);
  });

  it('reports a duplicate key in a task at the line of the second key', () => {
    const text = `version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "First"\n    dependencies: []\n    title: "Again"\n`;
    const f = expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), 'yaml/duplicate-key', BACKLOG, 6);
    expect(f.column).toBe(5);
    expect(f.message).toContain('title');
  });

  it('reports an invalid UTF-8 byte with its line (file/invalid-utf8)', () => {
    const bytes = Buffer.concat([Buffer.from('version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "Bad '), Buffer.from([0xc3, 0x28]), Buffer.from(' title"\n')]);
    const f = expectFinding(lintBoth(repoWith({ [BACKLOG]: bytes })), 'file/invalid-utf8', BACKLOG, 4);
    expect(f.column).toBe(17);
  });

  it('counts the invalid-UTF-8 column in characters (UTF-16 units), not bytes, after a multi-byte character', () => {
    // "    title: \"Café " is 17 characters but 18 bytes; the bad byte is the 18th character.
    const bytes = Buffer.concat([Buffer.from('version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "Café '), Buffer.from([0xc3, 0x28]), Buffer.from('"\n')]);
    const f = expectFinding(lintBoth(repoWith({ [BACKLOG]: bytes })), 'file/invalid-utf8', BACKLOG, 4);
    expect(f.column).toBe(18);
  });

  it('reports a NUL byte as binary (file/binary)', () => {
    const bytes = Buffer.concat([Buffer.from('version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "x'), Buffer.from([0]), Buffer.from('y"\n')]);
    expectFinding(lintBoth(repoWith({ [BACKLOG]: bytes })), 'file/binary', BACKLOG, 4);
  });

  describe('a 50 MB backlog', () => {
    let dir: string;
    beforeAll(() => {
      dir = repoWith({}, { commit: false });
      commitAll(dir, 'plan only');
      const head = 'version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "Huge"\n    description: "';
      const body = Buffer.alloc(50 * 1024 * 1024, 'x');
      writeFileSync(join(dir, BACKLOG), Buffer.concat([Buffer.from(head), body, Buffer.from('"\n')]));
    });

    it('is refused as too large (file/too-large) without reading it all', () => {
      const started = Date.now();
      const run = lintBoth(dir, [], 20_000);
      console.log(`plan lint x2 on a 50 MB backlog: ${Date.now() - started} ms`);
      const f = expectFinding(run, 'file/too-large', BACKLOG);
      expect(f.message).toMatch(/MiB/);
    });
  });

  describe('5,000-deep nesting', () => {
    it('flow style [[[[...]]]] → yaml/too-deep or yaml/syntax', () => {
      const text = `version: "1.0.0"\ntasks: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
      expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), /^yaml\/(too-deep|syntax)$/, BACKLOG);
    });

    it('flow style mappings {a: {a: ...}} → yaml/too-deep or yaml/syntax', () => {
      const text = `version: "1.0.0"\ntasks: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`;
      expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), /^yaml\/(too-deep|syntax)$/, BACKLOG);
    });

    it('block style indentation → yaml/too-deep or yaml/syntax', () => {
      const lines = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 2)}a:`);
      const text = `version: "1.0.0"\ntasks:\n${lines.join('\n')} 1\n`;
      expectFinding(lintBoth(repoWith({ [BACKLOG]: text }, { commit: false })), /^yaml\/(too-deep|syntax)$/, BACKLOG);
    });

    it('block style compact sequences "- - - ..." → yaml/too-deep or yaml/syntax', () => {
      const text = `version: "1.0.0"\ntasks:\n  ${'- '.repeat(5000)}x\n`;
      expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), /^yaml\/(too-deep|syntax)$/, BACKLOG);
    });

    it('a nesting just over lint.max_depth (65 levels) → yaml/too-deep', () => {
      const text = `version: "1.0.0"\nx-deep: ${'['.repeat(65)}${']'.repeat(65)}\ntasks: []\n`;
      expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), 'yaml/too-deep', BACKLOG);
    });
  });

  it('reports git conflict markers at each marker line (file/conflict-marker)', () => {
    const text = `version: "1.0.0"\ntasks:\n<<<<<<< HEAD\n  - id: P1-001\n    title: "Ours"\n=======\n  - id: P1-001\n    title: "Theirs"\n>>>>>>> feature-branch\n`;
    const run = lintBoth(repoWith({ [BACKLOG]: text }));
    expectFinding(run, 'file/conflict-marker', BACKLOG, 3);
    expectFinding(run, 'file/conflict-marker', BACKLOG, 6);
    expectFinding(run, 'file/conflict-marker', BACKLOG, 9);
    expect(run.report.findings.filter((f) => f.rule === 'file/conflict-marker')).toHaveLength(3);
    // The markers block parsing: no confusing YAML errors on top of them.
    expect(run.report.findings.filter((f) => f.rule.startsWith('yaml/'))).toEqual([]);
  });

  it('accepts a UTF-8 BOM at the start of a valid file', () => {
    const dir = repoWith({ [BACKLOG]: `\uFEFF${VALID_BACKLOG}`, [PLAN]: `\uFEFF${VALID_PLAN}` });
    const run = lintBoth(dir);
    expect(run.result.code, run.result.stdout).toBe(0);
    expect(run.report.findings).toEqual([]);
  });

  it('keeps line 1 columns right after a BOM', () => {
    const dir = repoWith({ [BACKLOG]: `\uFEFFversion: 1\ntasks: []\n` });
    const f = expectFinding(lintBoth(dir), 'schema/type', BACKLOG, 1);
    expect(f.column).toBe(10);
  });

  describe('CRLF line endings', () => {
    const crlf = (text: string): string => text.replace(/\n/g, '\r\n');

    it('a valid CRLF file is clean (no trailing-space or other findings)', () => {
      const run = lintBoth(repoWith({ [BACKLOG]: crlf(VALID_BACKLOG), [PLAN]: crlf(VALID_PLAN) }));
      expect(run.result.code, run.result.stdout).toBe(0);
      expect(run.report.findings).toEqual([]);
    });

    it('line numbers stay right when a CRLF file has errors', () => {
      const text = crlf(`version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "First"\n    priority: P9\n    dependencies: ["P1-404"]\n`);
      const run = lintBoth(repoWith({ [BACKLOG]: text }));
      const enumFinding = expectFinding(run, 'schema/enum', BACKLOG, 5);
      expect(enumFinding.column).toBe(15);
      const dep = expectFinding(run, 'ref/unknown-dependency', BACKLOG, 6);
      expect(dep.column).toBe(20);
    });

    it('a duplicate key in a CRLF file is reported at the second key', () => {
      const text = crlf(`version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "First"\n    title: "Again"\n`);
      const f = expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), 'yaml/duplicate-key', BACKLOG, 5);
      expect(f.column).toBe(5);
    });
  });

  it('reports tab indentation', () => {
    const text = `version: "1.0.0"\ntasks:\n  - id: P1-001\n\ttitle: "Tabbed"\n`;
    const run = lintBoth(repoWith({ [BACKLOG]: text }));
    expectFinding(run, /^yaml\/(tab-indent|syntax)$/, BACKLOG, 4);
  });

  describe('documents that are not a backlog mapping', () => {
    it.each<[string, string]>([
      ['an empty file', ''],
      ['a file with only comments', '# nothing here yet\n# still nothing\n'],
      ['a top-level list', '- id: P1-001\n  title: "x"\n'],
      ['a top-level scalar', 'just a string\n'],
      ['a top-level null', 'null\n'],
    ])('%s → schema finding, exit 1', (_name, text) => {
      const run = lintBoth(repoWith({ [BACKLOG]: text }));
      const f = expectFinding(run, /^schema\//, BACKLOG);
      expect(f.line, JSON.stringify(f)).toBeGreaterThanOrEqual(1);
    });
  });

  it('reports multiple YAML documents in one file', () => {
    const text = `---\nversion: "1.0.0"\ntasks: []\n---\nversion: "2.0.0"\ntasks: []\n`;
    const run = lintBoth(repoWith({ [BACKLOG]: text }));
    expectFinding(run, /^yaml\//, BACKLOG, 4);
  });

  it('reports an unclosed quote as yaml/syntax with a line', () => {
    const text = `version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "never closed\n    dependencies: []\n`;
    const f = expectFinding(lintBoth(repoWith({ [BACKLOG]: text })), 'yaml/syntax', BACKLOG);
    expect(f.line).toBeGreaterThanOrEqual(4);
  });
});

describe('plan lint on symlinks', () => {
  it('refuses a symlink to /etc/passwd (file/symlink) and never prints its content', () => {
    const dir = repoWith({}, { commit: false });
    symlinkSync('/etc/passwd', join(dir, BACKLOG));
    commitAll(dir, 'link');
    const run = lintBoth(dir);
    expectFinding(run, 'file/symlink', BACKLOG);
    for (const out of [run.result.stdout, run.result.stderr, run.stylish.stdout, run.stylish.stderr]) {
      expect(out).not.toMatch(/root:.*:0:0:/);
      expect(out).not.toContain('/bin/');
    }
  });

  it('refuses a symlink loop (file/symlink)', () => {
    const dir = repoWith({}, { commit: false });
    symlinkSync('story_map.md', join(dir, BACKLOG));
    symlinkSync('be_backlog.yaml', join(dir, 'plans/p1/story_map.md'));
    const run = lintBoth(dir);
    expectFinding(run, 'file/symlink', BACKLOG);
    expectFinding(run, 'file/symlink', 'plans/p1/story_map.md');
  });

  it('refuses a plan folder that is a symlink (plans/p1 → /etc) instead of passing it silently', () => {
    const dir = tempRepo('plan-e2e-bad-');
    repos.push(dir);
    writeFiles(dir, { 'plans/p2/plan.yaml': VALID_PLAN.replace('p1', 'p2') });
    symlinkSync('/etc', join(dir, 'plans/p1'));
    const result = runUnchanged(dir, ['lint', '--format', 'json']);
    expectNoCrash(result);
    expect(result.stdout).not.toMatch(/root:.*:0:0:/);
    expect(result.code, result.stdout).toBe(1);
    expect(parseReport(result).findings.map((f) => `${f.rule} ${f.file}`)).toContain('file/symlink plans/p1');
  });

  it('refuses a staged symlink with --staged too', () => {
    const dir = repoWith({}, { commit: false });
    commitAll(dir, 'plan');
    symlinkSync('/etc/passwd', join(dir, BACKLOG));
    git(dir, 'add', BACKLOG);
    const result = runUnchanged(dir, ['lint', '--staged', '--format', 'json']);
    expectNoCrash(result);
    expect(result.code).toBe(1);
    expect(parseReport(result).findings.map((f) => f.rule)).toContain('file/symlink');
    expect(result.stdout).not.toMatch(/root:.*:0:0:/);
  });
});

describe('plan lint on references that escape', () => {
  it('reports rollback_plan: ../../../etc/passwd as ref/path-escape', () => {
    const plan = `${VALID_PLAN}rollback_plan: ../../../etc/passwd\n`;
    const run = lintBoth(repoWith({ [PLAN]: plan, [BACKLOG]: VALID_BACKLOG }));
    expectFinding(run, 'ref/path-escape', PLAN, 7);
    expect(run.result.stdout).not.toMatch(/root:.*:0:0:/);
  });

  it('reports an absolute artifact path as ref/path-escape', () => {
    const plan = `${VALID_PLAN}artifacts:\n  - /etc/passwd\n`;
    expectFinding(lintBoth(repoWith({ [PLAN]: plan, [BACKLOG]: VALID_BACKLOG })), 'ref/path-escape', PLAN, 8);
  });
});

describe('plan lint on malformed JSON artifacts', () => {
  it('reports a trailing comma as json/syntax with a line', () => {
    const run = lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/extra.json': '{\n  "a": 1,\n  "b": [1, 2],\n}\n' }));
    const f = expectFinding(run, 'json/syntax', 'plans/p1/extra.json');
    expect(f.line).toBe(4);
  });

  it('reports a duplicate key as json/duplicate-key at the second key', () => {
    const run = lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/extra.json': '{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}\n' }));
    const f = expectFinding(run, 'json/duplicate-key', 'plans/p1/extra.json', 4);
    expect(f.column).toBe(3);
  });

  it('reports 5,000-deep JSON without crashing', () => {
    const run = lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/extra.json': `${'['.repeat(5000)}${']'.repeat(5000)}\n` }));
    expectFinding(run, /^json\/(too-deep|syntax)$/, 'plans/p1/extra.json');
  });

  it('reports an empty JSON file as json/syntax', () => {
    expectFinding(lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/extra.json': '' })), 'json/syntax', 'plans/p1/extra.json');
  });
});

describe('plan lint on malformed story maps', () => {
  it('reports invalid UTF-8 in story_map.md with its line', () => {
    const bytes = Buffer.concat([Buffer.from('# Map\n\n## Epic: E\n\n- story '), Buffer.from([0xff]), Buffer.from(' one\n')]);
    expectFinding(lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/story_map.md': bytes })), 'file/invalid-utf8', 'plans/p1/story_map.md', 5);
  });

  it('reports a conflict marker in story_map.md at its line', () => {
    const text = '# Map\n\n## Epic: E\n\n<<<<<<< HEAD\n- ours (P1-001)\n=======\n- theirs (P1-002)\n>>>>>>> other\n';
    const run = lintBoth(repoWith({ [BACKLOG]: VALID_BACKLOG, 'plans/p1/story_map.md': text }));
    expectFinding(run, 'file/conflict-marker', 'plans/p1/story_map.md', 5);
    expectFinding(run, 'file/conflict-marker', 'plans/p1/story_map.md', 7);
    expectFinding(run, 'file/conflict-marker', 'plans/p1/story_map.md', 9);
  });
});

describe('plan lint that cannot run (exit 2)', () => {
  let dir: string;
  beforeAll(() => {
    dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
  });

  it('the shared repository lints clean (baseline)', () => {
    const result = runUnchanged(dir, ['lint', '--format', 'json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('plan lint ../outside → exit 2, one line on stderr', () => {
    const result = runUnchanged(dir, ['lint', '../outside']);
    const line = expectCannotRun(result);
    expect(line).toContain('outside');
    expect(result.stdout).toBe('');
  });

  it('plan lint /etc → exit 2 (absolute path outside the repository)', () => {
    const line = expectCannotRun(runUnchanged(dir, ['lint', '/etc']));
    expect(line).toContain('/etc');
  });

  it('plan lint plans/nope → exit 2', () => {
    const line = expectCannotRun(runUnchanged(dir, ['lint', 'plans/nope']));
    expect(line).toContain('plans/nope');
  });

  it('plan lint --staged with a path → exit 2', () => {
    expectCannotRun(runUnchanged(dir, ['lint', '--staged', 'plans/p1']));
  });

  it.each<[string, string[]]>([
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['lint', '--frobnicate']],
    ['--format nope', ['lint', '--format', 'nope']],
    ['--max-warnings abc', ['lint', '--max-warnings', 'abc']],
    ['--max-warnings without a value', ['lint', '--max-warnings']],
    ['an unknown global option', ['--frobnicate', 'lint']],
  ])('%s → exit 2 with a message on stderr', (_name, args) => {
    const result = runUnchanged(dir, args);
    expectNoCrash(result);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/error|unknown|invalid|missing/i);
  });

  it('a directory that is not a git repository → exit 2, one line mentioning git', () => {
    const plain = mkdtempSync(join(tmpdir(), 'plan-e2e-nogit-'));
    repos.push(plain);
    writeFiles(plain, { [PLAN]: VALID_PLAN, [BACKLOG]: VALID_BACKLOG });
    const result = runUnchanged(plain, ['lint'], { env: { GIT_CEILING_DIRECTORIES: tmpdir() } });
    const line = expectCannotRun(result);
    expect(line).toMatch(/git/);
  });

  it('-C to a missing directory → exit 2', () => {
    const result = runPlan(dir, ['-C', join(dir, 'missing-dir'), 'lint']);
    expectCannotRun(result);
  });
});

describe('plan lint with a broken config (exit 2 naming the file)', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['duplicate keys', 'plans_dir: plans\nrulebook_dir: rulebook\nplans_dir: other\n', 3],
    ['an unknown key', 'plans_dir: plans\nbogus_key: 1\n', 2],
    ['lint: {max_warnings: "x"}', 'plans_dir: plans\nlint: {max_warnings: "x"}\n', 2],
    ['an invalid task_id_pattern regex', 'plans_dir: plans\ntask_id_pattern: "(["\n', 2],
    ['invalid YAML', 'plans_dir: plans\nlint: [\n', undefined],
    ['an alias', 'a: &x plans\nplans_dir: *x\n', undefined],
    ['a top-level list', '- plans_dir\n', undefined],
    ['plans_dir outside the repository', 'lint: {max_warnings: 1}\nplans_dir: ../outside\n', 2],
    ['an absolute plans_dir', 'plans_dir: /etc\n', 1],
    ['rulebook_dir escaping through ..', 'rulebook_dir: rules/../../x\n', 1],
    ['plans_dir at the repository root', 'plans_dir: ./\n', 1],
    ['a max_depth deep enough to exhaust the stack', 'lint:\n  max_depth: 100000\n', 2],
  ];

  it.each(cases)('plan.config.yaml with %s', (_name, text, line) => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG, 'plan.config.yaml': text });
    for (const args of [['lint', '--format', 'json'], ['config', '--print']]) {
      const result = runUnchanged(dir, args);
      const message = expectCannotRun(result);
      expect(message).toContain('plan.config.yaml');
      if (line !== undefined) expect(message, message).toMatch(new RegExp(`plan\\.config\\.yaml:${line}(:\\d+)?: `));
      expect(result.stdout).toBe('');
    }
  });

  it('--config missing.yaml → exit 2 naming missing.yaml', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
    const message = expectCannotRun(runUnchanged(dir, ['--config', 'missing.yaml', 'lint']));
    expect(message).toContain('missing.yaml');
  });

  it('--config pointing at a broken file names it and its line', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG, 'ci/plan.yaml': 'lint:\n  max_warnings: "x"\n' });
    const message = expectCannotRun(runUnchanged(dir, ['--config', 'ci/plan.yaml', 'lint']));
    expect(message).toMatch(/ci\/plan\.yaml:2(:\d+)?: /);
  });
});

describe('plan lint with a broken rulebook override (exit 2 naming the file and line)', () => {
  it('rulebook/governance.yaml with invalid YAML', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG, 'rulebook/governance.yaml': 'version: "1.0.0"\ntags:\n  - name: compliance\n    values: [sox, gdpr\n' });
    const message = expectCannotRun(runUnchanged(dir, ['lint']));
    expect(message).toMatch(/rulebook\/governance\.yaml:\d+(:\d+)?: /);
  });

  it('rulebook/governance.yaml failing its schema', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG, 'rulebook/governance.yaml': 'version: "1.0.0"\ntags:\n  - name: compliance\n    values: 7\n    default: none\n' });
    const message = expectCannotRun(runUnchanged(dir, ['lint']));
    expect(message).toMatch(/rulebook\/governance\.yaml:4(:\d+)?: /);
  });

  it('rulebook/governance.yaml with duplicate keys', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG, 'rulebook/governance.yaml': 'version: "1.0.0"\ntags: []\ntags: []\n' });
    const message = expectCannotRun(runUnchanged(dir, ['lint']));
    expect(message).toMatch(/rulebook\/governance\.yaml:3(:\d+)?: /);
  });

  it('rulebook/governance.yaml as a symlink to /etc/passwd does not print its content', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
    writeFiles(dir, { 'rulebook/.keep': '' });
    symlinkSync('/etc/passwd', join(dir, 'rulebook/governance.yaml'));
    const result = runUnchanged(dir, ['lint']);
    expectNoCrash(result);
    expect(result.stdout + result.stderr).not.toMatch(/root:.*:0:0:/);
    expect(result.code).toBe(2);
  });
});

describe('plan lint on unusual repositories', () => {
  it('an unreadable file (chmod 000) → a finding or exit 2, never a crash', () => {
    if (process.getuid?.() === 0) {
      console.log('skipped: running as root, chmod 000 does not stop reads');
      return;
    }
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
    chmodSync(join(dir, BACKLOG), 0o000);
    const result = runPlan(dir, ['lint', '--format', 'json']);
    chmodSync(join(dir, BACKLOG), 0o644);
    expectNoCrash(result);
    expect([1, 2]).toContain(result.code);
    expect(result.stdout + result.stderr).toContain('be_backlog.yaml');
  });

  it('an empty repository (no commits, no plans) → exit 0, no problems', () => {
    const dir = tempRepo('plan-e2e-empty-');
    repos.push(dir);
    const result = runUnchanged(dir, ['lint']);
    expectNoCrash(result);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/no problems|0 files/);
    const json = runUnchanged(dir, ['lint', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(parseReport(json).summary).toEqual({ files: 0, errors: 0, warnings: 0, infos: 0 });
  });

  it('an empty repository with --staged → exit 0', () => {
    const dir = tempRepo('plan-e2e-empty-');
    repos.push(dir);
    const result = runUnchanged(dir, ['lint', '--staged']);
    expectNoCrash(result);
    expect(result.code, result.stderr).toBe(0);
  });

  it('a detached HEAD lints like any checkout', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
    git(dir, 'checkout', '-q', '--detach', 'HEAD');
    const result = runUnchanged(dir, ['lint', '--format', 'json']);
    expectNoCrash(result);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const staged = runUnchanged(dir, ['lint', '--staged']);
    expect(staged.code, staged.stderr).toBe(0);
  });

  it('a bare repository → exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-e2e-bare-'));
    repos.push(dir);
    git(dir, 'init', '-q', '--bare');
    const result = runUnchanged(dir, ['lint']);
    expectCannotRun(result);
  });

  it('inside .git of a repository → exit 2', () => {
    const dir = repoWith({ [BACKLOG]: VALID_BACKLOG });
    const result = runPlan(join(dir, '.git'), ['lint']);
    expectCannotRun(result);
  });

  it('from a subdirectory, paths are relative to where plan runs', () => {
    const dir = repoWith({ [BACKLOG]: `${VALID_BACKLOG}  - id: P1-003\n    title: "Third"\n    dependencies: ["P1-999"]\n` });
    const result = runUnchanged(join(dir, 'plans'), ['lint', 'p1', '--format', 'json']);
    expectNoCrash(result);
    expect(result.code).toBe(1);
    expect(parseReport(result).findings.map((f) => `${f.rule}@${f.file}:${f.line}`)).toEqual([`ref/unknown-dependency@${BACKLOG}:11`]);
  });
});
