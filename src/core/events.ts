import { PlanError } from './errors.js';

export type EventType = 'STATE_TRANSITION' | 'GATE_FAILED' | 'PLAN_CREATED';
export type GateOutcome = 'PASS' | 'FAIL' | 'WARN' | 'SKIP';

/** The seed's §3.3 event, one per line of `.plan/events/<plan>.jsonl`. */
export interface PlanningEvent {
  type: 'planning_event';
  version: string;
  event: {
    id: string;
    timestamp: string;
    type: EventType;
    payload: {
      from_state: string | null;
      to_state: string;
      entity_id: string;
      metadata: {
        triggered_by: string;
        gate_results: Record<string, GateOutcome>;
        /** The lifecycle event name (create_plan, validate_complete, ...). */
        event: string;
        /** Per-plan sequence number; the state file's seq is the last one. */
        seq: number;
        /** git blob ids of the plan files the gate evaluated, by path. */
        blobs?: Record<string, string>;
        gate?: string;
        [key: string]: unknown;
      };
    };
  };
}

export const EVENT_VERSION = '1.0.0';

export interface NewEvent {
  type: EventType;
  plan: string;
  from: string | null;
  to: string;
  event: string;
  seq: number;
  actor: string;
  gateResults: Record<string, GateOutcome>;
  gate?: string;
  blobs?: Record<string, string>;
  /** ISO timestamp and a random suffix, passed in so core stays pure. */
  timestamp: string;
  nonce: string;
}

export function makeEvent(e: NewEvent): PlanningEvent {
  const compact = e.timestamp.replace(/[-:]/g, '').replace(/\.\d+/, '').replace('T', '_').replace('Z', '');
  return {
    type: 'planning_event',
    version: EVENT_VERSION,
    event: {
      id: `evt_${compact}_${e.nonce}`,
      timestamp: e.timestamp,
      type: e.type,
      payload: {
        from_state: e.from,
        to_state: e.to,
        entity_id: e.plan,
        metadata: {
          triggered_by: e.actor,
          gate_results: e.gateResults,
          event: e.event,
          seq: e.seq,
          ...(e.gate ? { gate: e.gate } : {}),
          ...(e.blobs ? { blobs: e.blobs } : {}),
        },
      },
    },
  };
}

export interface ParsedEvents {
  events: PlanningEvent[];
  /** Lines that are not events (torn writes, conflict markers, hand edits), with their line numbers. */
  problems: Array<{ line: number; message: string }>;
}

/** Parses an event log leniently: every good line counts, every bad line is reported, none throws. */
export function parseEventLog(text: string): ParsedEvents {
  const events: PlanningEvent[] = [];
  const problems: ParsedEvents['problems'] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (/^(<{7}|={7}|>{7})/.test(line)) {
      problems.push({ line: i + 1, message: 'conflict marker: event logs should merge with merge=union (see .gitattributes)' });
      return;
    }
    try {
      const value = JSON.parse(line) as PlanningEvent;
      if (value?.type !== 'planning_event' || typeof value.event?.id !== 'string' || typeof value.event.payload?.metadata?.seq !== 'number' || typeof value.event.timestamp !== 'string' || typeof value.event.payload.entity_id !== 'string') {
        problems.push({ line: i + 1, message: 'not a planning_event with an id and metadata.seq' });
        return;
      }
      events.push(value);
    } catch {
      problems.push({ line: i + 1, message: 'not valid JSON (a torn or hand-edited line)' });
    }
  });
  return { events, problems };
}

export function serializeEvent(event: PlanningEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** Events in the order they happened: by per-plan seq within a plan, by time across plans. */
export function compareEvents(a: PlanningEvent, b: PlanningEvent): number {
  const pa = a.event.payload;
  const pb = b.event.payload;
  if (pa.entity_id === pb.entity_id) {
    if (pa.metadata.seq !== pb.metadata.seq) return pa.metadata.seq - pb.metadata.seq;
    // a GATE_FAILED carries the seq of the transition it happened after
    const failedA = a.event.type === 'GATE_FAILED' ? 1 : 0;
    const failedB = b.event.type === 'GATE_FAILED' ? 1 : 0;
    if (failedA !== failedB) return failedA - failedB;
  }
  return a.event.timestamp.localeCompare(b.event.timestamp) || a.event.id.localeCompare(b.event.id);
}

export function assertPlanId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) throw new PlanError(`invalid plan id "${id}"`, 2);
}

/**
 * Events of many plans in the order they happened: each plan's own events in sequence (the order
 * `plan events --plan P` shows), merged across plans by time. A single comparator cannot do both
 * consistently, because a plan's sequence and the clock may disagree.
 */
export function orderEvents(events: readonly PlanningEvent[]): PlanningEvent[] {
  const byPlan = new Map<string, PlanningEvent[]>();
  for (const e of events) {
    const plan = e.event.payload.entity_id;
    const list = byPlan.get(plan);
    if (list) list.push(e);
    else byPlan.set(plan, [e]);
  }
  const queues = [...byPlan.values()].map((list) => list.sort(compareEvents));
  const heads = queues.map(() => 0);
  const ordered: PlanningEvent[] = [];
  for (let n = 0; n < events.length; n++) {
    let best = -1;
    for (let q = 0; q < queues.length; q++) {
      const head = queues[q]![heads[q]!];
      if (!head) continue;
      const current = best === -1 ? undefined : queues[best]![heads[best]!]!;
      if (!current || head.event.timestamp < current.event.timestamp || (head.event.timestamp === current.event.timestamp && head.event.payload.entity_id < current.event.payload.entity_id)) best = q;
    }
    ordered.push(queues[best]![heads[best]!++]!);
  }
  return ordered;
}
