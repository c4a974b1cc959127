import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { countFindings, type Finding } from '../core/finding.js';
import { lintWorkspace } from '../core/lint.js';
import { describeRule, type RuleDescription } from '../core/rules.js';
import { LINT_VALIDATORS } from '../core/validators/index.js';
import { planOfPath, type Workspace } from '../core/workspace.js';
import { stagedPaths } from '../io/git.js';
import { prepareSchemas } from '../io/schemas.js';
import { openRepo, type RepoOptions } from './repo.js';
import { stagedWorkspace, validationContext, worktreeWorkspace } from './workspace.js';
import { governanceView } from './governance.js';

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

  const { workspace, filesChecked, sources } = options.staged ? await stagedWorkspace(repo, scope.prefixes) : await worktreeWorkspace(repo);
  const inScope = scope.all ? () => true : (path: string) => scope.prefixes.some((p) => path === p || path.startsWith(`${p}/`));
  const now = new Date();
  const findings = lintWorkspace(
    validationContext(repo, workspace, inScope, now, await governanceView(repo, sources, now, options.staged ? { plans: [...new Set(sources.map((s) => planOfPath(repo.config.plans_dir, s.path)?.plan).filter((p): p is string => p !== undefined))] } : {})),
    LINT_VALIDATORS.map((type) => ({ type })),
  ).map(({ source: _source, ...finding }) => finding);
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
