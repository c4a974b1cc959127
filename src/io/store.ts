import { lstat, mkdir, readFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assertPlanId, parseEventLog, serializeEvent, type ParsedEvents, type PlanningEvent } from '../core/events.js';
import { PlanError, RepoError } from '../core/errors.js';
import { parseState, serializeState, type PlanState, type StateFile } from '../core/state.js';
import { renameDurably, tempOwner, writeFileAtomic } from './atomic.js';
import { crashPoint } from './crash.js';
import { git } from './git.js';
import { assertFileInside, assertRealDirInside, openAppendNoFollow } from './inside_repo.js';
import { findCrashLeftovers, removeCrashLeftovers } from './leftovers.js';
import { lockHolder, withLock } from './lock.js';

export const PLAN_DIR = '.plan';
export const STATE_PATH = `${PLAN_DIR}/state.yaml`;
/** Copies of the shipped schemas, so editors find them however plan was installed. */
export const SCHEMA_DIR = `${PLAN_DIR}/schemas`;
export const EVENTS_DIR = `${PLAN_DIR}/events`;
export const LOCK_PATH = `${PLAN_DIR}/lock`;
export const JOURNAL_PATH = `${PLAN_DIR}/journal.json`;

const EVENT_TYPES = new Set(['STATE_TRANSITION', 'PLAN_CREATED', 'GATE_FAILED']);

export function eventLogPath(plan: string): string {
  return `${EVENTS_DIR}/${plan}.jsonl`;
}

/** A change to one plan: the event to append and the state line it leads to (none for GATE_FAILED). */
export interface Change {
  plan: string;
  event: PlanningEvent;
  state?: PlanState;
}

/** A folder built aside (repository-relative paths) and where a change moves it. */
export interface FolderMove {
  from: string;
  to: string;
}

/** What `apply` writes to the journal: the change, in full, so recovery can finish it. */
export interface Journal {
  plan: string;
  event: PlanningEvent;
  state: PlanState | null;
  folder?: FolderMove;
}

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function isPlanId(id: string): boolean {
  try {
    assertPlanId(id);
    return true;
  } catch {
    return false;
  }
}

const sameState = (a: PlanState, b: PlanState): boolean => a.state === b.state && a.since === b.since && a.seq === b.seq && a.event === b.event;

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

/** Why `value` is not a journal `apply` could have written, or undefined when it is one. */
function journalProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const j = value as Partial<Journal>;
  if (typeof j.plan !== 'string' || !isPlanId(j.plan)) return 'names no valid plan id';
  const parsed = parseEventLog(JSON.stringify(j.event ?? null));
  const e = parsed.events[0]?.event;
  if (!e || !EVENT_TYPES.has(e.type) || e.payload.entity_id !== j.plan) return `holds no event of plan ${j.plan}`;
  if (j.state === null || j.state === undefined) {
    if (e.type !== 'GATE_FAILED') return `has no state line for its ${e.type} event`;
  } else {
    const s = j.state;
    let line: PlanState | undefined;
    try {
      line = parseState(serializeState(new Map([[j.plan, s]])), JOURNAL_PATH).get(j.plan);
    } catch {
      line = undefined;
    }
    const m = e.payload.metadata;
    if (!line || !sameState(line, s)) return 'holds a state line plan cannot write';
    if (s.state !== e.payload.to_state || s.seq !== m.seq || s.event !== m.event || s.since !== e.timestamp) return 'holds a state line that does not match its event';
  }
  if (j.folder !== undefined) {
    const { from, to } = j.folder as Partial<FolderMove>;
    const inPlanDir = typeof from === 'string' && dirname(from) === PLAN_DIR && tempOwner(basename(from)) !== undefined;
    const intoPlan = typeof to === 'string' && basename(to) === j.plan && !to.split('/').some((p) => p === '' || p === '.' || p === '..') && !/^\.(plan|git)\//.test(to);
    if (!inPlanDir || !intoPlan) return 'moves a folder plan would not move';
  }
  return undefined;
}

