import { describe, expect, it } from 'vitest';
import { FORMATTERS, FORMAT_NAMES, isFormatName, loadFormatter } from '../../src/report/index.js';
import { ANSI, report } from './fixture.js';

describe('report index', () => {
  it('registers every format name', () => {
    expect(Object.keys(FORMATTERS).sort()).toEqual([...FORMAT_NAMES].sort());
  });

  it.each([
    ['stylish', true],
    ['sarif', true],
    ['github', true],
    ['Stylish', false],
    ['xml', false],
    ['', false],
    ['toString', false],
  ])('isFormatName(%j) is %s', (name, expected) => {
    expect(isFormatName(name)).toBe(expected);
  });

  it.each(FORMAT_NAMES)('loadFormatter(%s) gives the registered formatter, which ends with a newline and no color', async (name) => {
    const formatter = await loadFormatter(name);
    expect(formatter).toBe(FORMATTERS[name]);
    const out = formatter(report(), { color: false });
    expect(out.endsWith('\n')).toBe(true);
    expect(out).not.toMatch(ANSI);
  });
});
