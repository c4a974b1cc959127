import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { taskIdRegex } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { countFindings, type Finding } from '../core/finding.js';
import { lintWorkspace } from '../core/lint.js';
import { describeRule, type RuleDescription } from '../core/rules.js';
import { LINT_VALIDATORS } from '../core/validators/index.js';
import { BACKLOG_FILE, addBacklogSummary, buildWorkspace, planOfPath, readArtifact, summarizeBacklog, type BacklogSummary, type SourceFile, type Workspace } from '../core/workspace.js';
import type { PlanConfig } from '../core/config.js';
import { listIndex, readBlobs, stagedPaths } from '../io/git.js';
import { BlobCache } from '../io/cache.js';
import { loadGovernance } from '../io/rulebook.js';
import { prepareSchemas, schemaChecker } from '../io/schemas.js';
import { worktreeSources } from '../io/sources.js';
import { openRepo, type RepoOptions } from './repo.js';

export interface LintOptions extends RepoOptions {
  /** Files or folders to report on (relative to cwd); every plan is still read for cross-references. */
  paths?: string[];
  /** Lint what is in the git index instead of the working tree. */
  staged?: boolean;
  /** Fail when there are more warnings than this; negative means no limit. */
  maxWarnings?: number;
}

export interface LintResult {
  root: string;
  findings: Finding[];
  filesChecked: number;
  plansChecked: number;
  maxWarnings: number;
  rules: RuleDescription[];
}

export async function lint(options: LintOptions): Promise<LintResult> {
  const repo = await openRepo(options);
  const { root, config } = repo;
  const maxWarnings = options.maxWarnings ?? config.lint.max_warnings;
  const scope = await resolveScope(options, root, config.plans_dir);
  await prepareSchemas(root, config.artifacts.map((a) => a.schema));

  const taskIdPattern = taskIdRegex(config);
  const { workspace, filesChecked } = options.staged ? await stagedWorkspace(root, config, taskIdPattern, scope.prefixes) : await worktreeWorkspace(root, config, taskIdPattern);
  const inScope = scope.all ? () => true : (path: string) => scope.prefixes.some((p) => path === p || path.startsWith(`${p}/`));
  const findings = lintWorkspace(
    { workspace, config, taskIdPattern, governanceTags: loadGovernance(root, config).tags, checkSchema: schemaChecker(root), inScope },
    LINT_VALIDATORS.map((type) => ({ type })),
  );
  const ruleIds = new Set(findings.map((f) => f.rule));
  return { root, findings, filesChecked: filesChecked ?? countInScope(workspace, inScope), plansChecked: workspace.plans.size, maxWarnings, rules: [...ruleIds].sort().map(describeRule) };
}

export function lintExitCode(result: Pick<LintResult, 'findings' | 'maxWarnings'>): number {
  const counts = countFindings(result.findings);
  if (counts.error > 0) return 1;
  if (result.maxWarnings >= 0 && counts.warning > result.maxWarnings) return 1;
  return 0;
}

function countInScope(workspace: Workspace, inScope: (path: string) => boolean): number {
  let count = 0;
  for (const plan of workspace.plans.values()) for (const artifact of plan.artifacts.values()) if (inScope(artifact.path)) count++;
  return count;
}

async function worktreeWorkspace(root: string, config: PlanConfig, taskIdPattern: RegExp): Promise<{ workspace: Workspace; filesChecked?: number }> {
  const { sources, paths } = await worktreeSources(root, config.plans_dir, config.lint.max_file_bytes);
  return { workspace: buildWorkspace(sources, paths, config, taskIdPattern) };
}

/**
 * The index as the next commit will hold it. Plans with staged changes are read whole; every
 * other plan contributes only its task ids and dependencies, from a cache keyed by blob id, so
 * a pre-commit hook in a repository of 100,000 tasks reads one plan, not all of them.
 */
async function stagedWorkspace(root: string, config: PlanConfig, taskIdPattern: RegExp, staged: readonly string[]): Promise<{ workspace: Workspace; filesChecked?: number }> {
  const empty: Workspace = { plans: new Map(), tasks: new Map(), files: new Set() };
  if (staged.length === 0) return { workspace: empty, filesChecked: 0 };
  const entries = await listIndex(root, [config.plans_dir]);
  const stagedPlans = new Set(staged.map((p) => planOfPath(config.plans_dir, p)?.plan));
  const whole = entries.filter((e) => stagedPlans.has(planOfPath(config.plans_dir, e.path)?.plan) && e.mode !== '160000');
  const backlogs = entries.filter((e) => !stagedPlans.has(planOfPath(config.plans_dir, e.path)?.plan) && planOfPath(config.plans_dir, e.path)?.name === BACKLOG_FILE && e.mode === '100644');
  const cache = await BlobCache.open<BacklogSummary>(root, 'backlog-summaries', 1);
  const misses = backlogs.filter((e) => !cache.get(e.blob));
  const blobs = await readBlobs(root, [...whole.filter((e) => e.mode !== '120000').map((e) => e.blob), ...misses.map((e) => e.blob)]);
  const sources: SourceFile[] = whole.map((e) => (e.mode === '120000' ? { path: e.path, bytes: new Uint8Array(), kind: 'symlink' } : { path: e.path, bytes: blobs.get(e.blob)!, kind: 'file' }));
  const workspace = buildWorkspace(sources, entries.map((e) => e.path), config, taskIdPattern);
  for (const entry of backlogs) {
    let summary = cache.get(entry.blob);
    if (!summary) {
      summary = summarizeBacklog(readArtifact({ path: entry.path, bytes: blobs.get(entry.blob)!, kind: 'file' }, BACKLOG_FILE, config, taskIdPattern));
      cache.set(entry.blob, summary);
    }
    addBacklogSummary(workspace, planOfPath(config.plans_dir, entry.path)!.plan, entry.path, config, summary);
  }
  await cache.save(new Set(backlogs.map((e) => e.blob)));
  return { workspace };
}

async function resolveScope(options: LintOptions, root: string, plansDir: string): Promise<{ all: boolean; prefixes: string[] }> {
  if (options.staged) {
    if (options.paths?.length) throw new UsageError('--staged lints what is staged; give either --staged or paths, not both');
    return { all: false, prefixes: await stagedPaths(root, [plansDir]) };
  }
  if (!options.paths?.length) return { all: true, prefixes: [] };
  const prefixes = options.paths.map((p) => {
    const absolute = resolve(options.cwd, p);
    const rel = relative(root, absolute);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new UsageError(`${p} is outside the repository ${root}`);
    if (!existsSync(absolute)) throw new UsageError(`${p}: no such file or directory`);
    return rel.split(sep).join('/');
  });
  return { all: prefixes.includes(''), prefixes };
}
