import type { HandoffRecord } from './handoffs.js';
import type { TaskFacts } from './task_facts.js';

export interface CriticalIssue {
  kind: 'handoff_unverified' | 'defect_escaped' | 'blocked_p0';
  message: string;
}

const URGENT = new Set(['P0', 'P1']);

/**
 * What needs someone today: a handoff sealed in the cycle that does not verify, a P0/P1 defect
 * that escaped past execution, a P0 task blocked at the cycle's end.
 */
export function criticalIssues(tasks: TaskFacts | null, handoffs: readonly HandoffRecord[]): CriticalIssue[] {
  const issues: CriticalIssue[] = [];
  for (const h of handoffs) {
    if (h.verified === false) issues.push({ kind: 'handoff_unverified', message: `handoff ${h.manifest} does not verify: ${h.problems[0] ?? 'see plan verify'}` });
  }
  for (const d of tasks?.defects_escaped ?? []) {
    if (d.priority && URGENT.has(d.priority)) issues.push({ kind: 'defect_escaped', message: `${d.priority} defect ${d.id} (${d.title}) appeared in ${d.plan} after execution began` });
  }
  for (const t of tasks?.carried_over ?? []) {
    if (t.priority === 'P0' && t.status === 'blocked') issues.push({ kind: 'blocked_p0', message: `P0 task ${t.id} (${t.title}) in ${t.plan} is blocked at the end of the cycle` });
  }
  return issues;
}
