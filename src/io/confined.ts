import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { RepoError } from '../core/errors.js';

/**
 * Refuses to write at `path` (relative to `root`) when the file or any folder on the way to it
 * is a symbolic link or not what it should be: a committed link could send the write outside
 * the repository. Parts that do not exist yet are fine; they will be created as real ones.
 */
export function assertWritablePath(root: string, path: string): void {
  const parts = path.split('/');
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]!);
    const shown = parts.slice(0, i + 1).join('/');
    let stat;
    try {
      stat = lstatSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new RepoError(`cannot check ${shown}: ${(error as Error).message}`, { file: path, cause: error });
    }
    const last = i === parts.length - 1;
    if (stat.isSymbolicLink()) throw new RepoError(`${shown} is a symbolic link; plan writes only through real folders and files of the repository`, { file: path });
    if (!last && !stat.isDirectory()) throw new RepoError(`${shown} is not a folder`, { file: path });
    if (last && !stat.isFile()) throw new RepoError(`${shown} is not a regular file`, { file: path });
  }
}
