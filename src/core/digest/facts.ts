import type { EventFacts } from './event_facts.js';
import type { HandoffRecord } from './handoffs.js';
import { mean, quantile, round } from './stats.js';
import type { TaskFacts } from './task_facts.js';

/**
 * The numbers KPI formulas read (rulebook/kpis.yaml). `double` facts are always numbers;
 * `dyn` facts are null when undefined for the cycle (no completed task has no median). When a
 * window has no backlog history at all, every task fact is null: "no data", not zero.
 */
export const FACT_TYPES = {
  cycle_days: 'double',
  tasks_committed: 'double',
  points_committed: 'double',
  tasks_added: 'double',
  points_added: 'double',
  tasks_removed: 'double',
  points_removed: 'double',
  tasks_reestimated: 'double',
  points_reestimated: 'double',
  tasks_reopened: 'double',
  reopens: 'double',
  tasks_in_cycle: 'double',
  tasks_completed: 'double',
  completed_points: 'double',
  tasks_carried_over: 'double',
  points_carried_over: 'double',
  tasks_total: 'double',
  completion_days_total: 'double',
  cycle_time_mean_days: 'dyn',
  cycle_time_median_days: 'dyn',
  cycle_time_p85_days: 'dyn',
  defects_found: 'double',
  defects_escaped: 'double',
  gates_total: 'double',
  gates_passed: 'double',
  gates_failed: 'double',
  handoffs_total: 'double',
  handoffs_verified: 'double',
  transitions: 'double',
  critical_issues: 'double',
} as const;

export type FactName = keyof typeof FACT_TYPES;
export type Facts = Record<FactName, number | null>;

const sum = (values: Array<number | null>): number => round(values.reduce<number>((a, b) => a + (b ?? 0), 0));

export function cycleFacts(days: number, tasks: TaskFacts | null, events: EventFacts, handoffs: readonly HandoffRecord[], criticalIssues: number): Facts {
  const times = tasks?.completed.map((t) => t.cycle_time_days) ?? [];
  const known = handoffs.filter((h) => h.verified !== null);
  const task = <T>(value: (t: TaskFacts) => T): T | null => (tasks ? value(tasks) : null);
  return {
    cycle_days: round(days),
    tasks_committed: task((t) => t.committed.length),
    points_committed: task((t) => sum(t.committed.map((r) => r.points))),
    tasks_added: task((t) => t.added.length),
    points_added: task((t) => sum(t.added.map((r) => r.points))),
    tasks_removed: task((t) => t.removed.length),
    points_removed: task((t) => sum(t.removed.map((r) => r.points))),
    tasks_reestimated: task((t) => t.reestimated.length),
    points_reestimated: task((t) => sum(t.reestimated.map((r) => r.to - r.from))),
    tasks_reopened: task((t) => t.reopened.length),
    reopens: task((t) => t.reopened.reduce((a, r) => a + r.times, 0)),
    tasks_in_cycle: task((t) => t.in_cycle),
    tasks_completed: task((t) => t.completed.length),
    completed_points: task((t) => sum(t.completed.map((r) => r.points))),
    tasks_carried_over: task((t) => t.carried_over.length),
    points_carried_over: task((t) => sum(t.carried_over.map((r) => r.points))),
    tasks_total: task((t) => t.total_at_end),
    completion_days_total: tasks ? round(times.reduce((a, b) => a + b, 0)) : null,
    cycle_time_mean_days: nullableRound(mean(times)),
    cycle_time_median_days: nullableRound(quantile(times, 0.5)),
    cycle_time_p85_days: nullableRound(quantile(times, 0.85)),
    defects_found: task((t) => t.defects_found.length),
    defects_escaped: task((t) => t.defects_escaped.length),
    gates_total: events.gate_runs,
    gates_passed: events.gates_passed,
    gates_failed: events.gates_failed,
    handoffs_total: known.length,
    handoffs_verified: known.filter((h) => h.verified).length,
    transitions: events.transitions,
    critical_issues: criticalIssues,
  };
}

function nullableRound(value: number | null): number | null {
  return value === null ? null : round(value);
}
