import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { artifactKind, type SourceFile } from '../core/workspace.js';
import { listWorktree } from './git.js';

/**
 * Reads working-tree files without following symlinks. Files over `maxBytes` are read only to
 * one byte past the limit, enough to report them as too large without reading 50 MB.
 *
 * Synchronous on purpose: planning files are small and many, and one open/fstat/read/close in
 * C++ per file beats a promise round trip per system call (3,000 files: ~4x faster).
 */
export function readWorktreeFiles(root: string, paths: readonly string[], maxBytes: number, readAll = false): SourceFile[] {
  const results: SourceFile[] = [];
  for (const path of paths) {
    const source = readOne(root, path, maxBytes, readAll);
    if (source) results.push(source);
  }
  return results;
}

function readOne(root: string, path: string, maxBytes: number, readAll: boolean): SourceFile | undefined {
  const full = join(root, path);
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined; // deleted in the worktree, still in the index
    if (code === 'ELOOP' || (code === 'EISDIR' && lstatSync(full).isSymbolicLink())) return { path, bytes: new Uint8Array(), kind: 'symlink', size: 0 };
    if (code === 'EISDIR') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    // Attachments beside the plan (docs, images) are never parsed: their size is all the checks need.
    if (!readAll && artifactKind(path) === 'other') return { path, bytes: new Uint8Array(), kind: 'file', size: stat.size, contentSkipped: true };
    return { path, bytes: readUpTo(fd, Math.min(stat.size, maxBytes + 1)), kind: 'file', size: stat.size };
  } finally {
    closeSync(fd);
  }
}

/** Up to `size` bytes from the start of an open file; fewer when it is shorter. */
export function readUpTo(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const n = readSync(fd, bytes, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/** All files of the working tree under `dir` (tracked and untracked, not ignored). */
export async function worktreeSources(root: string, dir: string, maxBytes: number, readAll = false): Promise<{ sources: SourceFile[]; paths: string[] }> {
  const paths = await listWorktree(root, [dir]);
  return { sources: readWorktreeFiles(root, paths, maxBytes, readAll), paths };
}
