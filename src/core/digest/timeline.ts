import { planOfPath } from '../workspace.js';
import { decodeVersion, type EncodedVersion } from './backlog_version.js';

/** A commit of the first-parent history that changed backlog files, as `git log --raw` lists it. */
export interface BacklogCommit {
  sha: string;
  /** Committer time, ms since the epoch. */
  time: number;
  /** The backlog files it changed: their new blob id, or null when deleted. */
  changes: Array<{ path: string; blob: string | null }>;
}

/** One change of a task: its record line (see backlog_version.ts) from that commit on, or null once it is gone. */
export interface TaskChange {
  at: number;
  commit: number;
  plan: string;
  line: string | null;
}

export interface TaskTimeline {
  /** Oldest first; `at` never decreases (see buildTimeline). */
  commits: Array<{ sha: string; at: number }>;
  /** Every task's changes, oldest first. */
  tasks: Map<string, TaskChange[]>;
  notes: string[];
}

function idOf(line: string): string {
  const tab = line.indexOf('\t');
  return tab === -1 ? line : line.slice(0, tab);
}

/**
 * Replays the backlog history commit by commit into per-task histories. Times are committer
 * times made non-decreasing along the first-parent chain, because rebased or clock-skewed
 * commits can carry times older than their parents, and a window must not see a commit before
 * the one it builds on.
 */
export function buildTimeline(commits: readonly BacklogCommit[], versionOf: (blob: string) => EncodedVersion | undefined, plansDir: string): TaskTimeline {
  const files = new Map<string, { encoded: string; lines: string[] }>();
  const owner = new Map<string, string>();
  const tasks = new Map<string, TaskChange[]>();
  const notes: string[] = [];
  const duplicates = new Set<string>();
  const timeline: TaskTimeline['commits'] = [];
  let clamped = 0;
  let last = -Infinity;

  commits.forEach((commit, index) => {
    const at = Math.max(commit.time, last);
    if (at !== commit.time) clamped++;
    last = at;
    timeline.push({ sha: commit.sha, at });
    const removed: Array<[string, string]> = [];
    const upserted: Array<[string, string, string]> = [];
    for (const change of commit.changes) {
      const old = files.get(change.path) ?? { encoded: '', lines: [] };
      const encoded = change.blob === null ? '' : versionOf(change.blob);
      if (encoded === undefined || encoded.startsWith('!')) {
        notes.push(`${change.path} at ${commit.sha.slice(0, 12)} could not be read${encoded ? ` (${encoded.slice(1)})` : ''}; its previous version stands in for it`);
        continue;
      }
      if (encoded === old.encoded) continue;
      const lines = decodeVersion(encoded).tasks;
      files.set(change.path, { encoded, lines });
      // Versions differ in a few lines: compare only what lies between the common head and tail.
      let head = 0;
      while (head < old.lines.length && head < lines.length && old.lines[head] === lines[head]) head++;
      let tail = 0;
      while (tail < old.lines.length - head && tail < lines.length - head && old.lines[old.lines.length - 1 - tail] === lines[lines.length - 1 - tail]) tail++;
      for (let i = head; i < old.lines.length - tail; i++) removed.push([idOf(old.lines[i]!), change.path]);
      for (let i = head; i < lines.length - tail; i++) upserted.push([idOf(lines[i]!), change.path, lines[i]!]);
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
      record(tasks, id, { at, commit: index, plan: planOfPath(plansDir, path)?.plan ?? path, line });
    }
    for (const id of pending) {
      owner.delete(id);
      record(tasks, id, { at, commit: index, plan: tasks.get(id)!.at(-1)!.plan, line: null });
    }
  });
  if (clamped > 0) notes.push(`${clamped} commit(s) carry a committer time older than their parent's; they count from their parent's time`);
  return { commits: timeline, tasks, notes };
}

function record(tasks: Map<string, TaskChange[]>, id: string, change: TaskChange): void {
  const history = tasks.get(id);
  if (!history) {
    if (change.line !== null) tasks.set(id, [change]);
    return;
  }
  const previous = history[history.length - 1]!;
  if (previous.line === change.line && previous.plan === change.plan) return;
  history.push(change);
}