/**
 * The state file and event logs on disk. Writes go through a journal so that a crash at any
 * point leaves both files before the change or, after recovery, both after it:
 *   1. journal written atomically (the commit point)  2. a new plan's folder moved into place
 *   3. event appended and fsynced                       4. state file replaced atomically
 *   5. journal removed
 * Whoever next takes the lock finds a journal and finishes its steps, which are idempotent. A
 * step that fails with an error (a full disk) is undone instead, so a failed command changes nothing.
 */
export class PlanStore {
  /**
   * @param creating plan new's folder, built aside: the change that gives the plan its first state
   * also moves it into place, so a crash leaves the plan with both its folder and its state, or neither.
   */
  constructor(
    readonly root: string,
    private readonly creating?: FolderMove,
  ) {}

  private path(relative: string): string {
    return join(this.root, relative);
  }

  async readState(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.path(STATE_PATH), 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return new Map();
      throw new PlanError(`cannot read: ${(error as Error).message}`, 2, { file: STATE_PATH });
    }
    return parseState(text, STATE_PATH);
  }

  async readEvents(plan: string): Promise<ParsedEvents> {
    try {
      return parseEventLog(await readFile(this.path(eventLogPath(plan)), 'utf8'));
    } catch (error) {
      if (code(error) === 'ENOENT') return { events: [], problems: [] };
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

  /**
   * The interrupted change waiting in the journal, if any. A journal plan would not have written,
   * or one committed to git (it belongs to the checkout that was interrupted, and replaying it
   * elsewhere would move a plan back), is refused (exit 2) rather than replayed.
   */
  async readJournal(): Promise<Journal | undefined> {
    const unlessInterrupted = 'delete it if no plan command was interrupted in this checkout';
    const refuse = (why: string, fix = unlessInterrupted): RepoError => new RepoError(`${JOURNAL_PATH} ${why}; plan will not replay it: ${fix}`);
    let text: string;
    try {
      if (!(await lstat(this.path(JOURNAL_PATH))).isFile()) throw refuse('is not a regular file');
      text = await readFile(this.path(JOURNAL_PATH), 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
    const tracked = (await git(this.root, ['ls-files', '--', JOURNAL_PATH])).stdout.length > 0;
    if (tracked) throw refuse('is committed to git, so it may come from another checkout', `git rm --cached ${JOURNAL_PATH}, then ${unlessInterrupted}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw refuse('is not valid JSON');
    }
    const problem = journalProblem(value);
    if (problem) throw refuse(problem);
    const journal = value as Journal;
    // an unreadable state file is not the journal's problem: whoever reads the state next reports it
    const current = (await this.readState().catch(() => undefined))?.get(journal.plan);
    if (journal.state && current && current.seq >= journal.state.seq && !sameState(current, journal.state)) {
      throw refuse(`is older than the state of plan ${journal.plan} (seq ${current.seq})`);
    }
    return journal;
  }

  /** Who left the lock, when its holder is no longer running. */
  async staleLock(): Promise<string | undefined> {
    // a lock that cannot be read is reported by the writer that cannot take it
    const holder = await lockHolder(this.path(LOCK_PATH), LOCK_PATH).catch(() => undefined);
    return holder && !holder.live ? holder.who : undefined;
  }

  /** Temporary files of killed plan commands under .plan/. */
  crashLeftovers(): Promise<string[]> {
    return findCrashLeftovers(this.root, PLAN_DIR);
  }

  /**
   * Runs `fn` holding the repository's plan lock, after finishing any interrupted change and
   * removing what killed commands left; `fn` is told what that repaired.
   */
  async locked<T>(command: string, fn: (repaired: string[]) => Promise<T>): Promise<T> {
    // before the lock: taking it would create files wherever a linked .plan/ points
    await assertRealDirInside(this.root, EVENTS_DIR);
    return withLock(this.path(LOCK_PATH), LOCK_PATH, command, async (lock) => {
      const repaired = lock.tookOverFrom ? [`removed ${LOCK_PATH}, left by ${lock.tookOverFrom}, which is no longer running`] : [];
      return fn([...repaired, ...(await this.recover())]);
    });
  }

  /** Applies one change atomically (see the class comment). Call under `locked`. */
  async apply(change: Change): Promise<void> {
    const log = eventLogPath(change.plan);
    await assertFileInside(this.root, log);
    const state = await this.readState();
    const journal: Journal = { plan: change.plan, event: change.event, state: change.state ?? null, ...(change.state && this.creating ? { folder: this.creating } : {}) };
    const logSize = await sizeOf(this.path(log));
    await writeFileAtomic(this.path(JOURNAL_PATH), JSON.stringify(journal));
    crashPoint('after-journal');
    try {
      await this.finish(journal, { logged: false, state });
    } catch (error) {
      await this.undo(journal, logSize);
      throw error;
    }
    await rm(this.path(JOURNAL_PATH), { force: true });
  }

  /** Steps 2 to 4 of a journaled change. Each is idempotent: recovery runs them again. */
  private async finish(journal: Journal, known: { logged: boolean; state?: StateFile }): Promise<void> {
    if (journal.folder) await this.moveFolder(journal.folder);
    if (!known.logged) await this.appendEvent(journal.plan, journal.event);
    crashPoint('after-event');
    if (journal.state) {
      const state = known.state ?? (await this.readState());
      state.set(journal.plan, journal.state);
      await writeFileAtomic(this.path(STATE_PATH), serializeState(state));
    }
    crashPoint('after-state');
  }

  /**
   * Takes back what `finish` did before it failed: the log cut back to its size before, the folder
   * moved back, the journal removed. Should that fail as well, the journal stays and the next
   * command completes the change instead: both files after it beats one before and one after.
   */
  private async undo(journal: Journal, logSize: number | undefined): Promise<void> {
    try {
      const log = this.path(eventLogPath(journal.plan));
      if (logSize === undefined) await rm(log, { force: true });
      else if (((await sizeOf(log)) ?? 0) > logSize) await truncate(log, logSize);
      const folder = journal.folder;
      if (folder && !(await exists(this.path(folder.from))) && (await exists(this.path(folder.to)))) await renameDurably(this.path(folder.to), this.path(folder.from));
      await rm(this.path(JOURNAL_PATH), { force: true });
    } catch {
      // the journal stays: see above
    }
  }

  /** Finishes an interrupted change, then removes temporary files of killed commands; says what it did. */
  private async recover(): Promise<string[]> {
    const done: string[] = [];
    const journal = await this.readJournal();
    if (journal) {
      const logged = (await this.readEvents(journal.plan)).events.some((e) => e.event.id === journal.event.event.id);
      await this.finish(journal, { logged });
      await rm(this.path(JOURNAL_PATH), { force: true });
      done.push(`finished the interrupted ${journal.event.event.payload.metadata.event} of plan ${journal.plan}`);
    }
    // after the journal: the folder a journal moves into place is a temporary one until then
    const removed = await removeCrashLeftovers(this.root, PLAN_DIR);
    if (removed.length > 0) done.push(`removed what killed plan commands left: ${removed.join(', ')}`);
    return done;
  }

  private async moveFolder({ from, to }: FolderMove): Promise<void> {
    if (!(await exists(this.path(from))) || (await exists(this.path(to)))) return; // moved already
    await assertRealDirInside(this.root, dirname(to));
    await mkdir(dirname(this.path(to)), { recursive: true });
    await renameDurably(this.path(from), this.path(to));
  }

  private async appendEvent(plan: string, event: PlanningEvent): Promise<void> {
    const handle = await openAppendNoFollow(this.root, eventLogPath(plan), { create: true });
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
