import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { beyondLimits, escapeData, escapeProperty, github } from '../../src/report/github.js';
import { checkAnnotation, readGithubReport, runnerParse, type WorkflowCommand } from '../fixtures/ci/workflow-commands.js';
import { removeRepo, runPlan, tempRepo, writeFiles } from '../helpers.js';
import { FINDINGS, report } from './fixture.js';

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** A line as the runner reads it, and only if it is a clean annotation. */
function parseCommand(line: string): WorkflowCommand | undefined {
  const parsed = runnerParse(line);
  if (parsed) expect(checkAnnotation(line)).toEqual([]);
  return parsed;
}

function lines(findings: Finding[]): string[] {
  const out = github(report(findings), { color: false });
  expect(out.endsWith('\n')).toBe(true);
  return out.slice(0, -1).split('\n');
}

describe('github', () => {
  it.each([
    ['plain', 'plain', 'plain'],
    ['100%', '100%25', '100%25'],
    ['a\r\nb', 'a%0D%0Ab', 'a%0D%0Ab'],
    ['a:b,c', 'a:b,c', 'a%3Ab%2Cc'],
    ['%0A literal', '%250A literal', '%250A literal'],
  ])('escapes %j as data %s and as a property %s', (raw, data, property) => {
    expect(escapeData(raw)).toBe(data);
    expect(escapeProperty(raw)).toBe(property);
    expect(unescapeData(escapeData(raw))).toBe(raw);
    expect(unescapeProperty(escapeProperty(raw))).toBe(raw);
  });

  it.each<[string, Finding]>([
    ['special characters everywhere', { rule: 'r:x,y', severity: 'error', message: 'bad: 50%, a,b\r\nnext ::line', file: 'dir,1/a:b%.yaml', line: 2, column: 3, endLine: 2, endColumn: 5 }],
    ['a range over lines (the runner drops columns there)', { rule: 'deps/cycle', severity: 'error', message: '%0A stays literal', file: 'a.yaml', line: 2, endLine: 4 }],
    ['no position', { rule: 'yaml/tabs', severity: 'warning', message: 'tabs', file: 'plans/x.yaml' }],
    ['no file', { rule: 'coverage/min', severity: 'info', message: 'multi\nline' }],
  ])('round-trips a finding: %s', (_name, f) => {
    const [line, summary] = lines([f]);
    expect(line).not.toMatch(/[\r\n]/);
    const parsed = parseCommand(line!);
    const expected: Record<string, string> = {};
    if (f.file) expected.file = f.file;
    if (f.line !== undefined) expected.line = String(f.line);
    if (f.column !== undefined) expected.col = String(f.column);
    if (f.endLine !== undefined) expected.endLine = String(f.endLine);
    if (f.endColumn !== undefined) expected.endColumn = String(f.endColumn);
    expected.title = f.rule;
    expect(parsed).toEqual({
      command: { error: 'error', warning: 'warning', info: 'notice' }[f.severity],
      properties: expected,
      message: f.message,
    });
    expect(parseCommand(summary!)).toBeUndefined();
  });

  it('writes exactly the expected commands for the fixture', () => {
    expect(lines(FINDINGS)).toEqual([
      '::error file=my plans/q&a #1.yaml,line=1,col=1,title=deps/cycle::cycle in file with space',
      '::error file=plans/a.yaml,title=schema/unknown::file-level, no line',
      '::error file=plans/a.yaml,line=3,col=5,endLine=3,endColumn=12,title=deps/cycle::cycle: a -> b -> a',
      '::warning file=plans/b.yaml,line=7,title=yaml/trailing-space::trailing space',
      '::warning file=plans/c.yaml,title=yaml/trailing-space::bad line numbers are dropped',
      '::notice title=coverage/min::coverage 80%25 >= 75%25',
      'plan: 3 errors, 2 warnings, 1 info',
    ]);
  });

  it('orders errors, then warnings, then notices, by file and line within each', () => {
    const mixed: Finding[] = [
      { rule: 'r', severity: 'info', message: 'i1', file: 'a', line: 1 },
      { rule: 'r', severity: 'warning', message: 'w2', file: 'b', line: 1 },
      { rule: 'r', severity: 'error', message: 'e3', file: 'b', line: 9 },
      { rule: 'r', severity: 'warning', message: 'w1', file: 'a', line: 5 },
      { rule: 'r', severity: 'error', message: 'e2', file: 'b', line: 2 },
      { rule: 'r', severity: 'error', message: 'e1', file: 'a', line: 7 },
    ];
    const commands = lines(mixed).map(parseCommand).filter((c) => c !== undefined);
    expect(commands.map((c) => `${c.command}:${c.message}`)).toEqual([
      'error:e1', 'error:e2', 'error:e3', 'warning:w1', 'warning:w2', 'notice:i1',
    ]);
  });

  it('emits every finding past the annotation limits, then the summary', () => {
    const many: Finding[] = Array.from({ length: 60 }, (_, i) => ({ rule: 'r', severity: 'error', message: `e${i}`, file: 'a', line: i + 1 }));
    const out = lines(many);
    expect(out).toHaveLength(62);
    expect(out.at(-2)).toBe('plan: 60 errors, 0 warnings, 0 infos');
    expect(out.at(-1)).toBe("plan: 50 errors beyond GitHub's annotation limits are in the full report (--format sarif)");
  });

  it('prints only the summary when there is nothing to report', () => {
    expect(lines([])).toEqual(['plan: 0 errors, 0 warnings, 0 infos']);
  });

  it.each<[string, Partial<Finding>, string]>([
    ['one line, columns kept', { line: 3, column: 5, endLine: 3, endColumn: 9 }, 'line=3,col=5,endLine=3,endColumn=9'],
    ['several lines: columns dropped', { line: 3, column: 5, endLine: 6, endColumn: 2 }, 'line=3,endLine=6'],
    ['end before start: end dropped', { line: 7, column: 5, endLine: 6, endColumn: 2 }, 'line=7,col=5'],
    ['end column before column: end column dropped', { line: 7, column: 5, endLine: 7, endColumn: 2 }, 'line=7,col=5,endLine=7'],
    ['an end column without a column', { line: 7, endColumn: 2 }, 'line=7'],
    ['columns without a line', { column: 4, endColumn: 8 }, ''],
  ])('writes only positions the runner keeps: %s', (_name, where, expected) => {
    const [line] = lines([{ rule: 'r', severity: 'warning', message: 'm', file: 'a.yaml', ...where }]);
    expect(line).toBe(`::warning file=a.yaml${expected ? `,${expected}` : ''},title=r::m`);
    expect(checkAnnotation(line!)).toEqual([]);
  });

  it.each([
    ['12 errors', { error: 12, warning: 0, info: 0 }, '2 errors'],
    ['10 of each', { error: 10, warning: 10, info: 10 }, undefined],
    ['11 warnings and 11 notices', { error: 0, warning: 11, info: 11 }, '1 warning and 1 notice'],
    ['13 errors, 22 warnings, 10 notices', { error: 13, warning: 22, info: 10 }, '3 errors and 12 warnings'],
    ['1 notice over', { error: 0, warning: 0, info: 11 }, '1 notice'],
  ] as const)('counts what GitHub cuts: %s', (_name, counts, hidden) => {
    const many: Finding[] = (['error', 'warning', 'info'] as const).flatMap((severity) =>
      Array.from({ length: counts[severity] }, (_, i) => ({ rule: 'r', severity, message: `${severity} ${i}`, file: 'a.yaml', line: i + 1 })),
    );
    const out = lines(many);
    const total = counts.error + counts.warning + counts.info;
    expect(out.slice(0, total).every((l) => checkAnnotation(l).length === 0)).toBe(true);
    const tail = out.slice(total);
    if (hidden === undefined) expect(tail).toHaveLength(1);
    else expect(tail[1]).toBe(`plan: ${hidden} beyond GitHub's annotation limits ${hidden.startsWith('1 ') && !hidden.includes(' and ') ? 'is' : 'are'} in the full report (--format sarif)`);
  });

  it('the job limit of 50 counts too, whatever the kinds', () => {
    const sorted: Finding[] = (['error', 'warning', 'info'] as const).flatMap((severity) => Array.from({ length: 30 }, () => ({ rule: 'r', severity, message: 'm' })));
    // 10 of each kind are shown (30 < 50): the per-step limits bind first.
    expect(beyondLimits(sorted)).toEqual({ error: 20, warning: 20, info: 20 });
  });
});

