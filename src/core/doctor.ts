import type { ParsedEvents, PlanningEvent } from './events.js';
import type { Finding } from './finding.js';
import { PlanError } from './errors.js';
import { parseState, type StateFile } from './state.js';

export interface DoctorInput {
  statePath: string;
  /** The state file's text; undefined when there is none. */
  stateText?: string;
  /** Event logs by plan id, with their repository paths. */
  logs: Map<string, { path: string; parsed: ParsedEvents }>;
  /** Plan folders that exist. */
  planDirs: ReadonlySet<string>;
  plansDir: string;
  /** Current git blob ids of each plan's files. */
  currentBlobs: ReadonlyMap<string, Record<string, string>>;
  /** An interrupted change is waiting to be finished. */
  journal: boolean;
  /** A journal that will not be replayed (garbage, committed, stale), and why. */
  badJournal?: { file: string; problem: string };
  /** A lock whose holder is no longer running, and who that was. */
  staleLock?: { file: string; holder: string };
  /** Files under .plan/ that plan does not know. */
  strayFiles: string[];
  /** Temporary files and folders that killed plan commands left under .plan/. */
  leftovers?: string[];
}

const STATE_CHANGING = new Set(['STATE_TRANSITION', 'PLAN_CREATED']);

/**
 * Consistency of the planning database after merges, crashes and hand edits. Every finding says
 * what is wrong and how to fix it.
 */
export function diagnose(input: DoctorInput): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, severity: Finding['severity'], message: string, extra: Partial<Finding> = {}): void => void findings.push({ rule, severity, message, ...extra });

  let state: StateFile = new Map();
  /** Plans whose line is inside a conflict: their state is unknown until it is resolved. */
  const conflicted = new Set<string>();
  if (input.stateText !== undefined) {
    const conflicts = conflictRegions(input.stateText);
    for (const c of conflicts) {
      const plans = [...new Set([...c.ours, ...c.theirs].map((l) => /^([A-Za-z0-9][A-Za-z0-9._-]*):/.exec(l)?.[1]).filter((p): p is string => Boolean(p)))];
      for (const p of plans) conflicted.add(p);
      add('doctor/state-conflict', 'error', `merge conflict in the state of ${plans.join(', ') || 'some plans'}: ours says ${c.ours.join(' | ') || '(nothing)'}; theirs says ${c.theirs.join(' | ') || '(nothing)'}. Both branches moved the same plan (or added plans side by side); keep the line that matches the plan's last event in .plan/events/, then run plan doctor again`, { file: input.statePath, line: c.line });
    }
    try {
      // the lines outside conflicts are still good: check the other plans against them
      state = parseState(conflicts.length > 0 ? withoutConflicts(input.stateText) : input.stateText, input.statePath);
    } catch (error) {
      const e = error as PlanError;
      add('doctor/state-unreadable', 'error', `${e.message}; restore it from git (git checkout -- ${input.statePath}) or fix the line`, { file: input.statePath, line: e.location?.line });
    }
  }

  if (input.journal) add('doctor/interrupted', 'warning', 'a transition was interrupted (a crash or a kill); any plan command that writes finishes it: run plan doctor --fix');
  if (input.badJournal) add('doctor/bad-journal', 'error', input.badJournal.problem, { file: input.badJournal.file });
  if (input.staleLock) add('doctor/stale-lock', 'info', `the lock was left by ${input.staleLock.holder}, which is no longer running; the next plan command that writes takes it over (plan doctor --fix removes it)`, { file: input.staleLock.file });

  for (const [plan, { path, parsed }] of input.logs) {
    for (const p of parsed.problems) add('doctor/bad-event-line', 'error', `${p.message}; remove the line or restore the file from git`, { file: path, line: p.line, plan });
    checkLog(plan, path, parsed.events, add);
    if (conflicted.has(plan)) continue;
    const s = state.get(plan);
    const last = lastStateEvent(parsed.events);
    if (s && last) {
      const m = last.event.payload.metadata;
      if (s.seq !== m.seq || s.state !== last.event.payload.to_state || s.event !== m.event) {
        add('doctor/state-mismatch', 'error', `state says ${s.state} (seq ${s.seq}, ${s.event}) but the last event says ${last.event.payload.to_state} (seq ${m.seq}, ${m.event}); after a merge, re-run the transition or restore the line that matches the log`, { file: input.statePath, plan });
      }
    } else if (s && !last) {
      add('doctor/no-events', 'warning', `plan ${plan} has a state line but its event log has no transitions`, { file: input.statePath, plan });
    } else if (!s && last) {
      add('doctor/missing-state', 'error', `plan ${plan} has events up to seq ${last.event.payload.metadata.seq} (${last.event.payload.to_state}) but no state line; restore the line from git`, { file: path, plan });
    }
    if (!input.planDirs.has(plan)) add('doctor/unknown-plan', 'warning', `events for plan ${plan}, which has no folder ${input.plansDir}/${plan}/; restore the folder or remove the log`, { file: path, plan });
    const gateEvent = lastGatePass(parsed.events);
    const current = input.currentBlobs.get(plan);
    const blobs = gateEvent?.event.payload.metadata.blobs;
    if (blobs && current && s?.state === gateEvent.event.payload.to_state) {
      const changed = [...new Set([...Object.keys(blobs), ...Object.keys(current)])].filter((f) => blobs[f] !== current[f]).sort();
      if (changed.length > 0) add('doctor/changed-since-gate', 'warning', `${changed.join(', ')} changed after gate ${gateEvent.event.payload.metadata.gate} passed (${gateEvent.event.payload.metadata.event}); move the plan back and through the gate again`, { file: changed[0], plan });
    }
  }
  for (const [plan] of state) {
    if (!input.logs.has(plan)) add('doctor/no-events', 'warning', `plan ${plan} has a state line but no event log .plan/events/${plan}.jsonl`, { file: input.statePath, plan });
    if (!input.planDirs.has(plan)) add('doctor/unknown-plan', 'warning', `the state names plan ${plan}, which has no folder ${input.plansDir}/${plan}/`, { file: input.statePath, plan });
  }
  for (const plan of input.planDirs) {
    if (!state.has(plan) && !input.logs.has(plan) && !conflicted.has(plan)) add('doctor/untracked-plan', 'info', `plan ${plan} has files but no lifecycle state; run: plan transition ${plan} create_plan`, { plan });
  }
  for (const file of input.strayFiles) add('doctor/orphan-file', 'info', `${file} is not a file plan writes; remove it if nothing else uses it`, { file });
  for (const file of input.leftovers ?? []) add('doctor/crash-leftover', 'info', `${file} is a temporary file of a plan command that was killed; any plan command that writes removes it (plan doctor --fix)`, { file });
  return findings;
}

