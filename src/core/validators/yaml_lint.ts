import type { Finding } from '../finding.js';
import type { LineIndex } from '../parse/lines.js';
import type { Validator } from './types.js';

// YAML 1.1 read these as booleans; YAML 1.2 reads them as strings. Either reader may be in play.
// Each pattern runs once over a whole file: the regex engine scans 20 MB faster than a per-line loop.
const TRUTHY = /^([^\S\n]*(?:-[^\S\n]+)*(?:[^\s#'"\n][^#\n]*?:[^\S\n]+)?(?:-[^\S\n]+)?)(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)[^\S\n]*(?:#[^\n]*)?\r?$/gm;
// A whitespace-only line carries nothing and is common in pasted examples (the seed's own backlog has one).
const TRAILING = /(\S)([ \t]+)\r?$/gm;
const TAB_INDENT = /^( *)\t/gm;
const BLOCK_SCALAR_HEADER = /(?::|^\s*-)\s*[|>][-+0-9]*\s*(?:#.*)?$/;

/**
 * Layout rules a parser does not enforce: tabs in indentation, trailing spaces, a final newline,
 * and YAML 1.1 truthy words. Parse-level problems (syntax, duplicate keys, aliases, depth) are
 * reported when the file is read, for every YAML file.
 */
export const yamlLintValidator: Validator = {
  type: 'yaml_lint',
  run(context, options) {
    const layout = options['strict'] === true ? 'error' : 'warning';
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      for (const artifact of plan.artifacts.values()) {
        if (artifact.kind !== 'yaml' || !artifact.text || !context.inScope(artifact.path)) continue;
        const { text, lines } = artifact.text;
        const at = (offset: number) => ({ file: artifact.path, ...lines.position(offset), plan: plan.id });
        if (text.length > 0 && !text.endsWith('\n')) {
          findings.push({ rule: 'yaml/final-newline', severity: layout, message: 'file does not end with a newline', ...at(text.length) });
        }
        for (const m of text.matchAll(TAB_INDENT)) {
          findings.push({ rule: 'yaml/tab-indent', severity: 'error', message: 'tab character in indentation; YAML indents with spaces', ...at(m.index + m[1]!.length) });
        }
        for (const m of text.matchAll(TRAILING)) {
          findings.push({ rule: 'yaml/trailing-space', severity: layout, message: 'trailing whitespace', ...at(m.index + m[1]!.length) });
        }
        let inBlockScalar: boolean[] | undefined;
        for (const m of text.matchAll(TRUTHY)) {
          inBlockScalar ??= blockScalarLines(lines);
          if (inBlockScalar[lines.position(m.index).line]) continue;
          findings.push({ rule: 'yaml/truthy', severity: 'warning', message: `"${m[2]}" is a boolean in YAML 1.1 but a string in YAML 1.2; quote it or write true/false`, ...at(m.index + m[1]!.length) });
        }
      }
    }
    return findings;
  },
};

/** Which lines (by 1-based number) are content of a `|` or `>` block scalar: some less-indented line above opens one. */
function blockScalarLines(lines: LineIndex): boolean[] {
  const inside: boolean[] = [];
  // the chain of lines a next line may belong to, less indented each: one pass instead of a walk up from every match
  const chain: Array<{ indent: number; inScalar: boolean }> = [];
  for (let line = 1; line <= lines.lineCount; line++) {
    const text = lines.lineText(line);
    if (text.trim() === '') continue;
    const indent = text.length - text.trimStart().length;
    while (chain.length > 0 && chain[chain.length - 1]!.indent >= indent) chain.pop();
    inside[line] = chain[chain.length - 1]?.inScalar ?? false;
    chain.push({ indent, inScalar: inside[line] || BLOCK_SCALAR_HEADER.test(text) });
  }
  return inside;
}
