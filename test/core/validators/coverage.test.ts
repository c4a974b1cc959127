import { describe, expect, it } from 'vitest';
import { CoverageReportError, detectCoverageFormat, parseCobertura, parseIstanbulSummary, parseLcov } from '../../../src/core/coverage_reports.js';
import { coverageValidator } from '../../../src/core/validators/coverage.js';
import { backlog, plan, run } from './support.js';

const MAP_A = [
  '# Plan a - Story Map', // 1
  '', // 2
  '## Epic: Planning', // 3
  '', // 4
  '### Backbone (User Activities)', // 5
  '1. **Plan Creation** → 2. **Validation**', // 6
  '', // 7
  '### Walking Skeleton (MVP)', // 8
  '- Basic event publishing (A-1)', // 9: covered
  '- State persistence', // 10
  '- Schema validation `A-9`', // 11: names a task that does not exist
  '- Handoff generation', // 12
  '', // 13
  '### Release 1 Features', // 14
  '- Quality gate automation A-2', // 15: covered
  '- Governance tag enforcement', // 16
  '',
].join('\n');

const FILES = {
  'plans/a/plan.yaml': plan('a'),
  'plans/a/be_backlog.yaml': backlog([{ id: 'A-1' }, { id: 'A-2' }]),
  'plans/a/story_map.md': MAP_A,
  'plans/b/plan.yaml': plan('b'),
  'plans/c/plan.yaml': plan('c'),
  'plans/c/story_map.md': '# Plan c\n\nNothing planned yet.\n',
};

describe('coverage: stories', () => {
  it('reports low story coverage at the first uncovered story, and plans without stories', () => {
    const findings = run(coverageValidator, FILES);
    expect(findings.map((f) => [f.rule, f.severity, f.file, f.line, f.plan])).toEqual([
      ['coverage/stories', 'error', 'plans/a/story_map.md', 10, 'a'],
      ['coverage/no-stories', 'warning', 'plans/b/plan.yaml', undefined, 'b'],
      ['coverage/no-stories', 'warning', 'plans/c/story_map.md', 1, 'c'],
    ]);
    expect(findings[0]!.message).toBe(
      'story coverage is 33.3% (2 of 6 stories reference an existing task), below min_percent 80%; uncovered: "State persistence" (line 10), "Schema validation A-9" (line 11), "Handoff generation" (line 12), and 1 more',
    );
    expect(findings[1]!.message).toBe('plan b has no story_map.md, so story coverage cannot be measured');
    expect(findings[2]!.message).toContain('plans/c/story_map.md has no stories');
  });

  it.each([
    [33, []],
    [34, ['coverage/stories']],
    [0, []],
  ])('min_percent %d', (min, rules) => {
    const files = { 'plans/a/plan.yaml': FILES['plans/a/plan.yaml'], 'plans/a/be_backlog.yaml': FILES['plans/a/be_backlog.yaml'], 'plans/a/story_map.md': MAP_A };
    expect(run(coverageValidator, files, {}, { min_percent: min }).map((f) => f.rule)).toEqual(rules);
  });

  it('reports only in-scope plans', () => {
    expect(run(coverageValidator, FILES, { inScope: (p) => p.startsWith('plans/c/') }).map((f) => [f.rule, f.plan])).toEqual([['coverage/no-stories', 'c']]);
  });
});

const ISTANBUL = JSON.stringify({
  total: {
    lines: { total: 200, covered: 150, skipped: 0, pct: 75 },
    statements: { total: 210, covered: 155, skipped: 0, pct: 73.8 },
    functions: { total: 20, covered: 18, skipped: 0, pct: 90 },
    branches: { total: 40, covered: 20, skipped: 0, pct: 50 },
  },
  '/repo/src/a.ts': { lines: { total: 200, covered: 150, skipped: 0, pct: 75 } },
});

// Two files: the first with LF/LH summaries, the second with DA lines only.
const LCOV = ['TN:', 'SF:/repo/src/a.ts', 'FN:1,main', 'FNDA:1,main', 'DA:1,1', 'DA:2,0', 'LF:2', 'LH:1', 'BRF:0', 'BRH:0', 'end_of_record', 'TN:', 'SF:/repo/src/b.ts', 'DA:1,3', 'DA:2,1', 'DA:3,1', 'end_of_record', ''].join('\n');

