import { relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigResult } from '../commands/config.js';
import type { InitResult } from '../commands/init.js';
import type { LintResult } from '../commands/lint.js';
import type { TransitionResult } from '../commands/transition.js';
import type { StatusResult } from '../commands/status.js';
import type { Finding } from '../core/finding.js';
import { describeRule } from '../core/rules.js';
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

/** Renders findings in one of the lint formats. */
export async function formatFindings(findings: Finding[], filesChecked: number, format: string, color: boolean, root: string): Promise<string> {
  const formatter = await loadFormatter(format as FormatName);
  const rules = [...new Set(findings.map((f) => f.rule))].sort().map(describeRule);
  return formatter({ findings, filesChecked, toolVersion: packageVersion(), rules }, { color, cwd: root });
}

export async function renderLint(result: LintResult, format: string, output: Output, globals: GlobalOptions, outFile?: string): Promise<void> {
  const text = await formatFindings(result.findings, result.filesChecked, format, outFile ? false : output.color, result.root);
  if (outFile) {
    const target = resolve(globals.cwd, outFile);
    await writeFileAtomic(target, text.endsWith('\n') ? text : `${text}\n`);
    output.info(`wrote ${relative(globals.cwd, target) || target}: ${result.findings.length} findings`);
  } else output.result(text);
}

export async function renderTransition(result: TransitionResult, output: Output, format: string): Promise<void> {
  if (format === 'json-result') {
    output.result(JSON.stringify(result, null, 2));
    return;
  }
  const arrow = `${result.from ?? '(new)'} → ${result.to ?? '?'}`;
  if (result.outcome === 'applied') {
    output.result(`${result.plan}: ${result.event} (${arrow})${result.gate ? `, gate ${result.gate.gate} passed` : ''}${result.commit ? `, committed ${result.commit.slice(0, 12)}` : ''}`);
    return;
  }
  if (result.outcome === 'would-apply') {
    output.result(`${result.plan}: ${result.event} (${arrow}) would apply${result.gate ? `; gate ${result.gate.gate} passes` : ''} (dry run, nothing written)`);
    return;
  }
  const lines = [result.governance ? `${result.plan}: refused by governance:` : `${result.plan}: refused: ${result.reason}`];
  for (const v of result.governance ?? []) lines.push(`  ${v.rule} (${v.requirement}): ${v.message}`);
  if (result.gate) {
    lines.push(`gate ${result.gate.gate}: ${Object.entries(result.gate.results).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(await formatFindings(result.gate.findings, 0, format, output.color, '.'));
  }
  lines.push(`allowed from ${result.from ?? '(no state)'}: ${result.allowed.join(', ') || '(none: terminal state)'}`);
  if (result.recordedFailure) lines.push(`recorded ${result.recordedFailure} (GATE_FAILED)`);
  output.result(lines.join('\n'));
}

export function renderStatus(result: StatusResult, color: boolean): string {
  if (result.plans.length === 0) return 'no plans yet; create one with: plan new <id>';
  const green = (s: string) => (color ? `\u001b[32m${s}\u001b[39m` : s);
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[39m` : s);
  const width = Math.max(...result.plans.map((p) => p.plan.length));
  return result.plans
    .map((p) => {
      const head = `${p.plan.padEnd(width)}  ${(p.state ?? '(no state)').padEnd(17)}  ${p.since ? `since ${p.since}` : ''}${p.hasFiles ? '' : '  (no plan folder)'}`;
      const next = p.next.map((n) => {
        const gateBlocked = n.blocking && Object.keys(n.blocking).length > 0;
        const gate = !n.gate ? '' : n.ready === undefined ? ` [gate ${n.gate}]` : gateBlocked ? red(` [gate ${n.gate}: blocked by ${Object.entries(n.blocking!).map(([r, c]) => `${r}×${c}`).join(', ')}]`) : n.ready ? green(` [gate ${n.gate}: ready]`) : n.governance ? green(` [gate ${n.gate}: passes]`) : red(` [gate ${n.gate}: the plan has no files]`);
        const governance = (n.governance ?? []).map((g) => `\n        ${red('governance')} ${g}`).join('');
        return `    → ${n.event} (${n.to})${gate}${governance}`;
      });
      return [head.trimEnd(), ...next].join('\n');
    })
    .join('\n');
}