describe('the strict workflow-command reader is not vacuous', () => {
  it.each([
    ['::error file=a.yaml,line=1,title=r::message', []],
    ['::notice title=r::100%25 done%0Anext', []],
    ['::warning file=a%2Cb%3Ac.yaml,line=2,col=3,endLine=2,endColumn=4,title=yaml/x::m', []],
    ['::error file=a.yaml,line=1,foo=bar::m', ['unknown property "foo"']],
    ['::error file=a.yaml,line=1,line=2::m', ['property "line" twice']],
    ['::error file=a.yaml,,line=1::m', ['empty property entry']],
    ['::error file=a,b.yaml::m', ['"b.yaml" is not key=value']],
    ['::error file=a:b.yaml::m', ['property file is not canonically escaped: a:b.yaml']],
    ['::error title=r::50% done', ['message is not canonically escaped: 50% done']],
    ['::error file=a.yaml,line=0::m', ['line=0 is not a positive integer']],
    ['::error file=a.yaml,line=2,col=1,endLine=3::m', ['columns on a range of several lines']],
    ['::error file=a.yaml,line=3,endLine=2::m', ['endLine before line']],
    ['::error file=a.yaml,col=3::m', ['columns without line']],
    ['::error file=/abs/a.yaml::m', ['file /abs/a.yaml is not a relative POSIX path']],
    ['::debug::m', ['"debug" is not error, warning or notice']],
    ['  ::error::m', ['leading whitespace']],
    ['::error::', ['empty message']],
    ['::bogus::m', ['not a workflow command']],
  ])('%s', (line, problems) => {
    expect(checkAnnotation(line)).toEqual(problems);
  });

  it('reads like the runner: the first :: ends the properties, the data keeps later ones', () => {
    expect(runnerParse('::error title=a::b::c')).toEqual({ command: 'error', properties: { title: 'a' }, message: 'b::c' });
    expect(runnerParse('::ERROR::x')?.command).toBe('ERROR');
    expect(runnerParse('plan: 3 errors')).toBeUndefined();
    expect(runnerParse('::error file=a.yaml,line=::x')?.properties).toEqual({ file: 'a.yaml' });
    expect(readGithubReport('::error::x\n::add-mask::y\nplan: done\n')).toEqual({
      annotations: [{ command: 'error', properties: {}, message: 'x' }, { command: 'add-mask', properties: {}, message: 'y' }],
      plain: ['plan: done'],
      problems: ['line 2: "add-mask" is not error, warning or notice: ::add-mask::y'],
    });
  });
});

