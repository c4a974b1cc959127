import { existsSync } from 'node:fs';
import { open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEventLog, serializeEvent, type ParsedEvents, type PlanningEvent } from '../core/events.js';
import { PlanError } from '../core/errors.js';
import { parseState, serializeState, type PlanState, type StateFile } from '../core/state.js';
import { writeFileAtomic } from './atomic.js';
import { crashPoint } from './crash.js';
import { withLock } from './lock.js';

export const PLAN_DIR = '.plan';
export const STATE_PATH = `${PLAN_DIR}/state.yaml`;
/** Copies of the shipped schemas, so editors find them however plan was installed. */
export const SCHEMA_DIR = `${PLAN_DIR}/schemas`;
export const EVENTS_DIR = `${PLAN_DIR}/events`;
const LOCK_PATH = `${PLAN_DIR}/lock`;
const JOURNAL_PATH = `${PLAN_DIR}/journal.json`;

export function eventLogPath(plan: string): string {
  return `${EVENTS_DIR}/${plan}.jsonl`;
}

/** A change to one plan: the event to append and the state line it leads to (none for GATE_FAILED). */
export interface Change {
  plan: string;
  event: PlanningEvent;
  state?: PlanState;
}

/**
 * The state file and event logs on disk. Writes go through a journal so that a crash at any
 * point leaves both files before the change or, after recovery, both after it:
 *   1. journal written atomically (the commit point)  2. event appended and fsynced
 *   3. state file replaced atomically                   4. journal removed
 * Whoever next takes the lock finds a journal and finishes its steps, which are idempotent.
 */
export class PlanStore {
  constructor(readonly root: string) {}

  private path(relative: string): string {
    return join(this.root, relative);
  }

  async readState(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.path(STATE_PATH), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new PlanError(`cannot read: ${(error as Error).message}`, 2, { file: STATE_PATH });
    }
    return parseState(text, STATE_PATH);
  }

  async readEvents(plan: string): Promise<ParsedEvents> {
    try {
      return parseEventLog(await readFile(this.path(eventLogPath(plan)), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], problems: [] };
      throw new PlanError(`cannot read: ${(error as Error).message}`, 2, { file: eventLogPath(plan) });
    }
  }

  /** Plans that have an event log. */
  async loggedPlans(): Promise<string[]> {
    try {
      return (await readdir(this.path(EVENTS_DIR))).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)).sort();
    } catch {
      return [];
    }
  }

  hasJournal(): boolean {
    return existsSync(this.path(JOURNAL_PATH));
  }

  /** Runs `fn` holding the repository's plan lock, after finishing any interrupted change. */
  async locked<T>(command: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.path(LOCK_PATH), LOCK_PATH, command, async () => {
      await this.recover();
      return fn();
    });
  }

  /** Applies one change atomically (see the class comment). Call under `locked`. */
  async apply(change: Change): Promise<void> {
    const state = await this.readState();
    if (change.state) state.set(change.plan, change.state);
    await writeFileAtomic(this.path(JOURNAL_PATH), JSON.stringify({ plan: change.plan, event: change.event, state: change.state ?? null }));
    crashPoint('after-journal');
    await this.appendEvent(change.plan, change.event);
    crashPoint('after-event');
    if (change.state) await writeFileAtomic(this.path(STATE_PATH), serializeState(state));
    crashPoint('after-state');
    await rm(this.path(JOURNAL_PATH), { force: true });
  }

  /** Finishes an interrupted change. Idempotent: an event already in the log is not appended twice. */
  async recover(): Promise<boolean> {
    let journal: { plan: string; event: PlanningEvent; state: PlanState | null };
    try {
      journal = JSON.parse(await readFile(this.path(JOURNAL_PATH), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      // A journal that is not complete JSON was never committed (it is written atomically), so drop it.
      await rm(this.path(JOURNAL_PATH), { force: true });
      return false;
    }
    const logged = await this.readEvents(journal.plan);
    if (!logged.events.some((e) => e.event.id === journal.event.event.id)) await this.appendEvent(journal.plan, journal.event);
    if (journal.state) {
      const state = await this.readState();
      state.set(journal.plan, journal.state);
      await writeFileAtomic(this.path(STATE_PATH), serializeState(state));
    }
    await rm(this.path(JOURNAL_PATH), { force: true });
    return true;
  }

  private async appendEvent(plan: string, event: PlanningEvent): Promise<void> {
    const path = this.path(eventLogPath(plan));
    const handle = await open(path, 'a+').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await writeFileAtomic(path, '');
      return open(path, 'a+');
    });
    try {
      const { size } = await handle.stat();
      let prefix = '';
      if (size > 0) {
        // A torn last line (a crash mid-append in another tool) must not swallow this event.
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.appendFile(prefix + serializeEvent(event));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
