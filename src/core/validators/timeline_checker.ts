import type { Finding } from '../finding.js';
import { locateTask, type Task } from '../workspace.js';
import type { Validator } from './types.js';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a YYYY-MM-DD calendar date, computed in UTC; undefined for anything else (2024-02-30 too). */
export function dayNumber(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

/** The YYYY-MM-DD string of a day number (inverse of dayNumber). */
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Tasks that are finished or abandoned do not constrain plans any more. */
export function isClosed(task: Task): boolean {
  const status = task.fields['status'];
  return status === 'done' || status === 'dropped';
}

/**
 * Dates make sense: no task is due before it starts, none starts before a task it depends on is due
 * (dependencies may live in other plans), and no open task is due further ahead than horizon_days.
 * Invalid dates are ignored here; the backlog schema reports them.
 */
export const timelineCheckerValidator: Validator = {
  type: 'timeline_checker',
  run(context, options) {
    const horizon = typeof options['horizon_days'] === 'number' ? options['horizon_days'] : 90;
    const today = dayNumber(context.today);
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      for (const task of plan.tasks) {
        if (!context.inScope(task.file)) continue;
        const start = dayNumber(task.fields['start']);
        const due = dayNumber(task.fields['due']);
        const at = (path: Array<string | number>) => ({ file: task.file, ...locateTask(context.workspace, task, path), plan: task.plan, task: task.id });

        if (start !== undefined && due !== undefined && start > due) {
          findings.push({
            rule: 'timeline/start-after-due',
            severity: 'error',
            message: `task ${task.id} starts ${dateOfDay(start)}, ${start - due} day(s) after its due date ${dateOfDay(due)}`,
            ...at(['start']),
          });
        }

        if (start !== undefined) {
          task.dependencies.forEach((depId) => {
            const dep = context.workspace.tasks.get(depId);
            // A dropped dependency will never be delivered, so its date constrains nothing.
            if (!dep || dep === task || dep.fields['status'] === 'dropped') return;
            const depDue = dayNumber(dep.fields['due']);
            if (depDue === undefined || start >= depDue) return;
            const where = dep.plan === task.plan ? '' : ` (plan ${dep.plan})`;
            findings.push({
              rule: 'timeline/starts-before-dependency-due',
              severity: 'error',
              message: `task ${task.id} starts ${dateOfDay(start)}, before its dependency ${dep.id}${where} is due ${dateOfDay(depDue)}`,
              ...at(['start']),
            });
          });
        }

        if (today !== undefined && due !== undefined && !isClosed(task) && due - today > horizon) {
          findings.push({
            rule: 'timeline/beyond-horizon',
            severity: 'warning',
            message: `task ${task.id} is due ${dateOfDay(due)}, ${due - today} days from today (${dateOfDay(today)}), beyond the ${horizon}-day horizon`,
            ...at(['due']),
          });
        }
      }
    }
    return findings;
  },
};