/** A repository with errors, warnings and infos past GitHub's limits, in a folder name the runner must see escaped. */
const BACKLOG_TASK = (i: number) => `  - id: "ALPHA-${String(i).padStart(3, '0')}"
    title: "Task ${i}"${' '}
    description: yes
    effort_points: 3
    priority: P2
    priority: P3
    status: todo
    dependencies: []
`;

describe('the real CLI', () => {
  let repo: string;
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  const validateSarif = ajv.compile(JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/standards/sarif-schema-2.1.0.json'), 'utf8')));

  beforeAll(() => {
    repo = tempRepo('plan-github-');
    expect(runPlan(repo, ['init', '--no-rulebook']).code).toBe(0);
    expect(runPlan(repo, ['new', 'alpha']).code).toBe(0);
    writeFileSync(path.join(repo, 'plan.config.yaml'), 'lint:\n  rules:\n    yaml/truthy: info\n');
    writeFiles(repo, {
      'plans/alpha/be_backlog.yaml': `version: "1.0.0"\ntasks:\n${Array.from({ length: 13 }, (_, i) => BACKLOG_TASK(i + 1)).join('')}`,
      // the folder name must reach GitHub escaped (`,` `:` `%`), and the message quotes it
      'plans/q,a:1%/plan.yaml': 'id: "alpha-2"\ntitle: "odd folder"\nversion: "1.0.0"\ntags:\n  criticality: 2\n',
    });
  });
  afterAll(() => removeRepo(repo));

  function jsonFindings(args: string[] = ['lint']): Finding[] {
    const r = runPlan(repo, [...args, '--format', 'json']);
    return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  }

  it('writes annotations that pass the strict reader, one per finding, most relevant first', () => {
    const r = runPlan(repo, ['lint', '--format', 'github']);
    expect(r.code).toBe(1);
    const read = readGithubReport(r.stdout);
    expect(read.problems).toEqual([]);
    const findings = jsonFindings();
    expect(read.annotations).toHaveLength(findings.length);
    const kinds = { error: 'error', warning: 'warning', info: 'notice' } as const;
    const expected = findings.map((f) => `${kinds[f.severity]}|${f.file}|${f.line}|${f.rule}|${f.message}`).sort();
    expect(read.annotations.map((a) => `${a.command}|${a.properties['file']}|${a.properties['line']}|${a.properties['title']}|${a.message}`).sort()).toEqual(expected);
    // errors, then warnings, then notices; by file and line within each
    const rank = { error: 0, warning: 1, notice: 2 } as Record<string, number>;
    for (let i = 1; i < read.annotations.length; i++) {
      const [a, b] = [read.annotations[i - 1]!, read.annotations[i]!];
      const order = rank[a.command]! - rank[b.command]! || (a.properties['file'] ?? '').localeCompare(b.properties['file'] ?? '') || Number(a.properties['line'] ?? 0) - Number(b.properties['line'] ?? 0);
      expect(order, `${a.command} ${a.properties['file']}:${a.properties['line']} before ${b.command} ${b.properties['file']}:${b.properties['line']}`).toBeLessThanOrEqual(0);
    }
    for (const a of read.annotations) if (a.properties['file']) expect(existsSync(path.join(repo, a.properties['file']))).toBe(true);
    expect(read.annotations.some((a) => a.properties['file'] === 'plans/q,a:1%/plan.yaml')).toBe(true);
    // the summary, then what GitHub cuts
    const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
    expect(n('error')).toBeGreaterThan(10);
    expect(n('warning')).toBeGreaterThan(10);
    expect(n('info')).toBeGreaterThan(10);
    expect(read.plain).toEqual([
      `plan: ${n('error')} errors, ${n('warning')} warnings, ${n('info')} infos`,
      `plan: ${n('error') - 10} errors, ${n('warning') - 10} warnings and ${n('info') - 10} notices beyond GitHub's annotation limits are in the full report (--format sarif)`,
    ]);
  });

  it('chooses the github format by itself under GITHUB_ACTIONS, and --format still wins', () => {
    const auto = runPlan(repo, ['lint'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(auto.stdout).toBe(runPlan(repo, ['lint', '--format', 'github']).stdout);
    expect(runPlan(repo, ['lint', '--format', 'json'], { env: { GITHUB_ACTIONS: 'true' } }).stdout.startsWith('{')).toBe(true);
  });

  it('gate reports in the github format pass the strict reader too', () => {
    const r = runPlan(repo, ['gate', 'schema_lint', 'alpha', '--format', 'github']);
    expect(r.code).toBe(1);
    const read = readGithubReport(r.stdout);
    expect(read.problems).toEqual([]);
    expect(read.annotations.length).toBeGreaterThan(0);
  });

  it('prints only the summary for a clean repository', () => {
    const clean = tempRepo('plan-github-clean-');
    try {
      runPlan(clean, ['init', '--no-rulebook']);
      runPlan(clean, ['new', 'beta']);
      writeFiles(clean, { 'plans/beta/story_map.md': '# beta\n\n- First slice (BETA-001)\n' });
      const r = runPlan(clean, ['lint', '--format', 'github']);
      expect(r.code, r.stdout).toBe(0);
      expect(readGithubReport(r.stdout)).toEqual({ annotations: [], plain: ['plan: 0 errors, 0 warnings, 0 infos'], problems: [] });
    } finally {
      removeRepo(clean);
    }
  });

  it.each([
    ['lint', ['lint']],
    ['gate', ['gate', 'schema_lint', 'alpha']],
  ])('writes SARIF that validates against the OASIS 2.1.0 schema: %s', (_name, args) => {
    const r = runPlan(repo, [...args, '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as { runs: Array<{ results: Array<{ ruleId: string; locations?: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    const valid = validateSarif(log);
    expect(validateSarif.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0]!.results).toHaveLength(jsonFindings(args).length);
    for (const result of log.runs[0]!.results) {
      for (const loc of result.locations ?? []) {
        const uri = loc.physicalLocation.artifactLocation.uri;
        // code scanning wants repository-relative, percent-encoded URIs of files that exist
        expect(uri).not.toMatch(/^(\/|file:)|[\s,:]/);
        expect(existsSync(path.join(repo, decodeURIComponent(uri)))).toBe(true);
      }
    }
  });

  it('writes SARIF to a file with -o, also valid', () => {
    const r = runPlan(repo, ['lint', '--format', 'sarif', '-o', 'plan.sarif']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(validateSarif(JSON.parse(readFileSync(path.join(repo, 'plan.sarif'), 'utf8')))).toBe(true);
  });
});
