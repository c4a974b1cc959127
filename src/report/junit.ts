import type { Finding } from '../core/finding.js';
import { position, sortedFindings } from './summary.js';
import type { FormatOptions, LintReport } from './types.js';

export const REPOSITORY_SUITE = '(repository)';

/** Characters XML 1.0 cannot carry at all, not even as character references. */
const ILLEGAL_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const TEXT_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Raw tab and newline in an attribute would be normalized to spaces by every parser, so they are references.
const ATTR_ENTITIES: Record<string, string> = {
  ...TEXT_ENTITIES,
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

export function stripIllegalXml(text: string): string {
  return text.replace(ILLEGAL_XML, '');
}

export function escapeXmlText(text: string): string {
  // `\r` as a reference too, or a parser turns `\r\n` into `\n`.
  return stripIllegalXml(text).replace(/[&<>\r]/g, (c) => (c === '\r' ? '&#13;' : TEXT_ENTITIES[c]!));
}

export function escapeXmlAttr(text: string): string {
  return stripIllegalXml(text).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ENTITIES[c]!);
}

function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function where(f: Finding, suite: string): string {
  const line = position(f.line);
  const column = line === undefined ? undefined : position(f.column);
  return [suite, line, column].filter((p) => p !== undefined).join(':');
}

function details(f: Finding, location: string): string {
  const lines = [`${f.severity}: ${f.message}`, `rule: ${f.rule}`, `at: ${location}`];
  if (f.plan !== undefined) lines.push(`plan: ${f.plan}`);
  if (f.task !== undefined) lines.push(`task: ${f.task}`);
  return lines.join('\n');
}

function testcase(f: Finding, suite: string): string[] {
  const location = where(f, suite);
  const head = `    <testcase${attrs({ classname: f.rule, name: `${location} ${f.rule}` })}>`;
  const body =
    f.severity === 'info'
      ? `      <system-out>${escapeXmlText(details(f, location))}</system-out>`
      : `      <failure${attrs({ message: f.message, type: f.severity })}>${escapeXmlText(details(f, location))}</failure>`;
  return [head, body, '    </testcase>'];
}

/**
 * JUnit XML as Jenkins and GitLab read it: a suite per file, a test case per finding; errors and warnings
 * fail, infos pass with their text in system-out.
 */
export function junit(report: LintReport, _options: FormatOptions): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const findings = sortedFindings(report.findings);

  if (findings.length === 0) {
    out.push(
      `<testsuites${attrs({ name: 'plan', tests: 1, failures: 0, errors: 0 })}>`,
      `  <testsuite${attrs({ name: 'plan', tests: 1, failures: 0, errors: 0, skipped: 0 })}>`,
      `    <testcase${attrs({ name: 'plan lint', classname: 'plan' })}/>`,
      '  </testsuite>',
      '</testsuites>',
    );
    return `${out.join('\n')}\n`;
  }

  const suites = new Map<string, Finding[]>();
  for (const f of findings) {
    const name = f.file || REPOSITORY_SUITE;
    let group = suites.get(name);
    if (!group) suites.set(name, (group = []));
    group.push(f);
  }

  const failing = (f: Finding) => f.severity !== 'info';
  out.push(
    `<testsuites${attrs({ name: 'plan', tests: findings.length, failures: findings.filter(failing).length, errors: 0 })}>`,
  );
  for (const [name, group] of suites) {
    const failures = group.filter(failing).length;
    out.push(`  <testsuite${attrs({ name, tests: group.length, failures, errors: 0, skipped: 0 })}>`);
    for (const f of group) out.push(...testcase(f, name));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export default junit;
