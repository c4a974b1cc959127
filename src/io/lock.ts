import { hostname } from 'node:os';
import { mkdir, open, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RepoError } from '../core/errors.js';

const STALE_GARBAGE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** Whether a process with this pid runs on this host (one we may not signal runs too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds a lock: a live holder (with the message that names it), or a dead one that may be taken over. */
export type LockHolder = { live: true; message: string } | { live: false; who: string };

function ownerOf(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(owner?.pid) && owner.pid > 0 && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The holder of the lock file at `path`, or undefined when there is no lock. */
export async function lockHolder(path: string, display: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const owner = ownerOf(text);
  if (owner) {
    const who = `pid ${owner.pid} on ${owner.host} (${owner.command}) since ${owner.since}`;
    if (owner.host !== hostname() || processAlive(owner.pid)) return { live: true, message: `${display} is held by ${who}; if that process is gone, delete ${display}` };
    return { live: false, who };
  }
  // Unreadable: either being written this instant, or garbage. Only garbage that has sat there a
  // while is stale; a fresh file belongs to someone mid-way through taking the lock.
  const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
  if (age < STALE_GARBAGE_MS) return { live: true, message: `${display} is held by another plan process that is taking it right now; try again` };
  return { live: false, who: 'a process that left it unreadable' };
}

/** What taking the lock found. */
export interface TakenLock {
  /** The dead holder of a stale lock that was taken over, if there was one. */
  tookOverFrom?: string;
}

/** Creates the lock file holding `owner`; false when one exists. A lock file whose owner could not be written is removed again. */
async function createLockFile(path: string, display: string, owner: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RepoError(`cannot take ${display}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await handle.writeFile(owner);
    await handle.close();
    return true;
  } catch (error) {
    // a full disk: an empty lock file would hold everyone off for STALE_GARBAGE_MS
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw new RepoError(`cannot take ${display}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * An exclusive lock: a file created with O_EXCL holding its owner. A lock whose owner died on
 * this host is taken over (and `fn` told so); a live one is reported with who holds it (exit 2).
 */
export async function withLock<T>(path: string, display: string, command: string, fn: (lock: TakenLock) => Promise<T>): Promise<T> {
  // mkdir returns the first folder it made: a command that fails must not leave an empty .plan/ behind
  const created = await mkdir(dirname(path), { recursive: true });
  const removeCreated = async (): Promise<void> => {
    if (created) await rmdir(created).catch(() => undefined); // only when still empty
  };
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), command, since: new Date().toISOString() } satisfies LockOwner);
  const taken: TakenLock = {};
  try {
    for (let attempt = 0; !(await createLockFile(path, display, owner)); attempt++) {
      const holder = await lockHolder(path, display);
      if (holder?.live) throw new RepoError(holder.message);
      if (attempt > 0) throw new RepoError(`${display} is held by another plan process; try again`);
      if (holder) {
        taken.tookOverFrom = holder.who;
        await rm(path, { force: true });
      }
    }
  } catch (error) {
    await removeCreated();
    throw error;
  }
  try {
    return await fn(taken);
  } finally {
    await rm(path, { force: true });
    await removeCreated();
  }
}
