import { relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigResult } from '../commands/config.js';
import type { InitResult } from '../commands/init.js';
import type { LintResult } from '../commands/lint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { packageVersion } from '../io/package.js';
import { loadFormatter, type FormatName } from '../report/registry.js';
import type { Output } from './output.js';
import type { GlobalOptions } from './program.js';

/** Human renderings of command results; formatters for findings live in src/report. */

export function renderInit(result: InitResult, color: boolean): string {
  const mark = { created: color ? '\u001b[32m+\u001b[39m' : '+', updated: color ? '\u001b[33m~\u001b[39m' : '~', unchanged: ' ' };
  const changed = result.changes.filter((c) => c.action !== 'unchanged');
  const lines = changed.map((c) => `${mark[c.action]} ${c.path} (${c.action})`);
  lines.push(changed.length === 0 ? 'plan is already set up here; nothing changed' : `plan is set up in ${result.root}`);
  return lines.join('\n');
}

export function renderConfig(result: ConfigResult): string {
  const lines = [`# config file: ${result.file ?? '(none: built-in defaults)'}`];
  for (const [key, value] of Object.entries(result.config)) {
    const set = Object.keys(result.origin).filter((k) => k.startsWith(`${key}.`));
    const from = set.length > 0 ? `${result.origin[set[0]!]} (${set.map((k) => k.slice(key.length + 1)).join(', ')}); the rest default` : (result.origin[key] ?? 'default');
    lines.push(`# from ${from}`);
    lines.push(stringify({ [key]: value }).trimEnd());
  }
  lines.push('# rulebook files');
  lines.push(stringify({ rulebook: result.rulebook }).trimEnd());
  return lines.join('\n');
}

export async function renderLint(result: LintResult, format: string, output: Output, globals: GlobalOptions, outFile?: string): Promise<void> {
  const formatter = await loadFormatter(format as FormatName);
  const text = formatter(
    { findings: result.findings, filesChecked: result.filesChecked, toolVersion: packageVersion(), rules: result.rules },
    { color: outFile ? false : output.color, cwd: result.root },
  );
  if (outFile) {
    const target = resolve(globals.cwd, outFile);
    await writeFileAtomic(target, text.endsWith('\n') ? text : `${text}\n`);
    output.info(`wrote ${relative(globals.cwd, target) || target}: ${result.findings.length} findings`);
  } else output.result(text);
}
