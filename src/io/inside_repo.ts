import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { RepoError } from '../core/errors.js';
import { syncDirectory } from './atomic.js';

/**
 * Guards for writes that must land inside the repository. A symbolic link committed or planted
 * where plan writes (.plan/, .plan/events/, an event log) would otherwise carry the write to
 * wherever it points, outside the repository included.
 */

// O_NOFOLLOW does not exist on Windows, where creating symbolic links needs privileges anyway.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** `a/b/c` → `['a', 'a/b', 'a/b/c']`; a path leaving the repository is refused. */
function prefixes(relPath: string): string[] {
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (isAbsolute(relPath) || parts.includes('..')) throw new RepoError(`${relPath} is not a path inside the repository`);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function linkRefused(relPath: string): RepoError {
  return new RepoError(`${relPath} is a symbolic link; plan writes only to real files and folders inside the repository (replace the link with what it points to)`);
}

/** The entry itself (a link is not followed), or undefined when nothing is there. */
async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Refuses (exit 2, naming the path) when `relDir` or a folder on the way to it from `root` is a
 * symbolic link or not a folder. Missing folders are fine: plan creates them as real folders.
 */
export async function assertRealDirInside(root: string, relDir: string): Promise<void> {
  for (const rel of prefixes(relDir)) {
    const stat = await lstatIfExists(join(root, rel));
    if (!stat) return;
    if (stat.isSymbolicLink()) throw linkRefused(rel);
    if (!stat.isDirectory()) throw new RepoError(`${rel} is not a folder`);
  }
}

/** Refuses when `relPath` exists and is not a regular file (a link, a folder), or its folder fails assertRealDirInside. */
export async function assertFileInside(root: string, relPath: string): Promise<void> {
  await assertRealDirInside(root, dirname(relPath));
  const stat = await lstatIfExists(join(root, relPath));
  if (!stat) return;
  if (stat.isSymbolicLink()) throw linkRefused(relPath);
  if (!stat.isFile()) throw new RepoError(`${relPath} is not a regular file`);
}

/**
 * Opens `relPath` for reading and appending (O_APPEND) without following a link at its end
 * (O_NOFOLLOW), after checking its folders. With `create`, a missing file (and its folders) is
 * created, and the folder synced so that the new name survives a crash.
 */
export async function openAppendNoFollow(root: string, relPath: string, options: { create?: boolean } = {}): Promise<FileHandle> {
  await assertRealDirInside(root, dirname(relPath));
  const path = join(root, relPath);
  const flags = constants.O_RDWR | constants.O_APPEND | NO_FOLLOW;
  try {
    return await open(path, flags);
  } catch (error) {
    if (code(error) === 'ELOOP' || code(error) === 'EMLINK') throw linkRefused(relPath);
    if (code(error) !== 'ENOENT' || !options.create) throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  let handle: FileHandle;
  try {
    handle = await open(path, flags | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    // created by someone else between the two opens: append to theirs
    if (code(error) === 'EEXIST') return openAppendNoFollow(root, relPath);
    throw error;
  }
  await syncDirectory(dirname(path));
  return handle;
}
