import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crashPoint } from './crash.js';

/**
 * Temporary names carry their writer's pid, so that whoever next takes the lock can tell a killed
 * writer's leftovers (removed) from a running writer's files (kept): see leftovers.ts.
 */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;
const TEMP_FOLDER = /^\.tmp-(\d+)-[0-9a-f]+$/;

const suffix = (): string => randomBytes(4).toString('hex');

/** A folder to build files in before they are renamed into place as a whole: `<parent>/.tmp-<pid>-<hex>`. */
export function tempFolderPath(parent: string): string {
  return `${parent}/.tmp-${process.pid}-${suffix()}`;
}

/** The pid in a temporary file or folder name plan writes, or undefined for any other name. */
export function tempOwner(name: string): number | undefined {
  const m = TEMP_FILE.exec(name) ?? TEMP_FOLDER.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: a temp file in the
 * same directory, fsync, rename over the target, then fsync of the directory so the rename survives a crash.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${suffix()}.tmp`);
  try {
    await writeNewFileSynced(temp, data, mode);
    crashPoint('atomic-before-rename');
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** Creates a file that must not exist yet (O_EXCL) and fsyncs its bytes before returning. */
export async function writeNewFileSynced(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames a file or folder and fsyncs the directories involved, so the move survives a crash. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from));
}

export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}
