import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { RepoError } from '../core/errors.js';
import { git } from './git.js';
import { readUpTo } from './sources.js';

export interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  path: string;
}

/** The files of a commit under a folder (`git ls-tree -r`), or undefined when the commit is unknown. */
export async function treeEntries(root: string, rev: string, dir: string): Promise<TreeEntry[] | undefined> {
  const exists = await git(root, ['cat-file', '-e', `${rev}^{commit}`], { okCodes: [1, 128] });
  if (exists.code !== 0) return undefined;
  const { stdout } = await git(root, ['ls-tree', '-r', '-z', '--full-tree', rev, '--', dir]);
  return stdout
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode, type, object] = record.slice(0, tab).split(' ');
      return { mode: mode!, type: type!, object: object!, path: record.slice(tab + 1) };
    });
}

/** The tree id of a folder in a commit. */
export async function treeId(root: string, rev: string, dir: string): Promise<string> {
  return (await git(root, ['rev-parse', `${rev}:${dir}`])).stdout.toString('utf8').trim();
}

/** The id git gives these bytes as a blob (`git hash-object`), without running git; sha256 in a sha256 repository. */
export function gitBlobId(bytes: Uint8Array, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(algorithm).update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/** Checked-out files above this are left to git, which streams them. */
const WORKTREE_READ_LIMIT = 64 * 1024 * 1024;

/**
 * sha256 of the blobs of tree entries. A checked-out file whose git blob id is the entry's holds
 * exactly the blob's bytes, so it is hashed from the working tree: no pipe from git, which costs
 * more than the hashing (100 MB: ~0.65 s through `git cat-file --batch`, ~0.3 s from the files).
 * The rest (changed, converted or missing files) stream from git.
 */
export async function sha256OfEntries(root: string, entries: readonly TreeEntry[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const fromGit: string[] = [];
  let yielded = performance.now();
  for (const entry of entries) {
    if (result.has(entry.object)) continue;
    // hashing is synchronous: let a spinner turn (and signals arrive) every few dozen milliseconds
    if (performance.now() - yielded > 40) {
      await new Promise((resolve) => setImmediate(resolve));
      yielded = performance.now();
    }
    const bytes = entry.type === 'blob' && entry.mode !== '120000' ? readCheckedOut(join(root, entry.path)) : undefined;
    const algorithm = entry.object.length === 64 ? 'sha256' : 'sha1';
    if (bytes && gitBlobId(bytes, algorithm) === entry.object) result.set(entry.object, createHash('sha256').update(bytes).digest('hex'));
    else fromGit.push(entry.object);
  }
  for (const [object, sum] of await sha256OfBlobs(root, fromGit)) result.set(object, sum);
  return result;
}

/** A regular file's bytes (links not followed), or undefined for anything else or anything too large. */
function readCheckedOut(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > WORKTREE_READ_LIMIT) return undefined;
    const bytes = readUpTo(fd, stat.size);
    return bytes.length === stat.size ? bytes : undefined; // shrank while being read
  } finally {
    closeSync(fd);
  }
}

/**
 * sha256 of many blobs, streamed through one `git cat-file --batch` process and hashed with
 * node:crypto as the bytes arrive: 100 MB of artifacts never sit in memory at once.
 */
export function sha256OfBlobs(root: string, objects: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(objects)];
  const result = new Map<string, string>();
  if (unique.length === 0) return Promise.resolve(result);
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let index = 0;
    let header = Buffer.alloc(0);
    let remaining = -1; // bytes of content still to hash for the current object; -1 while reading a header
    let hash = createHash('sha256');
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining === -1) {
          const nl = chunk.indexOf(10, offset);
          if (nl === -1) {
            header = Buffer.concat([header, chunk.subarray(offset)]);
            return;
          }
          const line = Buffer.concat([header, chunk.subarray(offset, nl)]).toString('latin1');
          header = Buffer.alloc(0);
          offset = nl + 1;
          const [, type, size] = line.split(' ');
          if (type === 'missing' || size === undefined) {
            child.kill();
            reject(new RepoError(`git object ${unique[index]} is missing`));
            return;
          }
          remaining = Number(size) + 1; // content and its trailing newline
          hash = createHash('sha256');
        } else {
          const take = Math.min(remaining, chunk.length - offset);
          const contentPart = remaining - take === 0 ? take - 1 : take; // leave the newline out of the hash
          if (contentPart > 0) hash.update(chunk.subarray(offset, offset + contentPart));
          remaining -= take;
          offset += take;
          if (remaining === 0) {
            result.set(unique[index]!, hash.digest('hex'));
            index++;
            remaining = -1;
          }
        }
      }
    });
    child.on('error', (error) => reject(new RepoError(`cannot run git: ${error.message}`)));
    child.on('close', (code) => {
      if (result.size === unique.length) resolve(result);
      else reject(new RepoError(`git cat-file failed (${code}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(unique.join('\n') + '\n');
  });
}
