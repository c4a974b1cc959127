import { describe, expect, it } from 'vitest';
import { LineIndex } from '../../src/core/parse/lines.js';
import { decodeText, isDecoded } from '../../src/core/parse/text.js';
import { parseYaml } from '../../src/core/parse/yaml.js';
import { parseJson } from '../../src/core/parse/json.js';
import { parseStoryMap } from '../../src/core/parse/storymap.js';

const LIMITS = { maxDepth: 64, maxAliases: 50 };
const yaml = (text: string) => parseYaml('f.yaml', text, new LineIndex(text), LIMITS);
const rules = (findings: Array<{ rule: string }>) => findings.map((f) => f.rule);

describe('decodeText', () => {
  const decode = (bytes: number[] | string, max = 1000) => decodeText('f', typeof bytes === 'string' ? Buffer.from(bytes) : Uint8Array.from(bytes), { maxFileBytes: max });

  it.each([
    ['invalid UTF-8 continuation', [0x61, 0x0a, 0x62, 0xc3, 0x28], 'file/invalid-utf8', 2, 2],
    ['overlong encoding', [0xc0, 0xaf], 'file/invalid-utf8', 1, 1],
    ['UTF-16 surrogate in UTF-8', [0x0a, 0xed, 0xa0, 0x80], 'file/invalid-utf8', 2, 1],
    ['NUL byte', [0x61, 0x0a, 0x0a, 0x62, 0x00], 'file/binary', 3, 2],
  ])('%s', (_name, bytes, rule, line, column) => {
    const result = decode(bytes);
    expect(isDecoded(result)).toBe(false);
    expect(result.findings[0]).toMatchObject({ rule, line, column });
  });

  it('refuses files over the limit without decoding them', () => {
    expect(decode('x'.repeat(11), 10).findings[0]).toMatchObject({ rule: 'file/too-large' });
  });

  it('strips a BOM and reports every conflict marker line', () => {
    const bom = decode([0xef, 0xbb, 0xbf, 0x61, 0x3a, 0x20, 0x31]);
    expect(isDecoded(bom) && bom.text).toBe('a: 1');
    const conflict = decode('a: 1\n<<<<<<< HEAD\nb: 1\n=======\nb: 2\n>>>>>>> topic\n');
    expect(conflict.findings.map((f) => f.line)).toEqual([2, 4, 6]);
    expect(isDecoded(conflict) && conflict.parseable).toBe(false);
  });
});

