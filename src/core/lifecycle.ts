import { ConfigError } from './errors.js';

export interface TransitionDef {
  /** null for the event that creates a plan. */
  from: string | null;
  event: string;
  to: string;
  gate?: string;
  /** This transition seals a handoff (package_artifacts). */
  seal?: boolean;
  /** This transition needs a handoff that verifies (begin_execution). */
  requires_seal?: boolean;
}

export interface Lifecycle {
  initialEvent: string;
  states: ReadonlyMap<string, { terminal: boolean; description?: string }>;
  transitions: readonly TransitionDef[];
}

interface RawLifecycle {
  initial_event?: string;
  states?: Record<string, { terminal?: boolean; description?: string } | null>;
  transitions?: TransitionDef[];
}

/**
 * Builds the state machine from lifecycle.yaml (already schema-checked) and rejects one that
 * cannot work: transitions naming unknown states, an event ambiguous from one state, states
 * no path reaches, terminal states with a way out, no creating transition.
 */
export function buildLifecycle(raw: unknown, file: string): Lifecycle {
  const data = raw as RawLifecycle;
  const states = new Map(Object.entries(data.states ?? {}).map(([name, s]) => [name, { terminal: s?.terminal === true, description: s?.description }]));
  const transitions = (data.transitions ?? []).map((t) => ({ ...t, from: t.from ?? null }));
  const initialEvent = data.initial_event ?? 'create_plan';
  const fail = (message: string): never => {
    throw new ConfigError(`invalid lifecycle: ${message}`, { file });
  };

  const seen = new Set<string>();
  for (const t of transitions) {
    for (const state of [t.from, t.to]) if (state !== null && !states.has(state)) fail(`transition ${t.event} names unknown state ${state}`);
    const key = `${t.from ?? '(none)'}\0${t.event}`;
    if (seen.has(key)) fail(`event ${t.event} is ambiguous from ${t.from ?? 'the start'}: two transitions share it`);
    seen.add(key);
    if (t.from !== null && states.get(t.from)!.terminal) fail(`terminal state ${t.from} has an outgoing transition ${t.event}`);
  }
  const creating = transitions.filter((t) => t.from === null);
  if (creating.length !== 1 || creating[0]!.event !== initialEvent) fail(`exactly one transition must start from null with the initial event ${initialEvent}`);

  const reached = new Set<string>([creating[0]!.to]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of transitions) {
      if (t.from !== null && reached.has(t.from) && !reached.has(t.to)) {
        reached.add(t.to);
        grew = true;
      }
    }
  }
  const unreachable = [...states.keys()].filter((s) => !reached.has(s));
  if (unreachable.length > 0) fail(`unreachable state${unreachable.length > 1 ? 's' : ''} ${unreachable.join(', ')}`);
  return { initialEvent, states, transitions };
}

export function allowedFrom(lifecycle: Lifecycle, state: string | null): TransitionDef[] {
  return lifecycle.transitions.filter((t) => t.from === state);
}

export type Resolution = { ok: true; transition: TransitionDef } | { ok: false; reason: string; allowed: TransitionDef[] };

/**
 * Resolves what the user asked for: an event name allowed from the current state, or a target
 * state reached by exactly one transition from it.
 */
export function resolveTransition(lifecycle: Lifecycle, current: string | null, wanted: string): Resolution {
  const allowed = allowedFrom(lifecycle, current);
  const byEvent = allowed.find((t) => t.event === wanted);
  if (byEvent) return { ok: true, transition: byEvent };
  const byState = allowed.filter((t) => t.to === wanted);
  if (byState.length === 1) return { ok: true, transition: byState[0]! };
  const from = current ?? 'no state';
  if (byState.length > 1) return { ok: false, reason: `${wanted} is reached from ${from} by several events (${byState.map((t) => t.event).join(', ')}); name the event`, allowed };
  const known = lifecycle.states.has(wanted) || lifecycle.transitions.some((t) => t.event === wanted);
  const what = known ? `${wanted} is not allowed from ${from}` : `unknown event or state "${wanted}"`;
  return { ok: false, reason: what, allowed };
}
