import { PlanError } from './errors.js';

export interface PlanState {
  state: string;
  /** ISO timestamp of the transition that set it. */
  since: string;
  /** Sequence number of the plan's last event; grows by one per event. */
  seq: number;
  /** The event that set it. */
  event: string;
}

export type StateFile = Map<string, PlanState>;

export const STATE_HEADER = '# yaml-language-server: $schema=schemas/state.schema.json\n# One line per plan, written by plan transition. Do not edit by hand; `plan doctor` checks it.\n';

const LINE = /^([A-Za-z0-9][A-Za-z0-9._-]*): \{state: ([A-Z][A-Z0-9_]*), since: "([^"]+)", seq: (\d+), event: ([a-z][a-z0-9_]*)\}$/;

/**
 * One line per plan, sorted, with a blank line between plans: git merges changes to
 * different plans without conflict only when an unchanged line separates them.
 */
export function serializeState(state: StateFile): string {
  const ids = [...state.keys()].sort();
  if (ids.length === 0) return `${STATE_HEADER}{}\n`;
  const lines = ids.map((id) => {
    const s = state.get(id)!;
    return `${id}: {state: ${s.state}, since: "${s.since}", seq: ${s.seq}, event: ${s.event}}`;
  });
  return `${STATE_HEADER}${lines.join('\n\n')}\n`;
}

/** Parses what serializeState writes, line by line, naming the line of anything else. */
export function parseState(text: string, file: string): StateFile {
  const state: StateFile = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '' || line.startsWith('#') || line === '{}') continue;
    if (/^(<{7}|={7}|>{7}|\|{7})/.test(line)) {
      throw new PlanError('unresolved merge conflict; run `plan doctor` to see which plans conflict', 2, { file, line: i + 1 });
    }
    const m = LINE.exec(line);
    if (!m) throw new PlanError('not a state line (`<plan>: {state: S, since: "T", seq: N, event: E}`)', 2, { file, line: i + 1 });
    if (state.has(m[1]!)) throw new PlanError(`plan ${m[1]} has two state lines; run \`plan doctor\``, 2, { file, line: i + 1 });
    state.set(m[1]!, { state: m[2]!, since: m[3]!, seq: Number(m[4]), event: m[5]! });
  }
  return state;
}
