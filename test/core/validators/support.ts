import { DEFAULT_CONFIG, taskIdRegex, type PlanConfig } from '../../../src/core/config.js';
import type { Finding } from '../../../src/core/finding.js';
import type { ValidationContext, Validator } from '../../../src/core/validators/types.js';
import { buildWorkspace, type Workspace } from '../../../src/core/workspace.js';

/** An in-memory planning repository from path → text. */
export function workspaceOf(files: Record<string, string>, config: PlanConfig = DEFAULT_CONFIG): Workspace {
  const sources = Object.entries(files).map(([path, text]) => ({ path, bytes: Buffer.from(text), kind: 'file' as const }));
  return buildWorkspace(sources, Object.keys(files), config, taskIdRegex(config));
}

export function contextOf(workspace: Workspace, extra: Partial<ValidationContext> = {}, config: PlanConfig = DEFAULT_CONFIG): ValidationContext {
  return { workspace, config, taskIdPattern: taskIdRegex(config), governanceTags: [], checkSchema: () => [], inScope: () => true, ...extra };
}

export function run(validator: Validator, files: Record<string, string>, extra: Partial<ValidationContext> = {}, options: Record<string, unknown> = {}, config: PlanConfig = DEFAULT_CONFIG): Finding[] {
  return validator.run(contextOf(workspaceOf(files, config), extra, config), options);
}

/** A backlog with one task per entry: each entry's keys become the task's YAML fields, in order. */
export function backlog(tasks: Array<Record<string, string | number | string[]>>): string {
  const lines = ['tasks:'];
  for (const task of tasks) {
    let first = true;
    for (const [key, value] of Object.entries(task)) {
      const text = Array.isArray(value) ? `[${value.join(', ')}]` : typeof value === 'number' ? String(value) : key === 'start' || key === 'due' ? value : JSON.stringify(value);
      lines.push(`${first ? '  - ' : '    '}${key}: ${text}`);
      first = false;
    }
  }
  return lines.join('\n') + '\n';
}

export function plan(id: string): string {
  return `id: ${id}\ntitle: Plan ${id}\nowner: someone\n`;
}
