import { planOfPath } from '../workspace.js';
import { decodeTask, decodeVersion, versionProblem, type EncodedVersion, type TaskRecord } from './backlog_version.js';

/** A commit of the first-parent history that changed backlog files, as `git log --raw` lists it. */
export interface BacklogCommit {
  sha: string;
  /** Committer time, ms since the epoch. */
  time: number;
  /** The backlog files it changed: their new blob id, or null when deleted. */
  changes: Array<{ path: string; blob: string | null }>;
}

/** One change of a task: its state from that commit on (its record line, decoded), or null once it is gone. */
export interface TaskChange {
  at: number;
  commit: number;
  plan: string;
  line: string | null;
  record: TaskRecord | null;
}

/**
 * Every task's history along the first-parent chain, and the replay state that lets later
 * commits extend it without replaying everything (see serializeTimeline).
 */
export interface TaskTimeline {
  /** Oldest first; `at` never decreases (see extendTimeline). */
  commits: Array<{ sha: string; at: number }>;
  /** Every task's changes, oldest first. */
  tasks: Map<string, TaskChange[]>;
  notes: string[];
  /** Each backlog file's current version. */
  files: Map<string, EncodedVersion>;
  /** Which file a task id is read from, when two files hold it. */
  owner: Map<string, string>;
  duplicates: Set<string>;
  /** Commits whose committer time was older than their parent's. */
  clamped: number;
}

export function emptyTimeline(): TaskTimeline {
  return { commits: [], tasks: new Map(), notes: [], files: new Map(), owner: new Map(), duplicates: new Set(), clamped: 0 };
}

function idOf(line: string): string {
  const tab = line.indexOf('\t');
  return tab === -1 ? line : line.slice(0, tab);
}

/**
 * Replays commits (oldest first, continuing the timeline's last one) into per-task histories.
 * Times are committer times made non-decreasing along the first-parent chain, because rebased
 * or clock-skewed commits can carry times older than their parents, and a window must not see
 * a commit before the one it builds on.
 */
export function extendTimeline(timeline: TaskTimeline, commits: readonly BacklogCommit[], versionOf: (blob: string) => EncodedVersion | undefined, plansDir: string): TaskTimeline {
  const { files, owner, tasks, notes, duplicates } = timeline;
  const lines = new Map<string, string[]>();
  const linesOf = (path: string): string[] => {
    let known = lines.get(path);
    if (!known) lines.set(path, (known = decodeVersion(files.get(path) ?? '').tasks));
    return known;
  };
  const plans = new Map<string, string>();
  const planOf = (path: string): string => {
    let plan = plans.get(path);
    if (plan === undefined) plans.set(path, (plan = planOfPath(plansDir, path)?.plan ?? path));
    return plan;
  };
  let last = timeline.commits.at(-1)?.at ?? -Infinity;

  for (const commit of commits) {
    const index = timeline.commits.length;
    const at = Math.max(commit.time, last);
    if (at !== commit.time) timeline.clamped++;
    last = at;
    timeline.commits.push({ sha: commit.sha, at });
    const removed: Array<[string, string]> = [];
    const upserted: Array<[string, string, string]> = [];
    for (const change of commit.changes) {
      const encoded = change.blob === null ? '' : versionOf(change.blob);
      const problem = encoded === undefined ? 'missing' : versionProblem(encoded);
      if (encoded === undefined || problem !== undefined) {
        notes.push(`${change.path} at ${commit.sha.slice(0, 12)} could not be read (${problem}); its previous version stands in for it`);
        continue;
      }
      if (encoded === (files.get(change.path) ?? '')) continue;
      const current = decodeVersion(encoded).tasks;
      const [before, after] = changedLines(linesOf(change.path), current);
      files.set(change.path, encoded);
      lines.set(change.path, current);
      const kept = new Set(before);
      const added = after.filter((line) => !kept.delete(line));
      for (const line of kept) removed.push([idOf(line), change.path]);
      for (const line of added) upserted.push([idOf(line), change.path, line]);
    }
    const pending = new Set<string>();
    for (const [id, path] of removed) if (owner.get(id) === path) pending.add(id);
    for (const [id, path, line] of upserted) {
      const current = owner.get(id);
      if (current !== undefined && current !== path && !pending.has(id)) {
        if (!duplicates.has(id)) notes.push(`task ${id} is in both ${current} and ${path} (from ${commit.sha.slice(0, 12)}); the digest follows ${current}`);
        duplicates.add(id);
        continue;
      }
      pending.delete(id);
      owner.set(id, path);
      record(tasks, id, { at, commit: index, plan: planOf(path), line, record: null });
    }
    for (const id of pending) {
      const elsewhere = duplicates.has(id) ? findTask(files, id) : undefined;
      if (elsewhere) owner.set(id, elsewhere.path);
      else owner.delete(id);
      record(tasks, id, elsewhere ? { at, commit: index, plan: planOf(elsewhere.path), line: elsewhere.line, record: null } : { at, commit: index, plan: tasks.get(id)!.at(-1)!.plan, line: null, record: null });
    }
  }
  return timeline;
}