const COBERTURA = `<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "coverage-04.dtd">
<!-- a comment with <coverage line-rate="0"> inside -->
<coverage lines-valid="10" lines-covered="9" line-rate="0.9" branches-valid="0" branches-covered="0" branch-rate="0" timestamp="1700000000" complexity="0" version="0.1">
  <sources><source>/repo</source></sources>
  <packages>
    <package name="src" line-rate="0.9" branch-rate="0" complexity="0">
      <classes>
        <class name="a.ts" filename="src/a.ts" line-rate="0.9" branch-rate="0" complexity="0">
          <methods/>
          <lines><line number="1" hits="1"/></lines>
        </class>
      </classes>
    </package>
  </packages>
</coverage>
`;

// Old cobertura (DTD 03): only line-rate; method lines repeat class lines and count once.
const COBERTURA_RATE_ONLY = `<?xml version="1.0"?>
<coverage line-rate='0.5' branch-rate='0'>
  <packages><package name="p"><classes>
    <class name="A" filename="a.py">
      <methods><method name="f"><lines><line number="1" hits="1"/></lines></method></methods>
      <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines>
    </class>
    <class name="B" filename="b.py"><lines><line number="1" hits="0"/><line number="2" hits="4"/></lines></class>
  </classes></package></packages>
</coverage>`;

describe('coverage report parsers', () => {
  it.each([
    ['istanbul json-summary', () => parseIstanbulSummary(ISTANBUL), 150, 200, 75],
    ['lcov, two files', () => parseLcov(LCOV), 4, 5, 80],
    ['cobertura', () => parseCobertura(COBERTURA), 9, 10, 90],
    ['cobertura with line-rate only', () => parseCobertura(COBERTURA_RATE_ONLY), 2, 4, 50],
    ['empty istanbul', () => parseIstanbulSummary('{"total":{"lines":{"total":0,"covered":0,"pct":"Unknown"}}}'), 0, 0, 100],
  ])('%s', (_name, parse, covered, total, pct) => {
    expect(parse()).toEqual({ lines: { covered, total }, pct });
  });

  it.each([
    ['not JSON', () => parseIstanbulSummary('{"total":'), /^not JSON/, undefined],
    ['JSON without total.lines', () => parseIstanbulSummary('{"/a.ts": {}}'), /no "total.lines"/, undefined],
    ['istanbul covered > total', () => parseIstanbulSummary('{"total":{"lines":{"total":1,"covered":2}}}'), /covered <= total/, undefined],
    ['lcov DA without hits', () => parseLcov('SF:a\nDA:1\nend_of_record\n'), /DA needs "line,hits"/, 2],
    ['lcov LF not a number', () => parseLcov('SF:a\nLF:many\nend_of_record\n'), /LF needs a whole number/, 2],
    ['lcov without records', () => parseLcov('hello\n'), /outside a record/, 1],
    ['lcov empty', () => parseLcov(''), /no SF: records/, undefined],
    ['lcov unterminated record', () => parseLcov('TN:\nSF:a\nDA:1,1\n'), /no end_of_record/, 2],
    ['cobertura with another root', () => parseCobertura('<?xml version="1.0"?>\n<report lines="3"/>'), /root element is <report>/, 2],
    ['cobertura without counts', () => parseCobertura('<coverage branch-rate="1"></coverage>'), /none of line-rate/, 1],
    ['cobertura covered > valid', () => parseCobertura('<coverage lines-valid="1" lines-covered="2">'), /lines-covered <= lines-valid/, 1],
    ['cobertura bad line-rate', () => parseCobertura('<coverage line-rate="1.5"><line number="1" hits="1"/></coverage>'), /line-rate must be a number from 0 to 1/, 1],
    ['not XML at all', () => parseCobertura('SF:a'), /no root <coverage>/, undefined],
  ])('rejects %s', (_name, parse, message, line) => {
    let error: unknown;
    try {
      parse();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CoverageReportError);
    expect((error as CoverageReportError).message).toMatch(message);
    expect((error as CoverageReportError).line).toBe(line);
  });

  it.each([
    ['coverage/coverage-summary.json', '', 'json-summary'],
    ['coverage/lcov.info', '', 'lcov'],
    ['coverage/lcov-report.txt', '', 'lcov'],
    ['coverage/cobertura-coverage.xml', '', 'cobertura'],
    ['coverage/report', '  {"total":{}}', 'json-summary'],
    ['coverage/report', '<?xml version="1.0"?><coverage/>', 'cobertura'],
    ['coverage/report', 'TN:\nSF:a\n', 'lcov'],
    ['coverage/report', 'hello', undefined],
  ])('detects %s (%j) as %s', (path, text, format) => {
    expect(detectCoverageFormat(path, text)).toBe(format);
  });
});

