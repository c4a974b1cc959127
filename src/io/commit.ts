import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseState, serializeState, type PlanState } from '../core/state.js';
import { git } from './git.js';
import { STATE_PATH } from './store.js';

/**
 * Commits one plan's change and nothing else: HEAD's tree plus this plan's state line (not the
 * whole working state file, which may hold other plans' uncommitted moves), the given files, and
 * no other staged change. Built in a temporary index, then HEAD moves with a compare-and-swap.
 */
export async function commitPlanChange(root: string, plan: string, state: PlanState | undefined, paths: readonly string[], message: string): Promise<string> {
  const run = async (args: string[], env: Record<string, string> = {}, input?: string) => (await gitEnv(root, args, env, input)).trim();
  const head = (await git(root, ['rev-parse', '--verify', '-q', 'HEAD'], { okCodes: [1] })).stdout.toString().trim();
  const gitDir = await run(['rev-parse', '--absolute-git-dir']);
  const index = join(gitDir, `plan-index-${process.pid}-${randomBytes(4).toString('hex')}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await run(head ? ['read-tree', head] : ['read-tree', '--empty'], env);
    const committedState = head ? await git(root, ['cat-file', 'blob', `${head}:${STATE_PATH}`], { okCodes: [128] }) : undefined;
    const lines = parseState(committedState?.code === 0 ? committedState.stdout.toString('utf8') : '', STATE_PATH);
    if (state) lines.set(plan, state);
    else lines.delete(plan);
    const blob = await run(['hash-object', '-w', '--stdin'], {}, serializeState(lines));
    await run(['update-index', '--add', '--cacheinfo', `100644,${blob},${STATE_PATH}`], env);
    const present = paths.filter((p) => existsSync(join(root, p)));
    if (present.length > 0) await run(['add', '--', ...present], env);
    const tree = await run(['write-tree'], env);
    const sign = (await git(root, ['config', '--get', '--bool', 'commit.gpgsign'], { okCodes: [1] })).stdout.toString().trim() === 'true';
    const commit = await run(['commit-tree', tree, ...(head ? ['-p', head] : []), ...(sign ? ['-S'] : []), '-F', '-'], {}, message);
    await run(['update-ref', '-m', `commit: ${message.split('\n')[0]}`, 'HEAD', commit, head || '0'.repeat(40)]);
    // The real index follows the new commit for these paths, so git status shows only what is still uncommitted.
    await run(['reset', '-q', '--', STATE_PATH, ...present]);
    return commit;
  } finally {
    await rm(index, { force: true });
  }
}

async function gitEnv(root: string, args: string[], env: Record<string, string>, input?: string): Promise<string> {
  return (await git(root, args, { env, ...(input === undefined ? {} : { input }) })).stdout.toString('utf8');
}
