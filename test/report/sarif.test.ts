import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { artifactLocation, sarif, type SarifLog } from '../../src/report/sarif.js';
import { FINDINGS, report } from './fixture.js';

const schemaPath = path.resolve(process.cwd(), '../shared/standards/sarif-schema-2.1.0.json');
// Both are CommonJS: under NodeNext the default import is `module.exports`, whose `.default` is the export.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

function parse(findings: Finding[] = FINDINGS, cwd?: string): SarifLog {
  return JSON.parse(sarif(report(findings), { color: false, cwd })) as SarifLog;
}

/** What GitHub code scanning checks beyond the schema. */
function githubProblems(log: SarifLog): string[] {
  const problems: string[] = [];
  for (const run of log.runs) {
    const rules = run.tool.driver.rules;
    run.results.forEach((r, i) => {
      if (!r.ruleId) problems.push(`result ${i}: no ruleId`);
      if (!r.message?.text) problems.push(`result ${i}: no message.text`);
      if (rules[r.ruleIndex]?.id !== r.ruleId) problems.push(`result ${i}: ruleIndex ${r.ruleIndex} is not ${r.ruleId}`);
      for (const loc of r.locations ?? []) {
        const { artifactLocation: a, region } = loc.physicalLocation;
        if (a.uri === '.' || a.uri === '') problems.push(`result ${i}: uri ${a.uri}`);
        if (/\s/.test(a.uri)) problems.push(`result ${i}: unescaped uri ${a.uri}`);
        if (region && !(Number.isInteger(region.startLine) && region.startLine >= 1)) problems.push(`result ${i}: startLine`);
      }
    });
  }
  return problems;
}

