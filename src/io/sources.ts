import { open, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactKind, type SourceFile } from '../core/workspace.js';
import { listWorktree } from './git.js';

const READ_CONCURRENCY = 64;

/**
 * Reads working-tree files without following symlinks. Files over `maxBytes` are not read: an
 * empty-but-oversized marker buffer would lie, so their size is kept and the bytes cut to the limit + 1.
 */
export async function readWorktreeFiles(root: string, paths: readonly string[], maxBytes: number, readAll = false): Promise<SourceFile[]> {
  const results: Array<SourceFile | undefined> = new Array(paths.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const i = next++;
      results[i] = await readOne(root, paths[i]!, maxBytes, readAll);
    }
  }
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  return results.filter((r): r is SourceFile => r !== undefined);
}

async function readOne(root: string, path: string, maxBytes: number, readAll: boolean): Promise<SourceFile | undefined> {
  const full = join(root, path);
  let stat;
  try {
    stat = await lstat(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // deleted in the worktree, still in the index
    throw error;
  }
  if (stat.isSymbolicLink()) return { path, bytes: new Uint8Array(), kind: 'symlink', size: 0 };
  if (!stat.isFile()) return undefined;
  // Attachments beside the plan (docs, images) are never parsed: their size is all the checks need.
  if (!readAll && artifactKind(path) === 'other') return { path, bytes: new Uint8Array(), kind: 'file', size: stat.size, contentSkipped: true };
  const handle = await open(full, 'r');
  try {
    // Reading one byte past the limit is enough to know it is too large without reading 50 MB.
    const size = Math.min(stat.size, maxBytes + 1);
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { path, bytes: bytes.subarray(0, read), kind: 'file', size: stat.size };
  } finally {
    await handle.close();
  }
}

/** All files of the working tree under `dir` (tracked and untracked, not ignored). */
export async function worktreeSources(root: string, dir: string, maxBytes: number, readAll = false): Promise<{ sources: SourceFile[]; paths: string[] }> {
  const paths = await listWorktree(root, [dir]);
  return { sources: await readWorktreeFiles(root, paths, maxBytes, readAll), paths };
}
