import { parseState, serializeState, STATE_HEADER, type PlanState, type StateFile } from './state.js';

/**
 * A three-way merge of the state file, line by plan line: a plan changed on one side only takes
 * that side; a plan added on both sides with different lines, or moved differently on both
 * sides, is a conflict, marked for that plan alone. Plans created side by side on two branches
 * no longer collide just because their lines sort next to each other.
 */
export function mergeStates(baseText: string, oursText: string, theirsText: string, file: string): { text: string; conflicts: string[] } {
  const base = parseState(baseText, `${file} (base)`);
  const ours = parseState(oursText, `${file} (ours)`);
  const theirs = parseState(theirsText, `${file} (theirs)`);
  const merged: StateFile = new Map();
  const conflicts: Array<{ plan: string; ours?: PlanState; theirs?: PlanState }> = [];
  const same = (a?: PlanState, b?: PlanState) => JSON.stringify(a) === JSON.stringify(b);
  for (const plan of [...new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])].sort()) {
    const b = base.get(plan);
    const o = ours.get(plan);
    const t = theirs.get(plan);
    let result: PlanState | undefined;
    if (same(o, t)) result = o;
    else if (same(o, b)) result = t;
    else if (same(t, b)) result = o;
    else {
      conflicts.push({ plan, ours: o, theirs: t });
      continue;
    }
    if (result) merged.set(plan, result);
  }
  if (conflicts.length === 0) return { text: serializeState(merged), conflicts: [] };
  const line = (plan: string, s?: PlanState) => (s ? `${plan}: {state: ${s.state}, since: "${s.since}", seq: ${s.seq}, event: ${s.event}}` : '');
  const body = serializeState(merged).slice(STATE_HEADER.length).replace(/^\{\}\n$/, '');
  const marked = conflicts.map((c) => ['<<<<<<< ours', line(c.plan, c.ours), '=======', line(c.plan, c.theirs), '>>>>>>> theirs'].filter((l, i) => l !== '' || i === 0).join('\n'));
  return { text: `${STATE_HEADER}${body}${body ? '\n' : ''}${marked.join('\n\n')}\n`, conflicts: conflicts.map((c) => c.plan) };
}
