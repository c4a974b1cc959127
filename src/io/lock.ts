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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock: a file created with O_EXCL holding its owner. A lock whose owner died on
 * this host is taken over; a live one is reported with who holds it (exit 2).
 */
export async function withLock<T>(path: string, display: string, command: string, fn: () => Promise<T>): Promise<T> {
  // mkdir returns the first folder it made: a command that fails must not leave an empty .plan/ behind
  const created = await mkdir(dirname(path), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RepoError(`${display} is held by another plan process; try again`);
        throw new RepoError(`cannot take ${display}: ${(error as Error).message}`, { cause: error });
      }
      let owner: LockOwner | undefined;
      try {
        owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
      } catch {
        owner = undefined; // being written right now, or garbage: treat a garbage lock older than us as stale below
      }
      if (owner && (owner.host !== me.host || alive(owner.pid))) {
        throw new RepoError(`${display} is held by pid ${owner.pid} on ${owner.host} (${owner.command}) since ${owner.since}; if that process is gone, delete ${display}`);
      }
      if (!owner) {
        // Unreadable: either being written this instant, or garbage. Only garbage that has sat
        // there a while is stale; a fresh file belongs to someone mid-way through taking the lock.
        const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
        if (age < STALE_GARBAGE_MS) throw new RepoError(`${display} is held by another plan process that is taking it right now; try again`);
      }
      await rm(path, { force: true }); // stale: its owner is dead
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
    if (created) await rmdir(created).catch(() => undefined); // only when still empty
  }
}
