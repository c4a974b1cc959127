import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PLAN_BIN = join(PROJECT_ROOT, 'bin', 'plan.js');
export const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin/plan.js) in `cwd`, without color, like a user in CI would. */
export function runPlan(cwd: string, args: readonly string[], options: { env?: Record<string, string>; input?: string; timeout?: number } = {}): RunResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  // present-but-empty FORCE_COLOR forces color (the supports-color convention), so remove it
  if (options.env?.['FORCE_COLOR'] === undefined) delete env['FORCE_COLOR'];
  if (options.env?.['GITHUB_ACTIONS'] === undefined) delete env['GITHUB_ACTIONS'];
  const result = spawnSync(process.execPath, [PLAN_BIN, ...args], {
    cwd,
    env,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '', GIT_COMMITTER_DATE: '' } });
}

const GIT_CONFIG = `[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
[user]
\tname = Plan Tester
\temail = tester@example.com
[commit]
\tgpgsign = false
[gc]
\tauto = 0
[init]
\tdefaultBranch = main
`;

/** A fresh git repository in a temp folder, config written in one go. */
export function tempRepo(prefix = 'plan-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, '.git', 'config'), GIT_CONFIG);
  return dir;
}

/** Writes files (path → content) under `root`, creating folders. */
export function writeFiles(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export function readText(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** A temp repository holding the seed's plan (plan.yaml, be_backlog.yaml, story_map.md from the seed §2). */
export function seedRepo(): string {
  const dir = tempRepo();
  cpSync(join(FIXTURES, 'seed'), join(dir, 'plans', 'seed-backend'), { recursive: true });
  return dir;
}

export function removeRepo(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function commitAll(cwd: string, message = 'test commit'): void {
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-q', '--no-verify', '-m', message);
}

/** Temp folders made by one test file, all removed by cleanup(). */
export function tempDirTracker(): { tempDir(prefix: string): string; track(dir: string): string; cleanup(): void } {
  const made: string[] = [];
  return {
    track(dir) {
      made.push(dir);
      return dir;
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) removeRepo(dir);
    },
  };
}

/** `plan` runners with a fixed environment (a test passphrase, say): plan() returns, planOk() must succeed. */
export function planRunner(baseEnv: Record<string, string>): {
  plan(cwd: string, args: readonly string[], env?: Record<string, string>): RunResult;
  planOk(cwd: string, args: readonly string[], env?: Record<string, string>): RunResult;
} {
  const plan = (cwd: string, args: readonly string[], env: Record<string, string> = {}) => runPlan(cwd, args, { env: { ...baseEnv, ...env } });
  return {
    plan,
    planOk(cwd, args, env = {}) {
      const r = plan(cwd, args, env);
      if (r.code !== 0) throw new Error(`plan ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r;
    },
  };
}

/**
 * path → mode, size and sha256 of every entry under `root` except .git (symlinks by target, never
 * followed; a folder that cannot be listed is an entry of its own): compared before and after a
 * command, it proves what the command changed.
 */
export function treeSnapshot(root: string, options: { includeGit?: boolean } = {}): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const dir = rel === '' ? root : join(root, rel);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      out.set(`${rel}/`, 'unlistable');
      return;
    }
    for (const name of names) {
      if (rel === '' && name === '.git' && !options.includeGit) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out.set(path, `link:${readlinkSync(full)}`);
      else if (stat.isDirectory()) {
        out.set(`${path}/`, `dir:${(stat.mode & 0o7777).toString(8)}`);
        walk(path);
      } else if (stat.isFile()) {
        let digest: string;
        try {
          digest = createHash('sha256').update(readFileSync(full)).digest('hex');
        } catch {
          digest = 'unreadable';
        }
        out.set(path, `file:${(stat.mode & 0o7777).toString(8)}:${stat.size}:${digest}`);
      } else out.set(path, 'other');
    }
  };
  walk('');
  return out;
}