function checkLog(plan: string, path: string, events: PlanningEvent[], add: (rule: string, severity: Finding['severity'], message: string, extra?: Partial<Finding>) => void): void {
  const ids = new Set<string>();
  const bySeq = new Map<number, PlanningEvent[]>();
  let previous = -1;
  let outOfOrder = false;
  for (const e of events) {
    if (e.event.payload.entity_id !== plan) add('doctor/foreign-event', 'error', `event ${e.event.id} is for plan ${e.event.payload.entity_id} but sits in ${path}; move it to its own log`, { file: path, plan });
    if (ids.has(e.event.id)) {
      add('doctor/duplicate-event', 'warning', `event ${e.event.id} appears twice (a union merge of two branches that both had it); delete one copy`, { file: path, plan });
      continue;
    }
    ids.add(e.event.id);
    if (!STATE_CHANGING.has(e.event.type)) continue;
    const seq = e.event.payload.metadata.seq;
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), e]);
    if (seq < previous) outOfOrder = true;
    previous = Math.max(previous, seq);
  }
  for (const [seq, same] of bySeq) {
    if (same.length > 1) add('doctor/seq-conflict', 'error', `${same.length} different transitions share seq ${seq} (${same.map((e) => `${e.event.payload.metadata.event} → ${e.event.payload.to_state} by ${e.event.payload.metadata.triggered_by}`).join('; ')}): two branches moved the plan from the same state; decide which one stands, remove the other event and set the state line to match`, { file: path, plan });
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i + 1) {
      add('doctor/seq-gap', 'error', `event sequence jumps from ${seqs[i - 1] ?? 0} to ${seqs[i]}: events are missing; restore the log from git history`, { file: path, plan });
      break;
    }
  }
  if (outOfOrder) add('doctor/out-of-order', 'info', 'events are not in sequence order in the file (normal after a union merge); plan events sorts them', { file: path, plan });
}

function lastStateEvent(events: PlanningEvent[]): PlanningEvent | undefined {
  let last: PlanningEvent | undefined;
  for (const e of events) if (STATE_CHANGING.has(e.event.type) && (!last || e.event.payload.metadata.seq > last.event.payload.metadata.seq)) last = e;
  return last;
}

function lastGatePass(events: PlanningEvent[]): PlanningEvent | undefined {
  const last = lastStateEvent(events);
  return last?.event.payload.metadata.gate ? last : undefined;
}

function conflictRegions(text: string): Array<{ line: number; ours: string[]; theirs: string[] }> {
  const regions: Array<{ line: number; ours: string[]; theirs: string[] }> = [];
  let current: { line: number; ours: string[]; theirs: string[] } | undefined;
  let side: 'ours' | 'base' | 'theirs' = 'ours';
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('<<<<<<<')) {
      current = { line: i + 1, ours: [], theirs: [] };
      side = 'ours';
    } else if (current && line.startsWith('|||||||')) side = 'base';
    else if (current && line.startsWith('=======')) side = 'theirs';
    else if (current && line.startsWith('>>>>>>>')) {
      regions.push(current);
      current = undefined;
    } else if (current && line.trim() !== '' && side !== 'base') current[side].push(line.trim());
  });
  return regions;
}

/** The state text with every conflict region blanked out (line numbers kept). */
function withoutConflicts(text: string): string {
  let inside = false;
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('<<<<<<<')) inside = true;
      const blank = inside;
      if (line.startsWith('>>>>>>>')) inside = false;
      return blank ? '' : line;
    })
    .join('\n');
}
