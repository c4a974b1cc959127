/**
 * The lint contract on good data, driven through bin/plan.js in real temporary repositories:
 * the seed lints clean, each rule fires where it should (file, line, column), suppressions,
 * --staged, path scoping, formats, config severities, and the init/new/config commands around it.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git, PROJECT_ROOT, readText, removeRepo, runPlan, seedRepo, tempRepo, writeFiles } from '../helpers.js';
import { backlogYaml, expectNoCrash, lineOf, oneErrorLine, parseReport, planYaml, runUnchanged, stripAnsi, treeHash, type JsonFinding, type JsonLintReport } from './support.js';

const SEED_DIR = 'plans/seed-backend';
const SEED_BACKLOG = `${SEED_DIR}/be_backlog.yaml`;
const SEED_PLAN = `${SEED_DIR}/plan.yaml`;
const SEED_MAP = `${SEED_DIR}/story_map.md`;

const repos: string[] = [];
afterAll(() => {
  for (const dir of repos) removeRepo(dir);
});

function seed(): string {
  const dir = seedRepo();
  repos.push(dir);
  return dir;
}

function repo(files: Record<string, string> = {}): string {
  const dir = tempRepo('plan-e2e-lint-');
  repos.push(dir);
  writeFiles(dir, files);
  return dir;
}

/** `plan lint --format json [args]`, checked for crashes and for leaving the tree alone. */
function lintJson(dir: string, args: string[] = []): { code: number; report: JsonLintReport; stderr: string } {
  const result = runUnchanged(dir, ['lint', '--format', 'json', ...args]);
  expectNoCrash(result);
  return { code: result.code, report: parseReport(result), stderr: result.stderr };
}

function only(report: JsonLintReport, rule: string): JsonFinding[] {
  return report.findings.filter((f) => f.rule === rule);
}

function summary(report: JsonLintReport): string {
  return report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule} ${f.message}`).join('\n');
}

/** Replaces `from` (which must occur exactly once) in a repository file. */
function edit(dir: string, path: string, from: string, to: string): void {
  const text = readText(dir, path);
  expect(text.split(from).length - 1, `"${from}" should occur once in ${path}`).toBe(1);
  writeFileSync(join(dir, path), text.replace(from, to));
}

/** The 1-based column of `needle` on a line, for checking where a finding points. */
function columnOf(dir: string, path: string, line: number, needle: string): number {
  const index = lineOf(join(dir, path), line).indexOf(needle);
  expect(index, `"${needle}" not on ${path}:${line}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('the seed plan', () => {
  it('lints clean: exit 0, no findings in --format json', () => {
    const dir = seed();
    const { code, report, stderr } = lintJson(dir);
    expect(code, summary(report) + stderr).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.summary).toEqual({ files: 3, errors: 0, warnings: 0, infos: 0 });
    const stylish = runUnchanged(dir, ['lint']);
    expect(stylish.code).toBe(0);
    expect(stripAnsi(stylish.stdout)).toMatch(/3 files checked, no problems/);
  });
});

