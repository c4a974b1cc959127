import type { TaskRecord } from './backlog_version.js';
import { DAY_MS, addDays, dateAt, startOfDate } from './calendar.js';
import type { TaskChange, TaskTimeline } from './timeline.js';
import { compareText, sortByPlanAndId } from './order.js';
import type { CycleWindow } from './window.js';

export interface TaskRow {
  id: string;
  plan: string;
  title: string;
  status: string;
  points: number | null;
  priority: string | null;
  type: string | null;
}

export interface CompletedTask extends TaskRow {
  done_at: string;
  /** Days from the first in_progress (or, when it never was, from when it was added) to the final done. */
  cycle_time_days: number;
  started_from: 'in_progress' | 'added';
  reopens: number;
}

export interface TaskFacts {
  /** Open (neither done nor dropped) at the window's start. */
  committed: TaskRow[];
  /** Entered the window's work after it began: new, or brought back from dropped. */
  added: TaskRow[];
  /** Done before the window and reopened inside it. */
  reopened_into: TaskRow[];
  removed: Array<TaskRow & { reason: 'dropped' | 'deleted' }>;
  reestimated: Array<TaskRow & { from: number; to: number }>;
  completed: CompletedTask[];
  carried_over: TaskRow[];
  /** Tasks moved from done back to work inside the window, with how often. */
  reopened: Array<TaskRow & { times: number }>;
  /** Every task of the window's work: committed + added + reopened_into = removed + completed + carried_over. */
  in_cycle: number;
  /** Tasks in all backlogs at the window's end, dropped ones excluded. */
  total_at_end: number;
  defects_found: TaskRow[];
  /** Defects that appeared in a plan after its execution had begun. */
  defects_escaped: TaskRow[];
  /** Status changes inside the window; null is "not in any backlog". */
  transitions: Array<{ from: string | null; to: string | null; count: number }>;
  /** Open points of the window's work at each day boundary. */
  burndown: Array<{ label: string; at: number; remaining: number }>;
  /** Tasks of the window's work without effort_points (they count as 0 points). */
  unestimated: string[];
}

const isOpen = (t: TaskRecord | null): boolean => t !== null && t.status !== 'done' && t.status !== 'dropped';
const inScope = (t: TaskRecord | null): t is TaskRecord => t !== null && t.status !== 'dropped';