/** A task's line in whichever file still holds it (a duplicate id outliving its first file). */
function findTask(files: ReadonlyMap<string, EncodedVersion>, id: string): { path: string; line: string } | undefined {
  for (const [path, encoded] of files) {
    const line = decodeVersion(encoded).tasks.find((l) => idOf(l) === id);
    if (line) return { path, line };
  }
  return undefined;
}

/** The timeline's data-quality notes. */
export function timelineNotes(timeline: TaskTimeline): string[] {
  const notes = [...timeline.notes];
  if (timeline.clamped > 0) notes.push(`${timeline.clamped} commit(s) carry a committer time older than their parent's; they count from their parent's time`);
  return notes;
}

/**
 * The lines that differ between two versions (as line lists): what lies between their common
 * head and tail. Versions differ in a task or two, and comparing equal lines is a native memcmp.
 */
export function changedLines(a: readonly string[], b: readonly string[]): [string[], string[]] {
  const shorter = Math.min(a.length, b.length);
  let head = 0;
  while (head < shorter && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < shorter - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [a.slice(head, a.length - tail), b.slice(head, b.length - tail)];
}

function record(tasks: Map<string, TaskChange[]>, id: string, change: TaskChange): void {
  const history = tasks.get(id);
  const previous = history?.[history.length - 1];
  if (previous ? previous.line === change.line && previous.plan === change.plan : change.line === null) return;
  change.record = change.line === null ? null : decodeTask(change.line);
  if (history) history.push(change);
  else tasks.set(id, [change]);
}

/** The timeline as plain JSON, to cache it under the commit it was built up to. */
export interface SerializedTimeline {
  commits: Array<[string, number]>;
  tasks: Array<[string, Array<[number, number, string, string | null]>]>;
  notes: string[];
  files: Array<[string, string]>;
  owner: Array<[string, string]>;
  duplicates: string[];
  clamped: number;
}

export function serializeTimeline(t: TaskTimeline): SerializedTimeline {
  return {
    commits: t.commits.map((c) => [c.sha, c.at]),
    tasks: [...t.tasks].map(([id, history]) => [id, history.map((c) => [c.at, c.commit, c.plan, c.line] as [number, number, string, string | null])]),
    notes: t.notes,
    files: [...t.files],
    owner: [...t.owner],
    duplicates: [...t.duplicates],
    clamped: t.clamped,
  };
}

export function restoreTimeline(s: SerializedTimeline): TaskTimeline {
  return {
    commits: s.commits.map(([sha, at]) => ({ sha, at })),
    tasks: new Map(s.tasks.map(([id, history]) => [id, history.map(([at, commit, plan, line]) => ({ at, commit, plan, line, record: line === null ? null : decodeTask(line) }))])),
    notes: s.notes,
    files: new Map(s.files),
    owner: new Map(s.owner),
    duplicates: new Set(s.duplicates),
    clamped: s.clamped,
  };
}
