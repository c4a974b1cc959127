import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { escapeData, escapeProperty, github } from '../../src/report/github.js';
import { FINDINGS, report } from './fixture.js';

interface Command {
  command: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

/** Reads a line the way the runner does: `::name k=v,k=v::data`, splitting on the first `::` after the name. */
function parseCommand(line: string): Command | undefined {
  const match = /^::([a-z]+)(?: ([^]*?))?::([^]*)$/.exec(line);
  if (!match) return undefined;
  const [, command, props = '', data = ''] = match;
  const properties: Record<string, string> = {};
  for (const pair of props.split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    expect(eq).toBeGreaterThan(0);
    properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
  }
  return { command: command!, properties, message: unescapeData(data) };
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
    ['special characters everywhere', { rule: 'r:x,y', severity: 'error', message: 'bad: 50%, a,b\r\nnext ::line', file: 'dir,1/a:b%.yaml', line: 2, column: 3, endLine: 4, endColumn: 5 }],
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
    expect(out).toHaveLength(61);
    expect(out.at(-1)).toBe('plan: 60 errors, 0 warnings, 0 infos');
  });

  it('prints only the summary when there is nothing to report', () => {
    expect(lines([])).toEqual(['plan: 0 errors, 0 warnings, 0 infos']);
  });
});