/** Index of the first change at or after `at`. */
function firstAtOrAfter(history: readonly TaskChange[], at: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function stateBefore(history: readonly TaskChange[], index: number): TaskRecord | null {
  return index > 0 ? history[index - 1]!.record : null;
}

function row(record: TaskRecord, plan: string): TaskRow {
  return { id: record.id, plan, title: record.title, status: record.status, points: record.points, priority: record.priority, type: record.type };
}

/**
 * What happened to the tasks in a window, from their histories. A task belongs to the window's
 * work when it was open at some moment of the window, or became done inside it.
 */
export function taskFacts(timeline: TaskTimeline, window: CycleWindow, now: number, executionStarts: ReadonlyMap<string, number>): TaskFacts {
  const facts: TaskFacts = { committed: [], added: [], reopened_into: [], removed: [], reestimated: [], completed: [], carried_over: [], reopened: [], in_cycle: 0, total_at_end: 0, defects_found: [], defects_escaped: [], transitions: [], burndown: [], unestimated: [] };
  const transitions = new Map<string, { from: string | null; to: string | null; count: number }>();
  const work: TaskChange[][] = [];

  for (const [id, history] of timeline.tasks) {
    const lo = firstAtOrAfter(history, window.start);
    const hi = firstAtOrAfter(history, window.end);
    const atStart = stateBefore(history, lo);
    const atEnd = stateBefore(history, hi);
    if (inScope(atEnd)) facts.total_at_end++;
    if (lo === 0 && hi > 0) {
      const first = history[0]!.record!;
      if (first.type === 'defect') {
        facts.defects_found.push(row(first, history[0]!.plan));
        const executing = executionStarts.get(history[0]!.plan);
        if (executing !== undefined && executing < history[0]!.at) facts.defects_escaped.push(row(first, history[0]!.plan));
      }
    }
    if (lo === hi && !isOpen(atStart)) continue;

    let open = isOpen(atStart);
    let doneAt: number | undefined;
    let reopens = 0;
    let previous = atStart;
    let firstInScope = inScope(atStart) ? atStart : null;
    let lastInScope = firstInScope;
    let lastPlan = lo > 0 ? history[lo - 1]!.plan : history[0]!.plan;
    for (let i = lo; i < hi; i++) {
      const change = history[i]!;
      const state = change.record;
      if (isOpen(state)) open = true;
      if (state?.status === 'done' && previous?.status !== 'done') doneAt = change.at;
      if (previous?.status === 'done' && isOpen(state)) reopens++;
      const from = previous?.status ?? null;
      const to = state?.status ?? null;
      if (from !== to) {
        const key = `${from}\u0000${to}`;
        const entry = transitions.get(key) ?? { from, to, count: 0 };
        entry.count++;
        transitions.set(key, entry);
      }
      if (inScope(state)) {
        firstInScope ??= state;
        lastInScope = state;
        lastPlan = change.plan;
      }
      previous = state;
    }
    if (!open && doneAt === undefined) continue;

    facts.in_cycle++;
    work.push(history);
    const plan = lastPlan;
    const shown = lastInScope ?? atStart ?? history[0]!.record!;
    if (isOpen(atStart)) facts.committed.push(row(atStart!, plan));
    else if (atStart?.status === 'done') facts.reopened_into.push(row(firstInScope ?? atStart, plan));
    else facts.added.push(row(firstInScope ?? shown, plan));
    if (reopens > 0) facts.reopened.push({ ...row(shown, plan), times: reopens });
    const before = inScope(atStart) ? atStart : firstInScope;
    if (before?.points != null && lastInScope?.points != null && before.points !== lastInScope.points) facts.reestimated.push({ ...row(lastInScope, plan), from: before.points, to: lastInScope.points });
    if ((lastInScope ?? shown).points === null) facts.unestimated.push(id);

    if (!inScope(atEnd)) facts.removed.push({ ...row(shown, plan), reason: atEnd === null ? 'deleted' : 'dropped' });
    else if (atEnd.status === 'done') facts.completed.push(completion(history, hi, atEnd, plan, doneAt!, window.timezone));
    else facts.carried_over.push(row(atEnd, plan));
  }

  facts.transitions = [...transitions.values()].sort((a, b) => b.count - a.count || compareText(a.from, b.from) || compareText(a.to, b.to));
  facts.burndown = burndown(work, window, now);
  facts.unestimated.sort(compareText);
  return facts;
}

const doneDates = new Map<string, string>();

/** Many tasks are done in the same commit, and formatting a date in a time zone is slow. */
function doneDate(timeZone: string, at: number): string {
  const key = `${timeZone} ${at}`;
  let date = doneDates.get(key);
  if (date === undefined) doneDates.set(key, (date = dateAt(timeZone, at)));
  return date;
}

/** The task lists in reading order (plan, then id); only the shown cycle needs it. */
export function sortTaskFacts(facts: TaskFacts): TaskFacts {
  return {
    ...facts,
    committed: sortByPlanAndId(facts.committed),
    added: sortByPlanAndId(facts.added),
    reopened_into: sortByPlanAndId(facts.reopened_into),
    removed: sortByPlanAndId(facts.removed),
    reestimated: sortByPlanAndId(facts.reestimated),
    completed: sortByPlanAndId(facts.completed),
    carried_over: sortByPlanAndId(facts.carried_over),
    reopened: sortByPlanAndId(facts.reopened),
    defects_found: sortByPlanAndId(facts.defects_found),
    defects_escaped: sortByPlanAndId(facts.defects_escaped),
  };
}

function completion(history: readonly TaskChange[], hi: number, done: TaskRecord, plan: string, doneAt: number, timeZone: string): CompletedTask {
  let started: number | undefined;
  let reopens = 0;
  let previous: string | null = null;
  for (let i = 0; i < hi; i++) {
    const status = history[i]!.record?.status ?? null;
    if (status === 'in_progress' && started === undefined) started = history[i]!.at;
    if (previous === 'done' && status !== null && status !== 'done' && status !== 'dropped') reopens++;
    previous = status;
  }
  const from = started ?? history[0]!.at;
  return { ...row(done, plan), done_at: doneDate(timeZone, doneAt), cycle_time_days: (doneAt - from) / DAY_MS, started_from: started === undefined ? 'added' : 'in_progress', reopens };
}

/** Open points of the window's work at the start of each day, and at the end (or now, while it runs). */
function burndown(work: readonly TaskChange[][], window: CycleWindow, now: number): TaskFacts['burndown'] {
  const until = Math.min(window.end, Math.max(now, window.start));
  const points: TaskFacts['burndown'] = [];
  for (let day = window.firstDay; ; day = addDays(day, 1)) {
    const at = Math.max(startOfDate(window.timezone, day), window.start);
    if (at >= until) break;
    points.push({ label: day.slice(5), at, remaining: 0 });
  }
  points.push({ label: until < window.end ? 'now' : 'end', at: until, remaining: 0 });
  for (const history of work) {
    for (const point of points) {
      const state = stateBefore(history, firstAtOrAfter(history, point.at));
      if (isOpen(state)) point.remaining += state!.points ?? 0;
    }
  }
  return points;
}
