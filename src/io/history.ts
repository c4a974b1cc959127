import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoError } from '../core/errors.js';
import type { BacklogCommit, SerializedTimeline } from '../core/digest/timeline.js';
import { writeFileAtomic } from './atomic.js';
import { BlobCache } from './cache.js';
import { git } from './git.js';

/** Readers of the backlog history for digests: one `git log`, one `git cat-file --batch`, and their caches. */

export interface RepositoryHistory {
  gitDir: string;
  /** HEAD's commit, or null before the first commit. */
  head: string | null;
}

/** Where HEAD is; a shallow clone is refused, since a digest computed from one would be wrong without saying so. */
export async function inspectHistory(root: string): Promise<RepositoryHistory> {
  const { stdout } = await git(root, ['rev-parse', '--is-shallow-repository', '--absolute-git-dir', '--verify', '-q', 'HEAD'], { okCodes: [1] });
  const [shallow, gitDir, head] = stdout.toString('utf8').trim().split('\n');
  if (shallow === 'true') {
    throw new RepoError('this is a shallow clone: a digest needs the whole history of the backlogs (run `git fetch --unshallow`, or in CI check out with full history, e.g. fetch-depth: 0)');
  }
  return { gitDir: gitDir!, head: head || null };
}

/** Whether `base` lies on the first-parent chain of `head`, so the chain's commits after it extend what was built up to it. */
export async function onFirstParentChain(root: string, base: string, head: string): Promise<boolean> {
  if (base === head) return true;
  const result = await git(root, ['rev-list', '--first-parent', '--parents', `${base}..${head}`], { okCodes: [128] });
  if (result.code !== 0) return false;
  const oldest = result.stdout.toString('utf8').trim().split('\n').at(-1) ?? '';
  return oldest.split(' ')[1] === base;
}

export interface TimelineCache {
  key: string;
  head: string;
  timeline: SerializedTimeline;
}

const TIMELINE_CACHE = ['plan', 'cache', 'digest-timeline.json'];

