import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempOwner } from './atomic.js';
import { processAlive } from './lock.js';

/**
 * Temporary files and folders under `relDir` (repository-relative, searched to any depth, links
 * not followed) whose writer is no longer running: what a killed plan command left behind.
 */
export async function findCrashLeftovers(root: string, relDir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch {
      return; // missing or unreadable: nothing of ours to find there
    }
    for (const entry of entries) {
      const path = `${rel}/${entry.name}`;
      const pid = tempOwner(entry.name);
      if (pid !== undefined && !entry.isSymbolicLink()) {
        if (!processAlive(pid)) found.push(path);
      } else if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(relDir);
  return found.sort();
}

/** Removes what findCrashLeftovers finds; returns the paths removed. Call holding the lock. */
export async function removeCrashLeftovers(root: string, relDir: string): Promise<string[]> {
  const found = await findCrashLeftovers(root, relDir);
  for (const path of found) await rm(join(root, path), { recursive: true, force: true });
  return found;
}
