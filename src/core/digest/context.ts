import type { PlanningEvent } from '../events.js';
import { criticalIssues, type CriticalIssue } from './critical_issues.js';
import { eventFacts, executionStarts, type EventFacts, type GateRun } from './event_facts.js';
import { cycleFacts, type Facts } from './facts.js';
import { handoffsIn, type HandoffRecord } from './handoffs.js';
import { kpiStatus, type CompiledKpi, type KpiDefinition, type KpiStatus } from './kpis.js';
import { stateChart, xyChart } from './mermaid.js';
import { round } from './stats.js';
import { sortTaskFacts, taskFacts, type CompletedTask, type TaskFacts, type TaskRow } from './task_facts.js';
import { timelineNotes, type TaskTimeline } from './timeline.js';
import { sparkline, trendOf, type Trend } from './trend.js';
import { elapsedDays, type CycleWindow } from './window.js';

/** Cycles the trend column compares with (seed §7.2: previous_cycles=3). */
export const TREND_CYCLES = 3;
/** Cycles the velocity chart shows before the current one. */
export const VELOCITY_CYCLES = 6;

export interface DigestInput {
  window: CycleWindow;
  /** Windows before it, oldest first; the last TREND_CYCLES give the trend. */
  previous: CycleWindow[];
  now: number;
  timeline: TaskTimeline;
  events: readonly PlanningEvent[];
  handoffs: readonly HandoffRecord[];
  kpis: readonly CompiledKpi[];
  tool: { name: string; version: string };
  /** Data-quality notes gathered while reading (unreadable event lines, verification that could not run). */
  notes: readonly string[];
}

export interface KpiResult extends KpiDefinition {
  actual: number | null;
  status: KpiStatus;
  previous: Array<{ cycle: string; value: number | null }>;
  trend: Trend | null;
  sparkline: string;
}

export interface DigestContext {
  schema: 'plan-digest/1';
  title: string;
  generated_at: string;
  tool: { name: string; version: string };
  cycle: {
    id: string;
    kind: 'cycle' | 'range';
    start: string;
    end: string;
    first_day: string;
    last_day: string;
    days: number;
    elapsed_days: number;
    timezone: string;
    in_progress: boolean;
    /** Backlog commits inside the window, and the last ones before its start and its end. */
    commits: number;
    start_commit: string | null;
    end_commit: string | null;
  };
  executive: {
    cycle_days: number;
    tasks_completed: number | null;
    tasks_planned: number | null;
    completion_rate: number | null;
    points_completed: number | null;
    quality_gate_pass_rate: number | null;
    critical_issues: number;
  };
  kpis: KpiResult[];
  facts: Facts;
  scope: {
    has_data: boolean;
    committed: { tasks: number | null; points: number | null };
    added: TaskRow[];
    removed: Array<TaskRow & { reason: 'dropped' | 'deleted' }>;
    reestimated: Array<TaskRow & { from: number; to: number }>;
    reopened_into: TaskRow[];
  };
  completed: CompletedTask[];
  carried_over: TaskRow[];
  reopened: Array<TaskRow & { times: number }>;
  cycle_time: { samples: number; mean_days: number | null; median_days: number | null; p85_days: number | null; reopens: number; started_when_added: number };
  gates: { runs: number; passed: number; failed: number; pass_rate: number | null; by_gate: Array<EventFacts['by_gate'][number] & { pass_rate: number }>; failures: GateRun[] };
  handoffs: { total: number; verified: number; records: HandoffRecord[] };
  defects: { found: TaskRow[]; escaped: TaskRow[] };
  transitions: { tasks: TaskFacts['transitions']; lifecycle: EventFacts['lifecycle'] };
  critical_issues: CriticalIssue[];
  charts: { velocity: string | null; burndown: string | null; task_transitions: string | null; lifecycle: string | null };
  history: Array<{ cycle: string; first_day: string; last_day: string; has_data: boolean; completed_points: number | null; tasks_completed: number | null; kpis: Record<string, number | null> }>;
  notes: string[];
}

interface Measured {
  window: CycleWindow;
  tasks: TaskFacts | null;
  events: EventFacts;
  handoffs: HandoffRecord[];
  critical: CriticalIssue[];
  facts: Facts;
  values: Array<{ value: number | null; error?: string }>;
}

