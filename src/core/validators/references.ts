import type { Finding } from '../finding.js';
import { STORY_MAP_FILE, PLAN_FILE, locateTask, type Plan } from '../workspace.js';
import type { ValidationContext, Validator } from './types.js';

/**
 * Everything a plan names must exist: task ids are unique across the repository, dependencies
 * resolve (across plans too), story-map task references resolve, and the files plan.yaml points
 * at exist inside the plan folder.
 */
export const referencesValidator: Validator = {
  type: 'references',
  run(context) {
    const findings: Finding[] = [];
    let byStem: Map<string, string[]> | undefined;
    const stems = (): Map<string, string[]> => {
      if (!byStem) {
        byStem = new Map();
        for (const id of context.workspace.tasks.keys()) {
          const stem = stemOf(id);
          const list = byStem.get(stem);
          if (list) list.push(id);
          else byStem.set(stem, [id]);
        }
      }
      return byStem;
    };
    for (const plan of context.workspace.plans.values()) {
      duplicateTasks(context, plan, findings);
      unknownDependencies(context, plan, findings, stems);
      storyMapReferences(context, plan, findings);
      planFileReferences(context, plan, findings);
    }
    return findings;
  },
};

function duplicateTasks(context: ValidationContext, plan: Plan, findings: Finding[]): void {
  for (const task of plan.tasks) {
    if (!context.inScope(task.file)) continue;
    const same = context.workspace.duplicates.get(task.id);
    if (!same) continue;
    const others = same.filter((t) => t !== task).map((t) => `${t.file} (tasks[${t.index}])`);
    findings.push({ rule: 'ref/duplicate-task', severity: 'error', message: `task id "${task.id}" is also defined in ${others.join(', ')}`, file: task.file, ...locateTask(context.workspace, task, ['id']), plan: plan.id, task: task.id });
  }
}

/** `PLN-BE-002` → `PLN-BE`: typos mostly keep the stem, so suggestions need not scan 100,000 ids. */
function stemOf(id: string): string {
  return id.replace(/[-_.]?[0-9]+$/, '');
}

function unknownDependencies(context: ValidationContext, plan: Plan, findings: Finding[], stems: () => Map<string, string[]>): void {
  for (const task of plan.tasks) {
    if (!context.inScope(task.file)) continue;
    task.dependencies.forEach((dep, j) => {
      if (context.workspace.tasks.has(dep)) return;
      // dependencies may cross plans: look among this plan's tasks and every task sharing the id's stem
      const hint = closest(dep, [...plan.tasks.map((t) => t.id), ...(stems().get(stemOf(dep)) ?? [])]);
      findings.push({
        rule: 'ref/unknown-dependency',
        severity: 'error',
        message: `task ${task.id} depends on unknown task "${dep}"${hint ? `; did you mean "${hint}"?` : ''}`,
        file: task.file,
        ...locateTask(context.workspace, task, ['dependencies', j]),
        plan: plan.id,
        task: task.id,
      });
    });
  }
}

function storyMapReferences(context: ValidationContext, plan: Plan, findings: Finding[]): void {
  const map = plan.artifacts.get(STORY_MAP_FILE);
  if (!map?.storyMap || !context.inScope(map.path)) return;
  for (const ref of map.storyMap.taskRefs) {
    if (context.workspace.tasks.has(ref.id)) continue;
    findings.push({ rule: 'ref/unknown-story-task', severity: 'error', message: `story map references unknown task "${ref.id}"`, file: map.path, line: ref.line, column: ref.column, plan: plan.id });
  }
}

function planFileReferences(context: ValidationContext, plan: Plan, findings: Finding[]): void {
  const artifact = plan.artifacts.get(PLAN_FILE);
  const meta = plan.meta;
  if (!artifact?.data || !meta || !context.inScope(artifact.path)) return;
  const named: Array<{ value: unknown; path: Array<string | number> }> = [{ value: meta['rollback_plan'], path: ['rollback_plan'] }];
  if (Array.isArray(meta['artifacts'])) meta['artifacts'].forEach((value, i) => named.push({ value, path: ['artifacts', i] }));
  for (const { value, path } of named) {
    if (typeof value !== 'string' || value === '') continue;
    const at = { file: artifact.path, ...artifact.data.locate(path), plan: plan.id };
    const normalized = normalizeInside(value);
    if (normalized === undefined) {
      findings.push({ rule: 'ref/path-escape', severity: 'error', message: `"${value}" leaves the plan folder; artifacts must live inside ${plan.dir}/`, ...at });
    } else if (!context.workspace.files.has(`${plan.dir}/${normalized}`)) {
      findings.push({ rule: 'ref/missing-artifact', severity: 'error', message: `${path[0]} names "${value}", which does not exist in ${plan.dir}/`, ...at });
    }
  }
}

/** A relative path resolved inside its folder, or undefined when it is absolute or climbs out. */
export function normalizeInside(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\') || path.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.length === 0 ? undefined : parts.join('/');
}

function closest(target: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(target.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(target, candidate, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit || a === b) return a === b ? 0 : limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