/** The task timeline built up to a commit, from .git/plan/cache; undefined when missing, damaged or made for other settings. */
export async function readTimelineCache(gitDir: string, key: string): Promise<TimelineCache | undefined> {
  try {
    const cache = JSON.parse(await readFile(join(gitDir, ...TIMELINE_CACHE), 'utf8')) as TimelineCache;
    return cache.key === key && typeof cache.head === 'string' && cache.timeline ? cache : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTimelineCache(gitDir: string, cache: TimelineCache): Promise<void> {
  try {
    await writeFileAtomic(join(gitDir, ...TIMELINE_CACHE), JSON.stringify(cache));
  } catch {
    // a read-only .git or a full disk: the next run rebuilds
  }
}

export function backlogPathspec(plansDir: string, backlogFile: string): string {
  const dir = plansDir.replace(/\/+$/, '').replace(/^\.\/?/, '');
  return `:(glob)${dir ? `${dir}/` : ''}*/${backlogFile}`;
}

/**
 * Every commit of the first-parent history in `range` (a commit, or `base..head`) that changed a backlog file, oldest first, with
 * the blob ids the files have after it (`--raw` names them, so no tree is read). Merges count
 * against their first parent: the main line's history is the team's.
 */
export async function readBacklogLog(root: string, pathspec: string, range: string): Promise<BacklogCommit[]> {
  const { stdout } = await git(root, ['log', '-z', '--first-parent', '--diff-merges=first-parent', '--raw', '--no-renames', '--no-abbrev', '--format=%x01%H %ct', range, '--', pathspec]);
  const tokens = stdout.toString('utf8').split('\0');
  const commits: BacklogCommit[] = [];
  let current: BacklogCommit | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const header = token.indexOf('\x01');
    if (header !== -1) {
      const [sha, time] = token.slice(header + 1).split(' ');
      current = { sha: sha!, time: Number(time) * 1000, changes: [] };
      commits.push(current);
      continue;
    }
    const raw = token.replace(/^\n/, '');
    if (!raw.startsWith(':') || !current) continue;
    // :<old mode> <new mode> <old blob> <new blob> <status>, then the path as the next token
    const fields = raw.split(' ');
    const status = fields[4] ?? '';
    const path = tokens[++i] ?? '';
    current.changes.push({ path, blob: status.startsWith('D') || /^0+$/.test(fields[3] ?? '') ? null : fields[3]! });
  }
  return commits.reverse();
}

/**
 * The parsed form of every wanted backlog blob (blob id → a path it was seen at): from the
 * cache under .git/plan/cache when a previous run parsed it, otherwise read in one
 * `git cat-file --batch` and parsed once. Without a cache name, the blobs are read and parsed
 * without touching the cache (a few new versions are cheaper to parse than the cache is to load).
 */
export async function readBacklogVersions<T>(root: string, wanted: ReadonlyMap<string, string>, parse: (path: string, bytes: Uint8Array) => T, cache?: { name: string; version: number }): Promise<Map<string, T>> {
  if (!cache) {
    const versions = new Map<string, T>();
    await streamBlobs(root, [...wanted.keys()], (blob, bytes) => versions.set(blob, parse(wanted.get(blob)!, bytes)));
    return versions;
  }
  return readThroughCache(root, wanted, parse, await BlobCache.open<T>(root, cache.name, cache.version));
}

async function readThroughCache<T>(root: string, wanted: ReadonlyMap<string, string>, parse: (path: string, bytes: Uint8Array) => T, cache: BlobCache<T>): Promise<Map<string, T>> {
  const versions = new Map<string, T>();
  const misses: string[] = [];
  for (const blob of wanted.keys()) {
    const hit = cache.get(blob);
    if (hit === undefined) misses.push(blob);
    else versions.set(blob, hit);
  }
  await streamBlobs(root, misses, (blob, bytes) => {
    const value = parse(wanted.get(blob)!, bytes);
    cache.set(blob, value);
    versions.set(blob, value);
  });
  await cache.save(new Set(wanted.keys()));
  return versions;
}

/**
 * Reads blobs through one `git cat-file --batch`, handing each to `onBlob` as soon as it has
 * arrived, so parsing in this process overlaps git inflating the next ones in its own.
 */
function streamBlobs(root: string, blobs: readonly string[], onBlob: (blob: string, bytes: Buffer) => void): Promise<void> {
  if (blobs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const errors: Buffer[] = [];
    // Chunks are joined only once the record being read is complete: joining on every chunk
    // would copy a large blob over and over.
    const chunks: Buffer[] = [];
    let buffered = 0;
    let needed = 1;
    let next = 0;
    let failure: Error | undefined;
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      if (buffered < needed || failure) return;
      const pending = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let offset = 0;
      needed = 1;
      while (next < blobs.length) {
        const newline = pending.indexOf(10, offset);
        if (newline === -1) {
          needed = pending.length - offset + 1;
          break;
        }
        const [id, type, size] = pending.toString('latin1', offset, newline).split(' ');
        if (type === 'missing' || size === undefined) {
          failure = new RepoError(`git cat-file: object ${id} is missing`);
          break;
        }
        const end = newline + 1 + Number(size);
        if (end + 1 > pending.length) {
          needed = end + 1 - offset;
          break;
        }
        try {
          onBlob(blobs[next++]!, pending.subarray(newline + 1, end));
        } catch (error) {
          failure = error as Error;
          break;
        }
        offset = end + 1;
      }
      chunks.length = 0;
      buffered = pending.length - offset;
      if (buffered > 0) chunks.push(pending.subarray(offset));
      if (failure) child.kill();
    });
    child.on('error', (error) => reject(new RepoError(`cannot run git: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (failure) reject(failure);
      else if (code !== 0 || next < blobs.length) reject(new RepoError(Buffer.concat(errors).toString('utf8').trim().split('\n')[0]?.replace(/^fatal: /, '') || `git cat-file exited with ${code} after ${next} of ${blobs.length} objects`));
      else resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${blobs.join('\n')}\n`);
  });
}
