import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { json, type JsonReport } from '../../src/report/json.js';
import { ANSI, FINDINGS, report } from './fixture.js';

describe('json', () => {
  it('has the stable top-level shape, pretty-printed with a trailing newline', () => {
    const out = json(report(), { color: true });
    expect(out).not.toMatch(ANSI);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.split('\n')[1]).toBe('  "version": 1,');
    const parsed = JSON.parse(out) as JsonReport;
    expect(Object.keys(parsed)).toEqual(['version', 'tool', 'summary', 'findings']);
    expect(parsed.tool).toEqual({ name: 'plan', version: '0.1.0' });
    expect(parsed.summary).toEqual({ files: 4, errors: 3, warnings: 2, infos: 1 });
    expect(parsed.findings).toHaveLength(FINDINGS.length);
    expect(out).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
  });

  it.each<[string, Finding[], JsonReport['summary']]>([
    ['empty', [], { files: 4, errors: 0, warnings: 0, infos: 0 }],
    ['one warning', [{ rule: 'r', severity: 'warning', message: 'm' }], { files: 4, errors: 0, warnings: 1, infos: 0 }],
  ])('summary: %s', (_name, findings, summary) => {
    const parsed = JSON.parse(json(report(findings), { color: false })) as JsonReport;
    expect(parsed.summary).toEqual(summary);
    expect(parsed.findings).toEqual(findings);
  });

  it('writes findings sorted, keys in a fixed order, absent fields left out', () => {
    const messy = { task: 't', line: 3, message: 'm', file: 'b.yaml', severity: 'error', rule: 'r', plan: undefined } as Finding;
    const parsed = JSON.parse(json(report([messy, { rule: 'r', severity: 'info', message: 'first', file: 'a.yaml' }]), { color: false })) as JsonReport;
    expect(parsed.findings.map((f) => f.message)).toEqual(['first', 'm']);
    expect(Object.keys(parsed.findings[1]!)).toEqual(['rule', 'severity', 'message', 'file', 'line', 'task']);
  });

  it('does not depend on input order', () => {
    expect(json(report([...FINDINGS].reverse()), { color: false })).toBe(json(report(), { color: false }));
  });
});
