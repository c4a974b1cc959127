import { spawn } from 'node:child_process';
import { RepoError } from '../core/errors.js';

export interface GitOptions {
  input?: string | Uint8Array;
  /** Exit codes besides 0 that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okCodes?: number[];
  /** Extra environment, e.g. GIT_INDEX_FILE for a temporary index. */
  env?: Record<string, string>;
}

export interface GitResult {
  stdout: Buffer;
  code: number;
}

/** Runs git with a fixed, locale-free environment and returns stdout; failures become one-line RepoErrors. */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new RepoError(`cannot run git: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      const exit = code ?? 1;
      if (exit === 0 || options.okCodes?.includes(exit)) resolve({ stdout: Buffer.concat(out), code: exit });
      else {
        const message = Buffer.concat(err).toString('utf8').trim().split('\n')[0] || `git ${args[0]} exited with ${exit}`;
        reject(new RepoError(message.replace(/^fatal: /, '')));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** The top of the working tree containing `cwd`, or exit 2 when there is none. */
export async function repoRoot(cwd: string): Promise<string> {
  try {
    const { stdout } = await git(cwd, ['rev-parse', '--show-toplevel']);
    const root = stdout.toString('utf8').trim();
    if (!root) throw new RepoError(`${cwd} is not inside a git working tree (bare repository?)`);
    return root;
  } catch (error) {
    if (error instanceof RepoError && /not a git repository/i.test(error.message)) {
      throw new RepoError(`${cwd} is not a git repository; run "git init" first`);
    }
    throw error;
  }
}

export interface IndexEntry {
  mode: string;
  blob: string;
  path: string;
}

/** Files in the git index under the pathspecs, with their blob ids. */
export async function listIndex(root: string, pathspecs: readonly string[]): Promise<IndexEntry[]> {
  const { stdout } = await git(root, ['ls-files', '-s', '-z', '--', ...pathspecs]);
  const entries: IndexEntry[] = [];
  for (const record of splitZ(stdout)) {
    const tab = record.indexOf('\t');
    const [mode, blob, stage] = record.slice(0, tab).split(' ');
    if (stage !== '0') continue; // unmerged: stages 1-3 are the sides of a conflict, the worktree file has the markers
    entries.push({ mode: mode!, blob: blob!, path: record.slice(tab + 1) });
  }
  return entries;
}

/** Tracked and untracked-but-not-ignored files of the working tree under the pathspecs. */
export async function listWorktree(root: string, pathspecs: readonly string[]): Promise<string[]> {
  const { stdout } = await git(root, ['ls-files', '-c', '-o', '--exclude-standard', '--deduplicate', '-z', '--', ...pathspecs]);
  return splitZ(stdout);
}

/** Paths added, copied, modified or renamed in the index relative to HEAD (all of them before the first commit). */
export async function stagedPaths(root: string, pathspecs: readonly string[]): Promise<string[]> {
  const head = await git(root, ['rev-parse', '--verify', '-q', 'HEAD'], { okCodes: [1] });
  const against = head.code === 0 ? 'HEAD' : '4b825dc642cb6eb9a060e54bf8d69288fbee4904'; // the empty tree
  const { stdout } = await git(root, ['diff', '--cached', '--name-only', '--diff-filter=ACMR', '--no-renames', '-z', against, '--', ...pathspecs]);
  return splitZ(stdout);
}

function splitZ(buffer: Buffer): string[] {
  return buffer.toString('utf8').split('\0').filter(Boolean);
}

/**
 * Reads many blobs through one `git cat-file --batch` process: one request line per blob id,
 * answers parsed from the stream in order.
 */
export async function readBlobs(root: string, blobs: readonly string[]): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  if (blobs.length === 0) return result;
  const unique = [...new Set(blobs)];
  const { stdout } = await git(root, ['cat-file', '--batch'], { input: unique.join('\n') + '\n' });
  let offset = 0;
  for (const id of unique) {
    const newline = stdout.indexOf(10, offset);
    const header = stdout.toString('latin1', offset, newline);
    const [, type, size] = header.split(' ');
    if (type === undefined || size === undefined) throw new RepoError(`git cat-file: object ${id} is missing`);
    const start = newline + 1;
    const end = start + Number(size);
    result.set(id, stdout.subarray(start, end));
    offset = end + 1;
  }
  return result;
}