const percent = (part: number, whole: number): number | null => (whole > 0 ? round((part / whole) * 100) : null);
const iso = (at: number): string => new Date(at).toISOString().replace('.000Z', 'Z');

/** Everything a digest shows, computed; templates and formats only present it. */
export function buildDigest(input: DigestInput): DigestContext {
  const { timeline, now } = input;
  const firstCommit = timeline.commits[0]?.at;
  const execution = executionStarts(input.events);
  const measure = (window: CycleWindow): Measured => {
    const tasks = firstCommit !== undefined && firstCommit < window.end ? taskFacts(timeline, window, now, execution) : null;
    const events = eventFacts(input.events, window);
    const handoffs = handoffsIn(input.handoffs, window);
    const critical = criticalIssues(tasks, handoffs);
    const facts = cycleFacts(elapsedDays(window, now), tasks, events, handoffs, critical.length);
    return { window, tasks, events, handoffs, critical, facts, values: input.kpis.map((k) => k.evaluate(facts)) };
  };
  const measured = measure(input.window);
  const current = { ...measured, tasks: measured.tasks && sortTaskFacts(measured.tasks) };
  const earlier = input.previous.map(measure);
  const recent = earlier.slice(-TREND_CYCLES);
  const { window, tasks, events, facts } = current;

  const kpis: KpiResult[] = input.kpis.map((kpi, i) => {
    const actual = current.values[i]!.value;
    const previous = recent.map((m) => ({ cycle: m.window.id, value: m.values[i]!.value }));
    return {
      name: kpi.name,
      title: kpi.title,
      description: kpi.description,
      formula: kpi.formula,
      unit: kpi.unit,
      target: kpi.target,
      direction: kpi.direction,
      at_risk_tolerance: kpi.at_risk_tolerance,
      actual,
      status: kpiStatus(kpi, actual),
      previous,
      trend: trendOf(actual, previous.map((p) => p.value), kpi.direction),
      sparkline: sparkline([...previous.map((p) => p.value), actual]),
    };
  });

  const inWindow = timeline.commits.filter((c) => c.at >= window.start && c.at < window.end).length;
  const lastBefore = (at: number): string | null => {
    let sha: string | null = null;
    for (const c of timeline.commits) {
      if (c.at >= at) break;
      sha = c.sha;
    }
    return sha;
  };
  const completed = tasks?.completed ?? [];
  const planned = tasks ? tasks.completed.length + tasks.carried_over.length : null;

  return {
    schema: 'plan-digest/1',
    title: `Planning Cycle Digest - ${window.id}`,
    generated_at: iso(now),
    tool: input.tool,
    cycle: {
      id: window.id,
      kind: window.kind,
      start: iso(window.start),
      end: iso(window.end),
      first_day: window.firstDay,
      last_day: window.lastDay,
      days: round(window.days),
      elapsed_days: facts.cycle_days!,
      timezone: window.timezone,
      in_progress: now < window.end,
      commits: inWindow,
      start_commit: lastBefore(window.start),
      end_commit: lastBefore(window.end),
    },
    executive: {
      cycle_days: facts.cycle_days!,
      tasks_completed: facts.tasks_completed,
      tasks_planned: planned,
      completion_rate: planned === null ? null : percent(completed.length, planned),
      points_completed: facts.completed_points,
      quality_gate_pass_rate: percent(events.gates_passed, events.gate_runs),
      critical_issues: current.critical.length,
    },
    kpis,
    facts,
    scope: {
      has_data: tasks !== null,
      committed: { tasks: facts.tasks_committed, points: facts.points_committed },
      added: tasks?.added ?? [],
      removed: tasks?.removed ?? [],
      reestimated: tasks?.reestimated ?? [],
      reopened_into: tasks?.reopened_into ?? [],
    },
    completed,
    carried_over: tasks?.carried_over ?? [],
    reopened: tasks?.reopened ?? [],
    cycle_time: {
      samples: completed.length,
      mean_days: facts.cycle_time_mean_days,
      median_days: facts.cycle_time_median_days,
      p85_days: facts.cycle_time_p85_days,
      reopens: completed.reduce((a, t) => a + t.reopens, 0),
      started_when_added: completed.filter((t) => t.started_from === 'added').length,
    },
    gates: {
      runs: events.gate_runs,
      passed: events.gates_passed,
      failed: events.gates_failed,
      pass_rate: percent(events.gates_passed, events.gate_runs),
      by_gate: events.by_gate.map((g) => ({ ...g, pass_rate: percent(g.passed, g.runs)! })),
      failures: events.failures,
    },
    handoffs: { total: facts.handoffs_total!, verified: facts.handoffs_verified!, records: current.handoffs },
    defects: { found: tasks?.defects_found ?? [], escaped: tasks?.defects_escaped ?? [] },
    transitions: { tasks: tasks?.transitions ?? [], lifecycle: events.lifecycle },
    critical_issues: current.critical,
    charts: charts(current, earlier),
    history: [...earlier, current].map((m) => ({
      cycle: m.window.id,
      first_day: m.window.firstDay,
      last_day: m.window.lastDay,
      has_data: m.tasks !== null,
      completed_points: m.facts.completed_points,
      tasks_completed: m.facts.tasks_completed,
      kpis: Object.fromEntries(input.kpis.map((k, i) => [k.name, m.values[i]!.value])),
    })),
    notes: notes(input, current, recent),
  };
}

