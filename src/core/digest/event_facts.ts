import type { PlanningEvent } from '../events.js';
import { compareText } from './order.js';
import type { CycleWindow } from './window.js';

/** The lifecycle state whose reaching marks a plan's execution (seed §3.1); defects after it escaped. */
export const EXECUTION_STATE = 'EXECUTED';

export interface GateRun {
  plan: string;
  gate: string;
  event: string;
  timestamp: string;
  passed: boolean;
  /** Validators that reported FAIL. */
  failed: string[];
}

export interface EventFacts {
  gate_runs: number;
  gates_passed: number;
  gates_failed: number;
  by_gate: Array<{ gate: string; runs: number; passed: number; failed: number }>;
  failures: GateRun[];
  /** Lifecycle transitions with counts; from null is a plan's creation. */
  lifecycle: Array<{ from: string | null; to: string; event: string; count: number }>;
  transitions: number;
}

function inWindow(event: PlanningEvent, window: CycleWindow): boolean {
  const at = Date.parse(event.event.timestamp);
  return at >= window.start && at < window.end;
}

/**
 * Gate results and transitions recorded in the event logs inside the window. A gate run that
 * passed is the transition it guarded; one that failed counts only when it was recorded as
 * GATE_FAILED (`plan transition --record-failure`).
 */
export function eventFacts(events: readonly PlanningEvent[], window: CycleWindow): EventFacts {
  const facts: EventFacts = { gate_runs: 0, gates_passed: 0, gates_failed: 0, by_gate: [], failures: [], lifecycle: [], transitions: 0 };
  const gates = new Map<string, { gate: string; runs: number; passed: number; failed: number }>();
  const lifecycle = new Map<string, EventFacts['lifecycle'][number]>();
  for (const e of events) {
    if (!inWindow(e, window)) continue;
    const { payload, type, timestamp } = e.event;
    const meta = payload.metadata;
    if (typeof meta.gate === 'string' && (type === 'STATE_TRANSITION' || type === 'GATE_FAILED')) {
      const passed = type === 'STATE_TRANSITION';
      const entry = gates.get(meta.gate) ?? { gate: meta.gate, runs: 0, passed: 0, failed: 0 };
      entry.runs++;
      facts.gate_runs++;
      if (passed) {
        entry.passed++;
        facts.gates_passed++;
      } else {
        entry.failed++;
        facts.gates_failed++;
        const failed = Object.entries(meta.gate_results ?? {}).filter(([, outcome]) => outcome === 'FAIL').map(([name]) => name).sort();
        facts.failures.push({ plan: payload.entity_id, gate: meta.gate, event: meta.event, timestamp, passed, failed });
      }
      gates.set(meta.gate, entry);
    }
    if (type === 'STATE_TRANSITION' || type === 'PLAN_CREATED') {
      facts.transitions++;
      const key = `${payload.from_state}\u0000${payload.to_state}\u0000${meta.event}`;
      const entry = lifecycle.get(key) ?? { from: payload.from_state, to: payload.to_state, event: meta.event, count: 0 };
      entry.count++;
      lifecycle.set(key, entry);
    }
  }
  facts.by_gate = [...gates.values()].sort((a, b) => compareText(a.gate, b.gate));
  facts.failures.sort((a, b) => compareText(a.timestamp, b.timestamp) || compareText(a.plan, b.plan));
  facts.lifecycle = [...lifecycle.values()].sort((a, b) => b.count - a.count || compareText(a.from, b.from) || compareText(a.to, b.to));
  return facts;
}

/** When each plan first reached execution. */
export function executionStarts(events: readonly PlanningEvent[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const e of events) {
    if (e.event.type !== 'STATE_TRANSITION' || e.event.payload.to_state !== EXECUTION_STATE) continue;
    const at = Date.parse(e.event.timestamp);
    const plan = e.event.payload.entity_id;
    if (!Number.isNaN(at) && !(at >= (starts.get(plan) ?? Infinity))) starts.set(plan, at);
  }
  return starts;
}