describe('dependencies', () => {
  it('a cycle PLN-BE-001 → PLN-BE-002 → PLN-BE-001 is reported at the dependency entry', () => {
    const dir = seed();
    edit(dir, SEED_BACKLOG, 'dependencies: []', 'dependencies: ["PLN-BE-002"]');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const cycles = only(report, 'deps/cycle');
    expect(cycles, summary(report)).toHaveLength(1);
    const f = cycles[0]!;
    expect(f.message).toContain('PLN-BE-001 → PLN-BE-002 → PLN-BE-001');
    expect(f.file).toBe(SEED_BACKLOG);
    expect(f.severity).toBe('error');
    expect(lineOf(join(dir, SEED_BACKLOG), f.line!)).toContain('PLN-BE-002');
    expect(lineOf(join(dir, SEED_BACKLOG), f.line!)).toContain('dependencies');
    expect(f.column).toBe(columnOf(dir, SEED_BACKLOG, f.line!, '"PLN-BE-002"'));
    // and the stylish report prints the same cycle
    const stylish = stripAnsi(runUnchanged(dir, ['lint']).stdout);
    expect(stylish).toContain(`${f.line}:${f.column}`);
    expect(stylish).toContain('PLN-BE-001 → PLN-BE-002 → PLN-BE-001');
  });

  it('a self-dependency is a cycle', () => {
    const dir = seed();
    edit(dir, SEED_BACKLOG, 'dependencies: []', 'dependencies: ["PLN-BE-001"]');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    expect(only(report, 'deps/cycle').map((f) => f.message)).toEqual([expect.stringContaining('PLN-BE-001 → PLN-BE-001')]);
  });

  describe('across plans', () => {
    let dir: string;
    beforeAll(() => {
      dir = seed();
      writeFiles(dir, { 'plans/p2/plan.yaml': planYaml('p2') });
    });

    it('a dependency on a task in another plan resolves', () => {
      writeFiles(dir, { 'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', ['PLN-BE-002']]]) });
      const { code, report } = lintJson(dir);
      expect(code, summary(report)).toBe(0);
      expect(report.findings).toEqual([]);
    });

    it('a dependency on a task that exists nowhere fails with a did-you-mean hint (typo of another plan\'s task)', () => {
      writeFiles(dir, { 'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', ['PLN-BE-0002']]]) });
      const { code, report } = lintJson(dir);
      expect(code).toBe(1);
      const f = only(report, 'ref/unknown-dependency');
      expect(f, summary(report)).toHaveLength(1);
      expect(f[0]!.file).toBe('plans/p2/be_backlog.yaml');
      expect(lineOf(join(dir, 'plans/p2/be_backlog.yaml'), f[0]!.line!)).toContain('PLN-BE-0002');
      expect(f[0]!.message).toContain('PLN-BE-0002');
      expect(f[0]!.message).toMatch(/did you mean "PLN-BE-002"/);
    });

    it('a typo of a task in the same plan gets a did-you-mean hint', () => {
      writeFiles(dir, { 'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', []], ['P2-002', ['P2-01']]]) });
      const { code, report } = lintJson(dir);
      expect(code).toBe(1);
      const f = only(report, 'ref/unknown-dependency');
      expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/unknown task "P2-01".*did you mean "P2-001"/)]);
    });
  });

  it('a chain of 7 tasks is deeper than max_dependency_depth 5 (deps/max-depth)', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `P1-00${i + 1}`);
    const dir = repo({ 'plans/p1/plan.yaml': planYaml('p1'), 'plans/p1/be_backlog.yaml': backlogYaml(ids.map((id, i) => [id, i === 0 ? [] : [ids[i - 1]!]])) });
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const f = only(report, 'deps/max-depth');
    expect(f, summary(report)).toHaveLength(1);
    expect(f[0]!.message).toContain('P1-007');
    expect(f[0]!.file).toBe('plans/p1/be_backlog.yaml');
    expect(f[0]!.line).toBeGreaterThanOrEqual(1);
  });

  it('a chain of 6 tasks (depth 5) is within the limit', () => {
    const ids = Array.from({ length: 6 }, (_, i) => `P1-00${i + 1}`);
    const dir = repo({ 'plans/p1/plan.yaml': planYaml('p1'), 'plans/p1/be_backlog.yaml': backlogYaml(ids.map((id, i) => [id, i === 0 ? [] : [ids[i - 1]!]])) });
    const { code, report } = lintJson(dir);
    expect(code, summary(report)).toBe(0);
  });

  it('a task id used in two plans is ref/duplicate-task in both', () => {
    const dir = seed();
    writeFiles(dir, { 'plans/p2/plan.yaml': planYaml('p2'), 'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', []], ['PLN-BE-002', []]]) });
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const f = only(report, 'ref/duplicate-task');
    expect(f.map((x) => x.file).sort(), summary(report)).toEqual(['plans/p2/be_backlog.yaml', SEED_BACKLOG]);
    for (const x of f) {
      expect(x.message).toContain('PLN-BE-002');
      expect(lineOf(join(dir, x.file!), x.line!)).toContain('PLN-BE-002');
    }
  });
});

