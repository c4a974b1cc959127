import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { stylish } from '../../src/report/stylish.js';
import { ANSI, FINDINGS, report } from './fixture.js';

describe('stylish', () => {
  it('groups by file, aligns columns and ends with the summary', () => {
    expect(stylish(report(), { color: false })).toBe(
      [
        '(repository)',
        '  -    info     coverage 80% >= 75%           coverage/min',
        '',
        'my plans/q&a #1.yaml',
        '  1:1  error    cycle in file with space      deps/cycle',
        '',
        'plans/a.yaml',
        '  -    error    file-level, no line           schema/unknown',
        '  3:5  error    cycle: a -> b -> a            deps/cycle',
        '',
        'plans/b.yaml',
        '  7    warning  trailing space                yaml/trailing-space',
        '',
        'plans/c.yaml',
        '  -    warning  bad line numbers are dropped  yaml/trailing-space',
        '',
        '✖ 6 problems (3 errors, 2 warnings, 1 info)',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, Finding[], number, string]>([
    ['nothing found', [], 4, '✔ 4 files checked, no problems'],
    ['one file, nothing found', [], 1, '✔ 1 file checked, no problems'],
    ['one error', [{ rule: 'r', severity: 'error', message: 'm' }], 1, '✖ 1 problem (1 error, 0 warnings, 0 infos)'],
    ['infos only', [{ rule: 'r', severity: 'info', message: 'a' }, { rule: 'r', severity: 'info', message: 'b' }], 1, '✖ 2 problems (0 errors, 0 warnings, 2 infos)'],
  ])('summary line: %s', (_name, findings, files, summary) => {
    const out = stylish(report(findings, files), { color: false });
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trimEnd().split('\n').at(-1)).toBe(summary);
  });

  it.each([
    ['findings', FINDINGS],
    ['no findings', []],
  ])('has no ANSI escapes without color, and has them with color: %s', (_name, findings) => {
    const plain = stylish(report([...findings]), { color: false });
    const colored = stylish(report([...findings]), { color: true });
    expect(plain).not.toMatch(ANSI);
    expect(colored).toMatch(ANSI);
    // eslint-disable-next-line no-control-regex
    expect(colored.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('underlines file headers and colors severities when asked', () => {
    const out = stylish(report([{ rule: 'r', severity: 'error', message: 'm', file: 'a.yaml', line: 1 }]), { color: true });
    expect(out).toContain('\u001b[4ma.yaml\u001b[24m');
    expect(out).toContain('\u001b[31merror\u001b[39m');
  });

  it('keeps control characters from the linted files off the terminal', () => {
    const out = stylish(report([{ rule: 'r', severity: 'error', message: 'a\u001b[2Jb\nc', file: 'x\u0007.yaml' }]), { color: false });
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(out).toContain('a\\u001b[2Jb c');
    expect(out).toContain('x\\u0007.yaml\n');
  });
});
