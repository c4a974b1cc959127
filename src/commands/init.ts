import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { DEFAULT_CONFIG } from '../core/config.js';
import { serializeState } from '../core/state.js';
import { PLAN_DIR, SCHEMA_DIR, STATE_PATH } from '../io/store.js';
import { writeFileAtomic } from '../io/atomic.js';
import { assertFileInside, assertRealDirInside } from '../io/inside_repo.js';
import { git, listWorktree, repoRoot } from '../io/git.js';
import { loadConfig } from '../io/config.js';
import { packageRoot } from '../io/package.js';
import { RULEBOOK_FILES } from '../io/rulebook.js';
import { BACKLOG_FILE, PLAN_FILE } from '../core/workspace.js';

export interface InitOptions {
  cwd: string;
  config?: string;
  /** Copy the built-in rulebook into the repository so the team can edit it (default true). */
  rulebook?: boolean;
}

export type InitAction = 'created' | 'updated' | 'unchanged';

export interface InitResult {
  root: string;
  changes: Array<{ path: string; action: InitAction }>;
}

// Event and approval logs only grow, so a union merge is right; signed bytes must never get eol conversion.
const GITATTRIBUTES_LINES = ['.plan/events/*.jsonl merge=union', '.plan/approvals/*.jsonl merge=union', '.plan/state.yaml merge=plan-state', '.plan/handoffs/** -text', '.plan/keys/** -text'];
const MODELINE = '# yaml-language-server: $schema=';
/** Which shipped schema an editor should use for each plan file. */
const PLAN_FILE_SCHEMAS: Record<string, string> = { [PLAN_FILE]: 'plan', [BACKLOG_FILE]: 'be_backlog' };

/**
 * Sets a repository up for `plan`, idempotently: nothing that exists is overwritten, and running
 * it twice changes nothing the second time (except refreshing the schema copies).
 */
export async function init(options: InitOptions): Promise<InitResult> {
  const root = await repoRoot(options.cwd);
  const { config, file: configFile } = await loadConfig(root, options.config ? join(options.cwd, options.config) : undefined);
  const changes: InitResult['changes'] = [];
  const record = (path: string, action: InitAction): void => void changes.push({ path, action });
  const pkg = packageRoot();

  // Schema copies in the repository give editors a path that works however plan was installed.
  for (const name of (await readdir(join(pkg, 'schemas'))).filter((f) => f.endsWith('.schema.json')).sort()) {
    record(`${SCHEMA_DIR}/${name}`, await writeIfChanged(root, `${SCHEMA_DIR}/${name}`, await readFile(join(pkg, 'schemas', name), 'utf8')));
  }
  if (!configFile) {
    const text = `${MODELINE}${SCHEMA_DIR}/config.schema.json\n# plan's settings; every key is optional. \`plan config --print\` shows the resolved values.\nplans_dir: ${DEFAULT_CONFIG.plans_dir}\nlint:\n  max_warnings: -1\n`;
    record('plan.config.yaml', await writeIfAbsent(root, 'plan.config.yaml', text));
  } else record(configFile, 'unchanged');

  record(STATE_PATH, await writeIfAbsent(root, STATE_PATH, serializeState(new Map())));
  record(`${PLAN_DIR}/.gitignore`, await ensureLines(root, `${PLAN_DIR}/.gitignore`, ['# the lock and an interrupted change are local to one checkout', 'lock', 'journal.json']));
  record('.gitattributes', await ensureLines(root, '.gitattributes', GITATTRIBUTES_LINES));
  record('.git/config (merge.plan-state)', await configureMergeDriver(root));

  if (options.rulebook !== false) {
    for (const name of RULEBOOK_FILES) {
      const target = `${config.rulebook_dir}/${name}.yaml`;
      const original = await readFile(join(pkg, 'rulebook', `${name}.yaml`), 'utf8');
      const schemaRef = relative(dirname(join(root, target)), join(root, SCHEMA_DIR)).split('\\').join('/');
      record(target, await writeIfAbsent(root, target, original.replace(/(\$schema=)\.\.\/schemas/, `$1${schemaRef}`)));
    }
  }

  await assertRealDirInside(root, config.plans_dir);
  await mkdir(join(root, config.plans_dir), { recursive: true });
  for (const path of await listWorktree(root, [config.plans_dir])) {
    const schema = PLAN_FILE_SCHEMAS[path.split('/').pop()!];
    if (!schema) continue;
    const schemaRef = relative(dirname(join(root, path)), join(root, SCHEMA_DIR, `${schema}.schema.json`)).split('\\').join('/');
    record(path, await ensureModeline(root, path, schemaRef));
  }
  return { root, changes };
}

/**
 * The absolute path of a file init may read and write: a link (committed, or planted in place of
 * .plan/ or the rulebook) would carry its content into the repository or the write out of it.
 */
async function checked(root: string, relPath: string): Promise<string> {
  await assertFileInside(root, relPath);
  return join(root, relPath);
}

async function writeIfAbsent(root: string, relPath: string, text: string): Promise<InitAction> {
  const path = await checked(root, relPath);
  if (existsSync(path)) return 'unchanged';
  await writeFileAtomic(path, text);
  return 'created';
}

async function writeIfChanged(root: string, relPath: string, text: string): Promise<InitAction> {
  const path = await checked(root, relPath);
  const existing = existsSync(path) ? await readFile(path, 'utf8') : undefined;
  if (existing === text) return 'unchanged';
  await writeFileAtomic(path, text);
  return existing === undefined ? 'created' : 'updated';
}

async function ensureLines(root: string, relPath: string, lines: readonly string[]): Promise<InitAction> {
  const path = await checked(root, relPath);
  const existing = existsSync(path) ? await readFile(path, 'utf8') : undefined;
  const present = new Set((existing ?? '').split(/\r?\n/).map((l) => l.trim()));
  const missing = lines.filter((l) => !present.has(l));
  if (missing.length === 0) return 'unchanged';
  const base = existing === undefined || existing === '' || existing.endsWith('\n') ? (existing ?? '') : `${existing}\n`;
  await writeFileAtomic(path, `${base}${missing.join('\n')}\n`);
  return existing === undefined ? 'created' : 'updated';
}

async function ensureModeline(root: string, relPath: string, schemaRef: string): Promise<InitAction> {
  const path = await checked(root, relPath);
  const text = await readFile(path, 'utf8');
  if (text.includes(MODELINE)) return 'unchanged';
  await writeFileAtomic(path, `${MODELINE}${schemaRef}\n${text}`);
  return 'updated';
}

/**
 * Defines the plan-state merge driver in this clone's git config (git does not share config, so
 * every clone runs plan init once). Without it git falls back to its line merge, which conflicts
 * when two branches add plans whose lines sort side by side.
 */
async function configureMergeDriver(root: string): Promise<InitAction> {
  const driver = `"${process.execPath}" "${join(packageRoot(), 'bin', 'plan.js')}" merge-state %O %A %B`;
  const current = (await git(root, ['config', '--get', 'merge.plan-state.driver'], { okCodes: [1] })).stdout.toString().trim();
  if (current === driver) return 'unchanged';
  await git(root, ['config', 'merge.plan-state.name', 'plan state file (one line per plan)']);
  await git(root, ['config', 'merge.plan-state.driver', driver]);
  return current ? 'updated' : 'created';
}