describe('story map references', () => {
  it('an unknown task id is ref/unknown-story-task at its line:column', () => {
    const dir = seed();
    edit(dir, SEED_MAP, '- Basic event publishing\n', '- Basic event publishing (PLN-BE-001)\n- Bus monitoring (`PLN-BE-001`, PLN-BE-404)\n');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const f = only(report, 'ref/unknown-story-task');
    expect(f, summary(report)).toHaveLength(1);
    expect(f[0]!.file).toBe(SEED_MAP);
    expect(f[0]!.message).toContain('PLN-BE-404');
    expect(lineOf(join(dir, SEED_MAP), f[0]!.line!)).toContain('PLN-BE-404');
    expect(f[0]!.column).toBe(columnOf(dir, SEED_MAP, f[0]!.line!, 'PLN-BE-404'));
  });

  it('an unknown id in inline code is located at the id, not the backtick', () => {
    const dir = seed();
    edit(dir, SEED_MAP, '- State persistence\n', '- State persistence `PLN-BE-405`\n');
    const { report } = lintJson(dir);
    const f = only(report, 'ref/unknown-story-task');
    expect(f, summary(report)).toHaveLength(1);
    expect(f[0]!.column).toBe(columnOf(dir, SEED_MAP, f[0]!.line!, 'PLN-BE-405'));
  });
});

describe('governance tags', () => {
  it('criticality: 7 is governance/tag-value at the value', () => {
    const dir = seed();
    edit(dir, SEED_PLAN, 'criticality: 1', 'criticality: 7');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const f = only(report, 'governance/tag-value');
    expect(f, summary(report)).toHaveLength(1);
    expect(f[0]!.file).toBe(SEED_PLAN);
    expect(lineOf(join(dir, SEED_PLAN), f[0]!.line!)).toContain('criticality: 7');
    expect(f[0]!.column).toBe(columnOf(dir, SEED_PLAN, f[0]!.line!, '7'));
  });

  it('an unknown tag is a governance/unknown-tag warning: exit 0, or 1 with --max-warnings 0', () => {
    const dir = seed();
    edit(dir, SEED_PLAN, '  criticality: 1\n', '  criticality: 1\n  colour: blue\n');
    const { code, report } = lintJson(dir);
    expect(code, summary(report)).toBe(0);
    const f = only(report, 'governance/unknown-tag');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(lineOf(join(dir, SEED_PLAN), f[0]!.line!)).toContain('colour');
    expect(lintJson(dir, ['--max-warnings', '0']).code).toBe(1);
    expect(lintJson(dir, ['--max-warnings', '1']).code).toBe(0);
  });
});

describe('suppressions', () => {
  const cycle = (dir: string, comment?: string): void => {
    edit(dir, SEED_BACKLOG, '    dependencies: []\n', `${comment ? `    ${comment}\n` : ''}    dependencies: ["PLN-BE-002"]\n`);
  };

  it('# plan-disable-next-line deps/cycle -- reason silences the cycle', () => {
    const dir = seed();
    cycle(dir, '# plan-disable-next-line deps/cycle -- accepted for the demo');
    const { code, report } = lintJson(dir);
    expect(code, summary(report)).toBe(0);
    expect(report.findings).toEqual([]);
  });

  it('a suppression without " -- reason" is suppress/missing-reason', () => {
    const dir = seed();
    cycle(dir, '# plan-disable-next-line deps/cycle');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    const f = only(report, 'suppress/missing-reason');
    expect(f, summary(report)).toHaveLength(1);
    expect(lineOf(join(dir, SEED_BACKLOG), f[0]!.line!)).toContain('plan-disable-next-line');
  });

  it('a suppression that silences nothing is suppress/unused', () => {
    const dir = seed();
    edit(dir, SEED_BACKLOG, '    dependencies: []\n', '    # plan-disable-next-line deps/cycle -- nothing to hide\n    dependencies: []\n');
    const { report } = lintJson(dir);
    const f = only(report, 'suppress/unused');
    expect(f, summary(report)).toHaveLength(1);
    expect(f[0]!.severity).toBe('warning');
    expect(lineOf(join(dir, SEED_BACKLOG), f[0]!.line!)).toContain('plan-disable-next-line');
  });

  it('a suppression of another rule leaves the cycle reported', () => {
    const dir = seed();
    cycle(dir, '# plan-disable-next-line yaml/truthy -- wrong rule');
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    expect(only(report, 'deps/cycle')).toHaveLength(1);
    expect(only(report, 'suppress/unused')).toHaveLength(1);
  });
});

