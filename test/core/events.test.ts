import { describe, expect, it } from 'vitest';
import { compareEvents, makeEvent, orderEvents, type EventType } from '../../src/core/events.js';

const event = (plan: string, seq: number, type: EventType, timestamp: string, nonce: string) =>
  makeEvent({ type, plan, from: 'PLANNED', to: 'READY_FOR_HANDOFF', event: 'validate_complete', seq, actor: 't', gateResults: {}, timestamp, nonce });

describe('orderEvents', () => {
  it("keeps each plan's own order (by seq, a GATE_FAILED after its transition) whatever the other plans' ids", () => {
    const t = '2026-11-28T05:15:21Z';
    const events = [
      event('q', 2, 'GATE_FAILED', t, '0a160e4f'),
      event('p', 1, 'PLAN_CREATED', t, '5aaaaaaa'),
      event('q', 2, 'STATE_TRANSITION', t, '617ae3d2'),
      event('q', 1, 'PLAN_CREATED', '2026-11-28T05:14:57Z', '0fe07305'),
      event('p', 2, 'STATE_TRANSITION', t, '00000001'),
    ];
    const all = orderEvents(events);
    for (const plan of ['p', 'q']) {
      const alone = events.filter((e) => e.event.payload.entity_id === plan).sort(compareEvents);
      expect(all.filter((e) => e.event.payload.entity_id === plan).map((e) => e.event.id)).toEqual(alone.map((e) => e.event.id));
    }
    expect(all.map((e) => e.event.timestamp)).toEqual([...all.map((e) => e.event.timestamp)].sort());
    expect(all).toHaveLength(events.length);
  });
});
