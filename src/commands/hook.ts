import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PlanError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { git, repoRoot } from '../io/git.js';

export interface HookInstallOptions {
  cwd: string;
  /** Replace a pre-commit hook that plan did not write. */
  force?: boolean;
}

export interface HookInstallResult {
  path: string;
  action: 'created' | 'updated' | 'unchanged' | 'replaced';
  /** Where hooks live: .git/hooks, core.hooksPath, or husky's .husky/. */
  via: 'git' | 'core.hooksPath' | 'husky';
}

const MARKER = '# installed by plan hook install';

export function hookScript(): string {
  return `#!/bin/sh
${MARKER}: lint what is about to be committed (plan lint --staged).
# Remove this file, or run plan hook install --force after editing, to change it.
if command -v plan >/dev/null 2>&1; then
  exec plan lint --staged
elif [ -x ./node_modules/.bin/plan ]; then
  exec ./node_modules/.bin/plan lint --staged
else
  echo "plan: not installed; skipping plan lint --staged (npm install --global plan-cli)" >&2
  exit 0
fi
`;
}

/**
 * Writes a pre-commit hook that runs `plan lint --staged`, where git will look for it:
 * core.hooksPath if set (husky sets it to .husky/_ and keeps user hooks in .husky/), else .git/hooks.
 * A hook plan did not write is left alone unless --force.
 */
export async function installHook(options: HookInstallOptions): Promise<HookInstallResult> {
  const root = await repoRoot(options.cwd);
  const hooksPath = (await git(root, ['config', '--get', 'core.hooksPath'], { okCodes: [1] })).stdout.toString().trim();
  let dir: string;
  let via: HookInstallResult['via'];
  if (hooksPath) {
    const resolved = isAbsolute(hooksPath) ? hooksPath : join(root, hooksPath);
    // husky 9 points core.hooksPath at .husky/_ (generated) and runs the user's .husky/<hook>
    const husky = /(^|\/)\.husky\/_\/?$/.test(hooksPath);
    dir = husky ? join(resolved, '..') : resolved;
    via = husky ? 'husky' : 'core.hooksPath';
  } else {
    dir = (await git(root, ['rev-parse', '--git-path', 'hooks'])).stdout.toString().trim();
    if (!isAbsolute(dir)) dir = join(root, dir);
    via = 'git';
  }
  const path = join(dir, 'pre-commit');
  const script = via === 'husky' ? hookScript().replace('#!/bin/sh\n', '') : hookScript();
  let action: HookInstallResult['action'] = 'created';
  if (existsSync(path)) {
    const existing = await readFile(path, 'utf8');
    if (existing === script) return { path, action: 'unchanged', via };
    if (!existing.includes(MARKER) && !options.force) {
      throw new PlanError(`${path} exists and was not written by plan; add "plan lint --staged" to it yourself, or run plan hook install --force to replace it`, 1);
    }
    action = existing.includes(MARKER) ? 'updated' : 'replaced';
  }
  await writeFileAtomic(path, script, 0o755);
  await chmod(path, 0o755);
  return { path, action, via };
}