function charts(current: Measured, earlier: readonly Measured[]): DigestContext['charts'] {
  const velocity = [...earlier.slice(-VELOCITY_CYCLES), current].filter((m) => m.tasks !== null);
  const burndown = current.tasks?.burndown ?? [];
  const { start, end } = current.window;
  const first = burndown[0]?.remaining ?? 0;
  return {
    velocity: velocity.length === 0 ? null : xyChart('Velocity: points completed per cycle', velocity.map((m) => m.window.firstDay), 'points', [{ kind: 'bar', values: velocity.map((m) => m.facts.completed_points ?? 0) }]),
    burndown:
      burndown.length < 2
        ? null
        : xyChart('Burndown: open points of the cycle', burndown.map((p) => p.label), 'points', [
            { kind: 'line', values: burndown.map((p) => p.remaining) },
            { kind: 'line', values: burndown.map((p) => round(first * (1 - (p.at - start) / (end - start)), 2)) },
          ]),
    task_transitions: current.tasks && current.tasks.transitions.length > 0 ? stateChart(current.tasks.transitions.map((t) => ({ from: t.from, to: t.to, label: String(t.count) }))) : null,
    lifecycle: current.events.lifecycle.length > 0 ? stateChart(current.events.lifecycle.map((t) => ({ from: t.from, to: t.to, label: `${t.event} (${t.count})` }))) : null,
  };
}

function notes(input: DigestInput, current: Measured, recent: readonly Measured[]): string[] {
  const out = [...timelineNotes(input.timeline), ...input.notes];
  const { window, tasks } = current;
  if (input.now < window.end) out.push(`The cycle is in progress (day ${current.facts.cycle_days} of ${round(window.days)}): figures are as of ${iso(input.now)}, and velocity is over the days so far.`);
  if (!tasks) out.push('No backlog file was committed before the end of this cycle: task figures are no data.');
  else {
    if (tasks.unestimated.length > 0) out.push(`${tasks.unestimated.length} task(s) of the cycle have no effort_points and count as 0 points: ${list(tasks.unestimated)}.`);
    const unstarted = tasks.completed.filter((t) => t.started_from === 'added');
    if (unstarted.length > 0) out.push(`${unstarted.length} completed task(s) never were in_progress; their cycle time counts from when they were added: ${list(unstarted.map((t) => t.id))}.`);
  }
  const withData = recent.filter((m) => m.tasks !== null).length;
  if (withData === 0) out.push('No earlier cycle has backlog history, so there are no trends yet.');
  else if (withData < TREND_CYCLES) out.push(`Backlog history covers only ${withData} of the previous ${TREND_CYCLES} cycles; trends compare with ${withData === 1 ? 'that one' : 'those'}.`);
  input.kpis.forEach((kpi, i) => {
    const error = current.values[i]!.error;
    if (error) out.push(`KPI ${kpi.name}: the formula failed (${error}), so it shows no data.`);
  });
  return out;
}

function list(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}