describe('--staged', () => {
  it('reads the git index, not the work tree', () => {
    const dir = seed();
    commitAll(dir, 'seed');
    const original = readText(dir, SEED_BACKLOG);
    // Stage a backlog with an unknown dependency on line 21 of the staged version...
    const broken = original.replace('dependencies: ["PLN-BE-001"]', 'dependencies: ["PLN-BE-001", "PLN-BE-999"]');
    writeFileSync(join(dir, SEED_BACKLOG), broken);
    git(dir, 'add', SEED_BACKLOG);
    const stagedLine = broken.split('\n').findIndex((l) => l.includes('PLN-BE-999')) + 1;
    // ...then fix it in the work tree only, shifting lines so a work-tree read would be visible.
    writeFileSync(join(dir, SEED_BACKLOG), `# fixed locally\n# not staged yet\n${original}`);

    const staged = lintJson(dir, ['--staged']);
    expect(staged.code, summary(staged.report)).toBe(1);
    const f = only(staged.report, 'ref/unknown-dependency');
    expect(f).toHaveLength(1);
    expect(f[0]!.file).toBe(SEED_BACKLOG);
    expect(f[0]!.line).toBe(stagedLine);

    const worktree = lintJson(dir);
    expect(worktree.code, summary(worktree.report)).toBe(0);
  });

  it('exits 0 when nothing under plans/ is staged, even if the committed plans are broken', () => {
    const dir = seed();
    edit(dir, SEED_BACKLOG, 'dependencies: []', 'dependencies: ["PLN-BE-002"]');
    commitAll(dir, 'broken on purpose');
    expect(lintJson(dir).code).toBe(1);
    writeFiles(dir, { 'README.md': '# readme\n' });
    git(dir, 'add', 'README.md');
    const staged = lintJson(dir, ['--staged']);
    expect(staged.code, summary(staged.report)).toBe(0);
    expect(staged.report.findings).toEqual([]);
  });

  it('a staged plan that depends on a committed task in another plan resolves', () => {
    const dir = seed();
    commitAll(dir, 'seed');
    writeFiles(dir, { 'plans/p2/plan.yaml': planYaml('p2'), 'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', ['PLN-BE-001']]]) });
    git(dir, 'add', 'plans/p2');
    const staged = lintJson(dir, ['--staged']);
    expect(staged.code, summary(staged.report)).toBe(0);
    expect(staged.report.summary.files).toBe(2);
  });
});