describe('sarif', () => {
  it.each([
    ['the full fixture', FINDINGS, undefined],
    ['the full fixture with a cwd', FINDINGS, '/work/some repo'],
    ['no findings', [], undefined],
  ] as const)('validates against the OASIS schema: %s', (_name, findings, cwd) => {
    const log = parse([...findings], cwd);
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(githubProblems(log)).toEqual([]);
  });

  it.each([
    ['a level SARIF does not have', (log: SarifLog) => Object.assign(log.runs[0].results[0]!, { level: 'info' })],
    ['startLine 0', (log: SarifLog) => Object.assign(log.runs[0].results.find((r) => r.locations)!.locations![0]!.physicalLocation, { region: { startLine: 0 } })],
    ['an unknown property', (log: SarifLog) => Object.assign(log.runs[0], { extra: true })],
  ])('the schema check is not vacuous: rejects %s', (_name, spoil) => {
    const log = parse();
    spoil(log);
    expect(validate(log)).toBe(false);
  });

  it('writes the run header GitHub expects', () => {
    const log = parse();
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const [run] = log.runs;
    expect(run.columnKind).toBe('utf16CodeUnits');
    expect(run.tool.driver).toMatchObject({ name: 'plan', version: '0.1.0', semanticVersion: '0.1.0' });
    expect(run.originalUriBaseIds).toBeUndefined();
    expect(parse(FINDINGS, '/work/some repo').runs[0].originalUriBaseIds).toEqual({
      '%SRCROOT%': { uri: 'file:///work/some%20repo/' },
    });
  });

  it('describes exactly the rules used, with the catalogue text', () => {
    const rules = parse().runs[0].tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(['coverage/min', 'deps/cycle', 'schema/unknown', 'yaml/trailing-space']);
    expect(rules[1]).toEqual({
      id: 'deps/cycle',
      name: 'DepsCycle',
      shortDescription: { text: 'Task dependencies must not form a cycle.' },
      fullDescription: { text: 'Task dependencies must not form a cycle. The cycle is printed.' },
      defaultConfiguration: { level: 'error' },
      helpUri: 'https://example.com/rules/deps-cycle',
      properties: { tags: ['plan', 'deps'] },
    });
    // Not in the catalogue: described by its id, level from the finding.
    expect(rules[2]).toMatchObject({ shortDescription: { text: 'schema/unknown' }, defaultConfiguration: { level: 'error' } });
    expect(rules[2]).not.toHaveProperty('helpUri');
    expect(rules[0]?.defaultConfiguration.level).toBe('note');
  });

  it.each([
    ['error', 'error'],
    ['warning', 'warning'],
    ['info', 'note'],
  ] as const)('maps severity %s to level %s', (severity, level) => {
    const [result] = parse([{ rule: 'r/x', severity, message: 'm', file: 'a.yaml', line: 1 }]).runs[0].results;
    expect(result?.level).toBe(level);
  });

  it.each<[string, Partial<Finding>, unknown]>([
    ['line only', { line: 7 }, { startLine: 7 }],
    ['line and column', { line: 3, column: 5 }, { startLine: 3, startColumn: 5 }],
    ['full range', { line: 3, column: 5, endLine: 4, endColumn: 2 }, { startLine: 3, startColumn: 5, endLine: 4, endColumn: 2 }],
    ['end before start dropped', { line: 3, column: 5, endLine: 2, endColumn: 1 }, { startLine: 3, startColumn: 5 }],
    ['no line', {}, undefined],
    ['line 0', { line: 0, column: 3 }, undefined],
  ])('region: %s', (_name, where, region) => {
    const [result] = parse([{ rule: 'r/x', severity: 'error', message: 'm', file: 'a.yaml', ...where }]).runs[0].results;
    expect(result?.locations?.[0]?.physicalLocation.region).toEqual(region);
  });

  it.each([
    ['plans/a.yaml', 'plans/a.yaml', '%SRCROOT%'],
    ['my plans/q&a #1.yaml', 'my%20plans/q%26a%20%231.yaml', '%SRCROOT%'],
    ['./plans/ü 100%.yaml', 'plans/%C3%BC%20100%25.yaml', '%SRCROOT%'],
    ['plans\\win.yaml', 'plans/win.yaml', '%SRCROOT%'],
    ['/abs/x y.yaml', 'file:///abs/x%20y.yaml', undefined],
  ])('artifact uri of %j is %s', (file, uri, uriBaseId) => {
    expect(artifactLocation(file)).toEqual(uriBaseId ? { uri, uriBaseId } : { uri });
  });

  it('attaches findings without a file to no location', () => {
    const result = parse().runs[0].results.find((r) => r.ruleId === 'coverage/min');
    expect(result).toBeDefined();
    expect(result).not.toHaveProperty('locations');
    expect(result?.properties).toEqual({ plan: 'alpha' });
  });

  it('fingerprints ignore the line and count identical findings', () => {
    const f: Finding = { rule: 'r/x', severity: 'error', message: 'same', file: 'a.yaml', line: 1 };
    const moved = parse([{ ...f, line: 40 }]).runs[0].results[0]?.partialFingerprints.primaryLocationLineHash;
    const [first, second] = parse([f, { ...f, line: 2 }]).runs[0].results.map((r) => r.partialFingerprints.primaryLocationLineHash);
    expect(first).toMatch(/^[0-9a-f]{16}:1$/);
    expect(moved).toBe(first);
    expect(second).toBe(first?.replace(/:1$/, ':2'));
    const other = parse([{ ...f, message: 'different' }]).runs[0].results[0]?.partialFingerprints.primaryLocationLineHash;
    expect(other).not.toBe(first);
  });

  it('is deterministic whatever the input order', () => {
    expect(sarif(report([...FINDINGS].reverse()), { color: false })).toBe(sarif(report(FINDINGS), { color: false }));
  });

  it('leaves semanticVersion out when the version is not semver', () => {
    const log = JSON.parse(sarif({ ...report(), toolVersion: 'dev' }, { color: false })) as SarifLog;
    expect(log.runs[0].tool.driver.version).toBe('dev');
    expect(log.runs[0].tool.driver).not.toHaveProperty('semanticVersion');
  });
});
