import type { Finding } from '../finding.js';
import type { Validator } from './types.js';

// YAML 1.1 read these as booleans; YAML 1.2 reads them as strings. Either reader may be in play.
const TRUTHY = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const PLAIN_VALUE = /^(\s*(?:-\s+)*(?:[^\s#'"][^#]*?:\s+)?(?:-\s+)?)([^\s#'"[{][^#]*?)\s*(?:#.*)?$/;

/**
 * Layout rules a parser does not enforce: tabs in indentation, trailing spaces, a final newline,
 * and YAML 1.1 truthy words. Parse-level problems (syntax, duplicate keys, aliases, depth) are
 * reported when the file is read, for every YAML file.
 */
export const yamlLintValidator: Validator = {
  type: 'yaml_lint',
  run(context, options) {
    const strict = options['strict'] === true;
    const layout = strict ? 'error' : 'warning';
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      for (const artifact of plan.artifacts.values()) {
        if (artifact.kind !== 'yaml' || !artifact.text || !context.inScope(artifact.path)) continue;
        const { text, lines } = artifact.text;
        const file = artifact.path;
        if (text.length > 0 && !text.endsWith('\n')) {
          findings.push({ rule: 'yaml/final-newline', severity: layout, message: 'file does not end with a newline', file, line: lines.lineCount, column: lines.lineText(lines.lineCount).length + 1, plan: plan.id });
        }
        let inBlockScalar = -1;
        for (let line = 1; line <= lines.lineCount; line++) {
          const content = lines.lineText(line);
          const indent = /^[ \t]*/.exec(content)![0];
          if (inBlockScalar >= 0 && (content.trim() === '' || indent.length > inBlockScalar)) continue;
          inBlockScalar = /:\s*[|>][-+0-9]*\s*(?:#.*)?$/.test(content) || /^\s*-\s+[|>][-+0-9]*\s*$/.test(content) ? indent.length : -1;
          const tab = indent.indexOf('\t');
          if (tab !== -1) findings.push({ rule: 'yaml/tab-indent', severity: 'error', message: 'tab character in indentation; YAML indents with spaces', file, line, column: tab + 1, plan: plan.id });
          // A whitespace-only line carries nothing and is common in pasted examples (the seed's own backlog has one).
          if (/[ \t]$/.test(content) && content.trim() !== '') {
            const column = content.replace(/[ \t]+$/, '').length + 1;
            findings.push({ rule: 'yaml/trailing-space', severity: layout, message: 'trailing whitespace', file, line, column, plan: plan.id });
          }
          const match = PLAIN_VALUE.exec(content);
          if (match && TRUTHY.test(match[2]!)) {
            findings.push({ rule: 'yaml/truthy', severity: 'warning', message: `"${match[2]}" is a boolean in YAML 1.1 but a string in YAML 1.2; quote it or write true/false`, file, line, column: match[1]!.length + 1, plan: plan.id });
          }
        }
      }
    }
    return findings;
  },
};