describe('path arguments', () => {
  it('plan lint plans/p2 reports only p2 while p1 is broken', () => {
    const dir = repo({
      'plans/p1/plan.yaml': planYaml('p1'),
      'plans/p1/be_backlog.yaml': backlogYaml([['P1-001', ['P1-404']]]),
      'plans/p2/plan.yaml': planYaml('p2'),
      'plans/p2/be_backlog.yaml': backlogYaml([['P2-001', ['P1-001', 'P2-404']]]),
    });
    const all = lintJson(dir);
    expect(new Set(all.report.findings.map((f) => f.file))).toEqual(new Set(['plans/p1/be_backlog.yaml', 'plans/p2/be_backlog.yaml']));
    const p2 = lintJson(dir, ['plans/p2']);
    expect(p2.code).toBe(1);
    expect(p2.report.findings.length, summary(p2.report)).toBeGreaterThan(0);
    for (const f of p2.report.findings) expect(f.file).toMatch(/^plans\/p2\//);
    expect(p2.report.findings.map((f) => f.message).join('\n')).toContain('P2-404');
    expect(p2.report.summary.files).toBe(2);
    // a single file as the path
    const file = lintJson(dir, ['plans/p2/be_backlog.yaml']);
    expect(file.report.findings.map((f) => f.file)).toEqual(['plans/p2/be_backlog.yaml']);
    // a clean plan on its own
    const p1Clean = repo({ 'plans/p1/plan.yaml': planYaml('p1'), 'plans/p1/be_backlog.yaml': backlogYaml([['P1-001', []]]), 'plans/p2/plan.yaml': 'id: p2\n' });
    expect(lintJson(p1Clean, ['plans/p1']).code).toBe(0);
  });
});

describe('formats', () => {
  let dir: string;
  beforeAll(() => {
    dir = seed();
    edit(dir, SEED_BACKLOG, 'dependencies: []', 'dependencies: ["PLN-BE-002"]');
  });

  it('stylish', () => {
    const r = runUnchanged(dir, ['lint', '--format', 'stylish']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    const out = stripAnsi(r.stdout);
    expect(out).toContain(SEED_BACKLOG);
    expect(out).toMatch(/^\s+10:20\s+error\s+dependency cycle: .*deps\/cycle$/m);
    expect(out).toMatch(/✖ 1 problem \(1 error, 0 warnings, 0 infos\)/);
  });

  it('json', () => {
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    expect(report.version).toBe(1);
    expect(report.summary.errors).toBe(1);
  });

  it('sarif', () => {
    const r = runUnchanged(dir, ['lint', '--format', 'sarif']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }> }> }> };
    expect(log.version).toBe('2.1.0');
    const result = log.runs[0]!.results.find((x) => x.ruleId === 'deps/cycle')!;
    expect(result).toBeDefined();
    expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toBe(SEED_BACKLOG);
    expect(result.locations[0]!.physicalLocation.region).toMatchObject({ startLine: 10, startColumn: 20 });
  });

  it('junit', () => {
    const r = runUnchanged(dir, ['lint', '--format', 'junit']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml /);
    expect(r.stdout).toContain('<testsuites');
    expect(r.stdout).toContain('<failure');
    expect(r.stdout).toContain('deps/cycle');
  });

  it('github', () => {
    const r = runUnchanged(dir, ['lint', '--format', 'github']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^::error file=${SEED_BACKLOG},line=10,col=20,.*title=deps/cycle::dependency cycle`, 'm'));
  });

  it('GITHUB_ACTIONS=true picks the github format by default', () => {
    const r = runUnchanged(dir, ['lint'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error /m);
  });

  it('-o FILE writes the report to the file, not stdout', () => {
    const out = mkdtempSync(join(tmpdir(), 'plan-e2e-out-'));
    repos.push(out);
    const target = join(out, 'report.sarif');
    const r = runUnchanged(dir, ['lint', '--format', 'sarif', '-o', target]);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect((JSON.parse(readFileSync(target, 'utf8')) as { version: string }).version).toBe('2.1.0');
  });

  it('-o with a relative path writes relative to where plan runs', () => {
    const r = runPlan(dir, ['lint', '--format', 'json', '-o', 'lint-report.json']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const report = JSON.parse(readFileSync(join(dir, 'lint-report.json'), 'utf8')) as JsonLintReport;
    expect(report.findings.map((f) => f.rule)).toEqual(['deps/cycle']);
    removeRepo(join(dir, 'lint-report.json'));
  });

  it('NO_COLOR=1 (FORCE_COLOR unset) prints no ANSI escapes', () => {
    const r = runPlan(dir, ['lint'], { env: { NO_COLOR: '1', FORCE_COLOR: undefined } as unknown as Record<string, string> });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('--no-color prints no ANSI escapes', () => {
    const r = runPlan(dir, ['--no-color', 'lint']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });
});

describe('config lint.rules', () => {
  const truthyBacklog = `version: "1.0.0"\ntasks:\n  - id: P1-001\n    title: "Flagged"\n    x-urgent: yes\n    dependencies: []\n  - id: P1-002\n    title: "Second"\n    dependencies: ["P1-003"]\n  - id: P1-003\n    title: "Third"\n    dependencies: ["P1-002"]\n`;

  it('without config: a yaml/truthy warning and a deps/cycle error', () => {
    const dir = repo({ 'plans/p1/plan.yaml': planYaml('p1'), 'plans/p1/be_backlog.yaml': truthyBacklog });
    const { code, report } = lintJson(dir);
    expect(code).toBe(1);
    expect(only(report, 'yaml/truthy').map((f) => [f.severity, f.line])).toEqual([['warning', 5]]);
    expect(only(report, 'deps/cycle').map((f) => f.severity)).toEqual(['error']);
  });

  it('yaml/truthy: off silences it; deps/cycle: warning downgrades the cycle', () => {
    const dir = repo({
      'plans/p1/plan.yaml': planYaml('p1'),
      'plans/p1/be_backlog.yaml': truthyBacklog,
      'plan.config.yaml': 'lint:\n  rules:\n    yaml/truthy: "off"\n    deps/cycle: warning\n',
    });
    const { code, report } = lintJson(dir);
    expect(only(report, 'yaml/truthy')).toEqual([]);
    expect(only(report, 'deps/cycle').map((f) => f.severity), summary(report)).toEqual(['warning']);
    expect(code, summary(report)).toBe(0);
    expect(lintJson(dir, ['--max-warnings', '0']).code).toBe(1);
  });

  it('an unquoted off (YAML 1.2 string) also silences the rule', () => {
    const dir = repo({
      'plans/p1/plan.yaml': planYaml('p1'),
      'plans/p1/be_backlog.yaml': truthyBacklog,
      'plan.config.yaml': 'lint:\n  rules:\n    yaml/truthy: off\n',
    });
    const { report } = lintJson(dir);
    expect(only(report, 'yaml/truthy')).toEqual([]);
  });

  it('lint.max_warnings in config fails on warnings; --max-warnings overrides it', () => {
    const dir = repo({ 'plans/p1/plan.yaml': planYaml('p1'), 'plans/p1/be_backlog.yaml': truthyBacklog.replace('["P1-002"]', '[]'), 'plan.config.yaml': 'lint:\n  max_warnings: 0\n' });
    expect(lintJson(dir).code).toBe(1);
    expect(lintJson(dir, ['--max-warnings', '5']).code).toBe(0);
  });
});

describe('plan init', () => {
  let dir: string;
  let first: ReturnType<typeof runPlan>;
  beforeAll(() => {
    dir = seed();
    writeFiles(dir, { '.gitattributes': '*.png binary\n.plan/events/*.jsonl merge=union\n' });
    commitAll(dir, 'seed');
    first = runPlan(dir, ['init']);
  });

  it('sets the repository up', () => {
    expectNoCrash(first);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(dir, 'plan.config.yaml'))).toBe(true);
    expect(existsSync(join(dir, '.plan/state.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'rulebook/governance.yaml'))).toBe(true);
  });

  it('adds the merge=union lines to .gitattributes without duplicating existing ones', () => {
    const lines = readText(dir, '.gitattributes').split('\n').filter(Boolean);
    expect(lines.filter((l) => l === '.plan/events/*.jsonl merge=union')).toHaveLength(1);
    expect(lines.filter((l) => l === '.plan/approvals/*.jsonl merge=union')).toHaveLength(1);
    expect(lines).toContain('*.png binary');
  });

  it('adds a yaml-language-server modeline to existing plan files, pointing at a schema that exists', () => {
    for (const [file, schema] of [[SEED_PLAN, 'plan.schema.json'], [SEED_BACKLOG, 'be_backlog.schema.json']] as const) {
      const firstLine = readText(dir, file).split('\n')[0]!;
      expect(firstLine).toMatch(/^# yaml-language-server: \$schema=/);
      const ref = firstLine.slice(firstLine.indexOf('=') + 1);
      expect(ref.endsWith(schema)).toBe(true);
      expect(existsSync(resolve(dirname(join(dir, file)), ref)), `${file} → ${ref}`).toBe(true);
    }
    expect(readText(dir, SEED_MAP)).not.toContain('yaml-language-server');
  });

  it('the initialised repository still lints clean', () => {
    const { code, report } = lintJson(dir);
    expect(code, summary(report)).toBe(0);
    expect(report.findings).toEqual([]);
  });

  it('a second run reports nothing changed and leaves the tree as it was', () => {
    const before = treeHash(dir);
    const second = runUnchanged(dir, ['init']);
    expectNoCrash(second);
    expect(second.code).toBe(0);
    expect(stripAnsi(second.stdout)).toMatch(/nothing changed/);
    expect(treeHash(dir)).toEqual(before);
    const json = runUnchanged(dir, ['init', '--json']);
    const changes = (JSON.parse(json.stdout) as { changes: Array<{ action: string }> }).changes;
    expect(changes.filter((c) => c.action !== 'unchanged')).toEqual([]);
  });
});

describe('plan new', () => {
  let dir: string;
  beforeAll(() => {
    dir = repo();
    writeFiles(dir, { 'README.md': '# r\n' });
    commitAll(dir, 'root');
  });

  it('plan new demo --title T --tag criticality=0 creates three files; only governance (critical_zero) has something to say', () => {
    const r = runPlan(dir, ['new', 'demo', '--title', 'T', '--tag', 'criticality=0']);
    expectNoCrash(r);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['plan.yaml', 'be_backlog.yaml', 'story_map.md']) expect(existsSync(join(dir, 'plans/demo', f)), f).toBe(true);
    expect(readText(dir, 'plans/demo/plan.yaml')).toMatch(/criticality: 0/);
    expect(readText(dir, 'plans/demo/plan.yaml')).toMatch(/title: "T"/);
    const { code, report } = lintJson(dir);
    expect(code, summary(report)).toBe(1);
    // a critical plan needs approvals, a review board, an emergency contact and a rollback plan
    expect(new Set(report.findings.map((f) => f.rule))).toEqual(new Set(['governance/critical_zero']));
    expect(report.summary.files).toBe(3);
  });

  it('plan new demo again → exit 2, the existing plan untouched', () => {
    const r = runUnchanged(dir, ['new', 'demo']);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(/^plan: .*demo/);
  });

  it('--tag nope=1 → exit 2, nothing created', () => {
    const r = runUnchanged(dir, ['new', 'other', '--tag', 'nope=1']);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(/^plan: .*nope/);
    expect(existsSync(join(dir, 'plans/other'))).toBe(false);
  });

  it('--tag criticality=9 (a value governance does not allow) → exit 2', () => {
    const r = runUnchanged(dir, ['new', 'other', '--tag', 'criticality=9']);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(/^plan: .*criticality/);
  });

  it.each(['../x', '/tmp/x', '.hidden', 'a/b', ''])('plan new %j → exit 2, nothing created', (id) => {
    const r = runUnchanged(dir, ['new', id]);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(oneErrorLine(r)).toMatch(/^plan: /);
  });
});

describe('plan config', () => {
  let dir: string;
  beforeAll(() => {
    dir = repo({ 'plan.config.yaml': 'plans_dir: plans\nlint:\n  max_warnings: 3\n' });
  });

  it('--print shows each key with its origin', () => {
    const r = runUnchanged(dir, ['config', '--print']);
    expectNoCrash(r);
    expect(r.code).toBe(0);
    const out = stripAnsi(r.stdout);
    expect(out).toMatch(/# from plan\.config\.yaml\nplans_dir: plans/);
    expect(out).toMatch(/# from plan\.config\.yaml[^\n]*\nlint:\n(\s+.*\n)*?\s+max_warnings: 3/);
    expect(out).toMatch(/# from default\nrulebook_dir: rulebook/);
    expect(out).toMatch(/# from default\ntask_id_pattern: /);
  });

  it('--json parses and carries config and origins', () => {
    const r = runUnchanged(dir, ['config', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { config: { plans_dir: string; lint: { max_warnings: number; max_depth: number } }; origin: Record<string, string>; file?: string };
    expect(parsed.config.plans_dir).toBe('plans');
    expect(parsed.config.lint.max_warnings).toBe(3);
    expect(parsed.config.lint.max_depth).toBe(64);
    expect(parsed.origin['plans_dir']).toBe('plan.config.yaml');
    expect(parsed.origin['rulebook_dir']).toBe('default');
    expect(parsed.file).toBe('plan.config.yaml');
  });

  it('without a config file every origin is default', () => {
    const bare = repo();
    const r = runUnchanged(bare, ['config', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { origin: Record<string, string> };
    expect(new Set(Object.values(parsed.origin))).toEqual(new Set(['default']));
  });
});

describe('version and help', () => {
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it('plan --version prints the package.json version', () => {
    const dir = repo();
    for (const args of [['--version'], ['-V'], ['--no-color', '--version']]) {
      const r = runPlan(dir, args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout.trim(), args.join(' ')).toBe(version);
    }
  });

  it('plan lint --help contains Examples: and exits 0', () => {
    const r = runPlan(tmpdir(), ['lint', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--staged');
  });

  it('plan --help lists the commands and exits 0', () => {
    const r = runPlan(tmpdir(), ['--help']);
    expect(r.code).toBe(0);
    for (const command of ['init', 'new', 'lint', 'config']) expect(r.stdout).toContain(command);
  });
});
