import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { escapeXmlAttr, escapeXmlText, junit } from '../../src/report/junit.js';
import { FINDINGS, report } from './fixture.js';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!;
    if (c === '<') throw new Error(`raw < in ${where}`);
    if (c === '&') {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(raw);
      if (!m) throw new Error(`raw & in ${where}: ${raw.slice(i, i + 10)}`);
      const ref = m[0].slice(1, -1);
      out += ref.startsWith('#x')
        ? String.fromCodePoint(parseInt(ref.slice(2), 16))
        : ref.startsWith('#')
          ? String.fromCodePoint(parseInt(ref.slice(1), 10))
          : { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ref]!;
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A deliberately strict reader for the XML subset JUnit needs: elements, attributes, text, one root. */
function parseXml(xml: string): XmlElement {
  expect(ILLEGAL.test(xml)).toBe(false);
  let rest = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  expect(rest).not.toBe(xml);
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  const tag = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/;
  while (rest.length > 0) {
    const top = stack.at(-1)!;
    if (rest.startsWith('<')) {
      const m = tag.exec(rest);
      if (!m) throw new Error(`malformed tag at ${rest.slice(0, 40)}`);
      const [whole, closing, name, attrText, selfClosing] = m;
      if (closing) {
        if (top.name !== name || attrText || selfClosing) throw new Error(`unbalanced </${name}> in <${top.name}>`);
        stack.pop();
      } else {
        const attributes: Record<string, string> = {};
        for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
          if (a[1]! in attributes) throw new Error(`duplicate attribute ${a[1]}`);
          attributes[a[1]!] = decode(a[2]!, `attribute ${a[1]}`);
        }
        const element: XmlElement = { name: name!, attributes, children: [], text: '' };
        if (stack.length === 1 && root.children.length > 0) throw new Error('two roots');
        top.children.push(element);
        if (!selfClosing) stack.push(element);
      }
      rest = rest.slice(whole.length);
    } else {
      const end = rest.indexOf('<');
      const raw = end === -1 ? rest : rest.slice(0, end);
      top.text += decode(raw, `text of <${top.name}>`);
      rest = rest.slice(raw.length);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  expect(root.text.trim()).toBe('');
  expect(root.children).toHaveLength(1);
  return root.children[0]!;
}

const all = (e: XmlElement, name: string): XmlElement[] =>
  e.children.flatMap((c) => (c.name === name ? [c, ...all(c, name)] : all(c, name)));

describe('junit', () => {
  it('the checker rejects what it should', () => {
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a></b>')).toThrow(/unbalanced/);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 & 2"/>')).toThrow(/raw &/);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="<"/>')).toThrow(/raw </);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>')).toThrow(/unclosed/);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a/><b/>')).toThrow(/two roots/);
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>\u0001</a>')).toThrow();
  });

  it('writes one suite per file and one case per finding, counting failures', () => {
    const suites = parseXml(junit(report(), { color: false }));
    expect(suites.name).toBe('testsuites');
    expect(suites.attributes).toEqual({ name: 'plan', tests: '6', failures: '5', errors: '0' });
    expect(suites.children.map((s) => [s.attributes.name, s.attributes.tests, s.attributes.failures])).toEqual([
      ['(repository)', '1', '0'],
      ['my plans/q&a #1.yaml', '1', '1'],
      ['plans/a.yaml', '2', '2'],
      ['plans/b.yaml', '1', '1'],
      ['plans/c.yaml', '1', '1'],
    ]);
    expect(all(suites, 'testcase').map((c) => `${c.attributes.classname} | ${c.attributes.name}`)).toEqual([
      'coverage/min | (repository) coverage/min',
      'deps/cycle | my plans/q&a #1.yaml:1:1 deps/cycle',
      'schema/unknown | plans/a.yaml schema/unknown',
      'deps/cycle | plans/a.yaml:3:5 deps/cycle',
      'yaml/trailing-space | plans/b.yaml:7 yaml/trailing-space',
      'yaml/trailing-space | plans/c.yaml yaml/trailing-space',
    ]);
  });

  it.each([
    ['error', 'failure'],
    ['warning', 'failure'],
    ['info', 'system-out'],
  ] as const)('a %s becomes a %s', (severity, child) => {
    const suites = parseXml(junit(report([{ rule: 'r/x', severity, message: 'm', file: 'a.yaml', line: 1 }]), { color: false }));
    const [testcase] = all(suites, 'testcase');
    expect(testcase?.children.map((c) => c.name)).toEqual([child]);
    if (child === 'failure') expect(testcase?.children[0]?.attributes).toEqual({ message: 'm', type: severity });
    expect(testcase?.children[0]?.text).toContain('m');
    expect(suites.attributes.failures).toBe(child === 'failure' ? '1' : '0');
  });

  it('escapes <&>"\' and drops characters XML 1.0 cannot hold', () => {
    const f: Finding = {
      rule: 'r/<&>',
      severity: 'error',
      message: `a <b> & "c" 'd'\u0000\u0008\u000B\u001F\uD800 e\tf\r\ng \u{1F600}`,
      file: 'x&y<z>.yaml',
      line: 2,
    };
    const xml = junit(report([f]), { color: false });
    expect(xml).not.toMatch(/[\u0000\u0008\u000B\u001F]/);
    const suites = parseXml(xml);
    const [suite] = suites.children;
    expect(suite?.attributes.name).toBe('x&y<z>.yaml');
    const [testcase] = all(suites, 'testcase');
    expect(testcase?.attributes).toEqual({ classname: 'r/<&>', name: 'x&y<z>.yaml:2 r/<&>' });
    const failure = testcase?.children[0];
    expect(failure?.attributes.message).toBe(`a <b> & "c" 'd' e\tf\r\ng \u{1F600}`);
    expect(failure?.text.split('\n')[0]).toBe(`error: a <b> & "c" 'd' e\tf\r`);
  });

  it.each([
    ['<&>"\'', '&lt;&amp;&gt;&quot;&apos;', '&lt;&amp;&gt;"\''],
    ['a\u0000b\uDC00c', 'abc', 'abc'],
    ['tab\tnl\ncr\r', 'tab&#9;nl&#10;cr&#13;', 'tab\tnl\ncr&#13;'],
    ['pair \u{1F600} kept', 'pair \u{1F600} kept', 'pair \u{1F600} kept'],
  ])('escapes %j as attribute %s and text %s', (raw, attr, text) => {
    expect(escapeXmlAttr(raw)).toBe(attr);
    expect(escapeXmlText(raw)).toBe(text);
  });

  it('emits one passing test case when there are no findings', () => {
    const xml = junit(report([]), { color: false });
    const suites = parseXml(xml);
    expect(suites.attributes).toEqual({ name: 'plan', tests: '1', failures: '0', errors: '0' });
    const cases = all(suites, 'testcase');
    expect(cases).toHaveLength(1);
    expect(cases[0]).toEqual({ name: 'testcase', attributes: { name: 'plan lint', classname: 'plan' }, children: [], text: '' });
  });

  it('parses the fixture and ends with a newline', () => {
    const xml = junit(report(FINDINGS), { color: false });
    expect(xml.endsWith('</testsuites>\n')).toBe(true);
    expect(() => parseXml(xml)).not.toThrow();
  });
});