describe('coverage: code report', () => {
  // One fully covered plan, so only the report speaks.
  const COVERED = {
    'plans/a/plan.yaml': plan('a'),
    'plans/a/be_backlog.yaml': backlog([{ id: 'A-1' }]),
    'plans/a/story_map.md': '# a\n\n## Epic: E\n\n### MVP\n- Story (A-1)\n',
  };
  const reports: Record<string, string> = {
    'coverage/coverage-summary.json': ISTANBUL,
    'coverage/lcov.info': LCOV,
    'coverage/cobertura.xml': COBERTURA,
    'coverage/cov.txt': LCOV,
    'coverage/broken.json': '{"total": {"lines": {"total": "x"}}}',
    'coverage/broken.info': 'SF:a\nDA:oops\nend_of_record\n',
    'coverage/empty.xml': '<coverage lines-valid="0" lines-covered="0" line-rate="1"/>',
  };
  const readFile = (path: string) => reports[path];

  it.each([
    ['istanbul below 80', { report: 'coverage/coverage-summary.json' }, 'coverage/code', 'line coverage is 75% (150 of 200 lines) in coverage/coverage-summary.json, below min_percent 80%', undefined],
    ['istanbul at 75', { report: 'coverage/coverage-summary.json', min_percent: 75 }, undefined, undefined, undefined],
    ['lcov at 80', { report: 'coverage/lcov.info' }, undefined, undefined, undefined],
    ['lcov below 81', { report: 'coverage/lcov.info', min_percent: 81 }, 'coverage/code', 'line coverage is 80% (4 of 5 lines)', undefined],
    ['cobertura at 90', { report: 'coverage/cobertura.xml', min_percent: 90 }, undefined, undefined, undefined],
    ['cobertura below 95', { report: 'coverage/cobertura.xml', min_percent: 95 }, 'coverage/code', 'line coverage is 90% (9 of 10 lines)', undefined],
    ['report_format overrides the name', { report: 'coverage/cov.txt', report_format: 'lcov', min_percent: 81 }, 'coverage/code', '(4 of 5 lines) in coverage/cov.txt', undefined],
    ['a wrong report_format makes the report invalid', { report: 'coverage/lcov.info', report_format: 'cobertura' }, 'coverage/report-invalid', 'coverage/lcov.info is not a valid cobertura report: no root <coverage> element', undefined],
    ['missing report', { report: 'coverage/nope.json' }, 'coverage/report-missing', 'coverage report coverage/nope.json does not exist', undefined],
    ['malformed json-summary', { report: 'coverage/broken.json' }, 'coverage/report-invalid', 'coverage/broken.json is not a valid json-summary report: "total.lines" needs whole numbers', undefined],
    ['malformed lcov, with its line', { report: 'coverage/broken.info' }, 'coverage/report-invalid', 'DA needs "line,hits", got "oops"', 2],
    ['a report that measured nothing', { report: 'coverage/empty.xml' }, 'coverage/code', 'measured no lines', undefined],
  ])('%s', (_name, options, rule, message, line) => {
    const findings = run(coverageValidator, COVERED, { readFile }, options);
    if (rule === undefined) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule, severity: 'error', file: options.report, plan: 'a' });
    expect(findings[0]!.message).toContain(message);
    expect(findings[0]!.line).toBe(line);
  });

  it.each(['/etc/passwd', '../outside/lcov.info', 'coverage/../../x.json'])('refuses a report path outside the repository: %s', (report) => {
    const seen: string[] = [];
    const findings = run(coverageValidator, COVERED, { readFile: (p) => (seen.push(p), undefined) }, { report });
    expect(findings).toEqual([{ rule: 'coverage/report-invalid', severity: 'error', message: `report "${report}" must be a path inside the repository`, plan: 'a' }]);
    expect(seen).toEqual([]);
  });

  it('checks the report once, not per plan, and not when no plan is in scope', () => {
    const two = { ...COVERED, 'plans/b/plan.yaml': plan('b'), 'plans/b/story_map.md': '# b\n\n## Epic: E\n\n### MVP\n- Story (A-1)\n' };
    const findings = run(coverageValidator, two, { readFile }, { report: 'coverage/coverage-summary.json' });
    expect(findings.map((f) => [f.rule, f.plan])).toEqual([['coverage/code', undefined]]);
    expect(run(coverageValidator, two, { readFile, inScope: () => false }, { report: 'coverage/coverage-summary.json' })).toEqual([]);
  });
});
