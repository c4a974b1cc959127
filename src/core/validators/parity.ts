import type { Finding } from '../finding.js';
import { BACKLOG_FILE, PLAN_FILE, type Plan } from '../workspace.js';
import type { ValidationContext, Validator } from './types.js';

/**
 * Gate 3's parity: nothing the plan's last sealed handoff recorded has disappeared. Every sealed
 * task id is still in the plan's backlog (a task dropped on purpose stays, with `status: dropped`),
 * and every sealed file still exists.
 */
export const parityValidator: Validator = {
  type: 'parity',
  run(context) {
    if (!context.lastHandoff) return [];
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      if (!planInScope(context, plan)) continue;
      const handoff = context.lastHandoff(plan.id);
      const planFile = plan.artifacts.get(PLAN_FILE)?.path ?? `${plan.dir}/${PLAN_FILE}`;
      if (!handoff) {
        findings.push({ rule: 'parity/no-handoff', severity: 'info', message: `plan ${plan.id} has no sealed handoff yet; parity is checked from the first seal on`, file: planFile, plan: plan.id });
        continue;
      }
      const sealed = `handoff #${handoff.sequence} (${handoff.manifest})`;
      const present = new Set(plan.tasks.map((t) => t.id));
      const backlog = plan.artifacts.get(BACKLOG_FILE);
      const backlogAt = { file: backlog?.path ?? `${plan.dir}/${BACKLOG_FILE}`, ...(backlog?.data?.value !== undefined ? backlog.data.locate(['tasks'], 'key') : {}) };
      for (const id of handoff.taskIds) {
        if (present.has(id)) continue;
        const elsewhere = context.workspace.tasks.get(id)?.plan;
        const moved = elsewhere !== undefined && elsewhere !== plan.id ? ` (it is now in plan ${elsewhere})` : '';
        findings.push({
          rule: 'parity/task-removed',
          severity: 'error',
          message: `task ${id} was sealed in ${sealed} but is gone from the backlog${moved}; to drop it on purpose, keep it with status: dropped`,
          ...backlogAt,
          plan: plan.id,
          task: id,
        });
      }
      for (const file of handoff.files) {
        if (context.workspace.files.has(file)) continue;
        findings.push({ rule: 'parity/file-removed', severity: 'error', message: `${file} was sealed in ${sealed} but no longer exists`, file, plan: plan.id });
      }
    }
    return findings;
  },
};

/** A plan is checked when any of its files, or the plan.yaml it should have, is in scope. */
function planInScope(context: ValidationContext, plan: Plan): boolean {
  for (const artifact of plan.artifacts.values()) if (context.inScope(artifact.path)) return true;
  return context.inScope(`${plan.dir}/${PLAN_FILE}`);
}
