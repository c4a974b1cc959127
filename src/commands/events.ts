import { orderEvents, type PlanningEvent } from '../core/events.js';
import { UsageError } from '../core/errors.js';
import { PlanStore } from '../io/store.js';
import { openRepo, type RepoOptions } from './repo.js';
import { assertKnownPlan } from './transition.js';

export interface EventsOptions extends RepoOptions {
  plan?: string;
  /** ISO date or timestamp; events at or after it. */
  since?: string;
}

export interface EventsResult {
  events: PlanningEvent[];
  /** Lines that could not be read, for a note on stderr; `plan doctor` explains them. */
  skipped: number;
}

/** All events of all plans (or one), in the order they happened. */
export async function events(options: EventsOptions): Promise<EventsResult> {
  const repo = await openRepo(options);
  const store = new PlanStore(repo.root);
  let since: number | undefined;
  if (options.since !== undefined) {
    since = Date.parse(options.since);
    if (Number.isNaN(since)) throw new UsageError(`--since "${options.since}" is not a date (use 2024-01-15 or 2024-01-15T10:00:00Z)`);
  }
  if (options.plan) assertKnownPlan(repo, options.plan, (await store.readState()).has(options.plan) || (await store.loggedPlans()).includes(options.plan));
  const plans = options.plan ? [options.plan] : await store.loggedPlans();
  const all: PlanningEvent[] = [];
  let skipped = 0;
  const seen = new Set<string>();
  for (const plan of plans) {
    const log = await store.readEvents(plan);
    skipped += log.problems.length;
    for (const e of log.events) {
      // a union merge can bring the same line in from both sides
      if (seen.has(e.event.id)) continue;
      seen.add(e.event.id);
      if (since === undefined || Date.parse(e.event.timestamp) >= since) all.push(e);
    }
  }
  return { events: orderEvents(all), skipped };
}

/** A CloudEvents 1.0 structured-mode envelope for a broker (Kafka, RabbitMQ, NATS). */
export function toCloudEvent(e: PlanningEvent, source: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: e.event.id,
    source,
    type: `dev.plan.${e.event.type.toLowerCase()}`,
    subject: e.event.payload.entity_id,
    time: e.event.timestamp,
    datacontenttype: 'application/json',
    data: e,
  };
}