describe('parseYaml', () => {
  it('reads YAML 1.2 core: timestamps stay strings, yes stays a string', () => {
    expect(yaml('a: 2024-01-15T10:00:00Z\nb: yes\nc: 1.0.0\n').value).toEqual({ a: '2024-01-15T10:00:00Z', b: 'yes', c: '1.0.0' });
  });

  it.each([
    ['without anchors (js-yaml)', ''],
    ['with an anchor (yaml)', 'x: &x 1\n'],
  ])('reads numbers as the YAML 1.2 core schema does, %s', (_name, prefix) => {
    const result = yaml(`${prefix}bin: 0b11\nhex: -0x1F\nhalf: +.5\nexp: -.5e3\nhuge: 1e400\noct: 0o17\n`);
    expect(result.value).toMatchObject({ bin: '0b11', hex: '-0x1F', half: 0.5, exp: -500, huge: Infinity, oct: 15 });
  });

  it('reports every duplicate key at the second occurrence', () => {
    const result = yaml('a: 1\nb: 2\na: 3\nb: 4\n');
    expect(result.value).toBeUndefined();
    expect(result.findings.map((f) => [f.rule, f.line])).toEqual([
      ['yaml/duplicate-key', 3],
      ['yaml/duplicate-key', 4],
    ]);
  });

  it('stops an alias bomb before expanding it', () => {
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 9; i++) bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]\n`;
    const result = yaml(bomb);
    expect(rules(result.findings)).toEqual(['yaml/alias-limit']);
  });

  it('accepts a few aliases', () => {
    expect(yaml('base: &b {x: 1}\nother: *b\n').value).toEqual({ base: { x: 1 }, other: { x: 1 } });
  });

  it.each([
    ['flow', '['.repeat(5000) + ']'.repeat(5000)],
    ['block', Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')],
  ])('rejects %s nesting 5,000 deep without overflowing the stack', (_name, text) => {
    const result = yaml(text);
    expect(result.value).toBeUndefined();
    expect(result.findings.length).toBeGreaterThan(0);
  });

  it('reports nesting past the limit as too deep where it passes the limit, anchors or not', () => {
    // the key on line n + 1 is n levels deep
    const block = Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    expect(yaml(`a: 1\n${block}\n`).findings).toEqual([{ rule: 'yaml/too-deep', severity: 'error', message: 'nesting is 70 levels deep, over the limit of 64 (lint.max_depth)', file: 'f.yaml', line: 66, column: 65 }]);
    // the 64th `[`, at 65 levels with the mapping around it
    expect(yaml(`a: 1\nb: ${'&a ['.repeat(3000)}\n`).findings).toMatchObject([{ rule: 'yaml/too-deep', line: 2, column: 259 }]);
    // a pair in a flow sequence is a mapping of its own: 32 times `[k: ` nest 65 deep with the mapping around them
    expect(rules(yaml(`a: &a 1\nb: ${'[k: '.repeat(32)}${']'.repeat(32)}\n`).findings)).toEqual(['yaml/too-deep']);
  });

  it('stops parsing far past the limit: 100,000 levels are reported where the limit is crossed, as "more than" the levels read', () => {
    const [finding, ...rest] = yaml(`a: 1\nb: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`).findings;
    expect(rest).toEqual([]);
    // the 64th `{`, at 65 levels with the mapping around it; the parser stopped about twice the limit in
    expect(finding).toMatchObject({ rule: 'yaml/too-deep', line: 2, column: 256 });
    expect(finding!.message).toMatch(/^nesting is more than \d+ levels deep, over the limit of 64 \(lint\.max_depth\)$/);
  });

  it('locates paths in a file with nested complex keys without stringifying the keys', () => {
    const text = `x: &a 1\n${'? '.repeat(40)}x\n: 1\ntasks:\n  - id: 5\n`;
    expect(yaml(text).locate(['tasks', 0, 'id'])).toEqual({ line: 5, column: 9 });
  });

  it('locates values and keys, as deep as the path exists', () => {
    const result = yaml('tasks:\n  - id: A-1\n    dependencies: ["B-2", "C-3"]\n');
    expect(result.locate(['tasks', 0, 'dependencies', 1])).toEqual({ line: 3, column: 27 });
    expect(result.locate(['tasks', 0, 'id'], 'key')).toEqual({ line: 2, column: 5 });
    expect(result.locate(['tasks', 0, 'missing'])).toEqual({ line: 2, column: 5 });
  });

  it('reports syntax errors and multiple documents', () => {
    expect(rules(yaml('a: [1, 2\n').findings)).toContain('yaml/syntax');
    expect(rules(yaml('a: 1\n---\nb: 2\n').findings)).toContain('yaml/syntax');
  });
});

describe('parseJson', () => {
  it('finds duplicate keys JSON.parse would hide, with positions', () => {
    const result = parseJson('f.json', '{\n  "a": 1,\n  "a": 2\n}', 64);
    expect(result.findings[0]).toMatchObject({ rule: 'json/duplicate-key', line: 3, column: 3 });
  });

  it('reports syntax errors with a position and locates values', () => {
    expect(parseJson('f.json', '{"a": [1,]}', 64).findings[0]).toMatchObject({ rule: 'json/syntax', line: 1 });
    expect(parseJson('f.json', '{\n "a": {"b": [1, 2]}\n}', 64).locate(['a', 'b', 1])).toEqual({ line: 2, column: 17 });
  });

  it('counts lines as LineIndex does: a lone \\r does not end one', () => {
    expect(parseJson('f.json', '{"a": 1, "\r\r\ra": 2, "b": 1,\n"b": 2}', 64).findings[0]).toMatchObject({ rule: 'json/duplicate-key', line: 2, column: 1 });
    expect(parseJson('f.json', '["\r\r", 1,]', 64).findings[0]).toMatchObject({ rule: 'json/syntax', line: 1 });
  });
});

describe('parseStoryMap', () => {
  const pattern = /^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$/;
  const map = parseStoryMap(
    [
      '# Planning Backend - Story Map',
      '',
      '## Epic: Planning Lifecycle Management',
      '',
      '### Backbone (User Activities)',
      '1. **Plan Creation** → 2. **Validation** → 3. **Handoff**',
      '',
      '### Walking Skeleton (MVP)',
      '- Basic event publishing (PLN-BE-001)',
      '- State persistence `PLN-BE-002` and PLN-BE-003',
      '',
      '### Release 1 Features',
      '- Quality gate automation',
      '  - nested story PLN-BE-009',
      '',
    ].join('\n'),
    pattern,
  );

  it('reads epics, backbone, releases and stories', () => {
    expect(map.title).toBe('Planning Backend - Story Map');
    expect(map.epics).toHaveLength(1);
    expect(map.epics[0]!.backbone).toEqual(['Plan Creation', 'Validation', 'Handoff']);
    expect(map.epics[0]!.releases.map((r) => r.name)).toEqual(['Walking Skeleton (MVP)', 'Release 1 Features']);
    expect(map.epics[0]!.releases[0]!.stories.map((s) => s.taskIds)).toEqual([['PLN-BE-001'], ['PLN-BE-002', 'PLN-BE-003']]);
    expect(map.epics[0]!.releases[1]!.stories.map((s) => s.text)).toEqual(['Quality gate automation', 'nested story PLN-BE-009']);
  });

  it('records each task reference with its position', () => {
    expect(map.taskRefs).toEqual([
      { id: 'PLN-BE-001', line: 9, column: 27 },
      { id: 'PLN-BE-002', line: 10, column: 22 },
      { id: 'PLN-BE-003', line: 10, column: 38 },
      { id: 'PLN-BE-009', line: 14, column: 18 },
    ]);
  });
});
