import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskIdRegex } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { GovernanceView, ValidationContext } from '../core/validators/types.js';
import { BACKLOG_FILE, addBacklogSummary, buildWorkspace, decodeSummary, encodeSummary, planOfPath, readArtifact, summarizeBacklog, type BacklogSummary, type SourceFile, type Workspace } from '../core/workspace.js';
import { BlobCache } from '../io/cache.js';
import { listIndex, readBlobs } from '../io/git.js';
import { loadGovernance, loadRulebookFile, RULEBOOK_FILES, type RulebookName } from '../io/rulebook.js';
import { schemaChecker } from '../io/schemas.js';
import { worktreeSources } from '../io/sources.js';
import type { OpenedRepo } from './repo.js';

/** Loading the planning repository and wiring core's injected interfaces: shared by lint, gate, transition and status. */

export async function worktreeWorkspace(repo: OpenedRepo): Promise<{ workspace: Workspace; filesChecked?: number; sources: SourceFile[] }> {
  const { root, config } = repo;
  const { sources, paths } = await worktreeSources(root, config.plans_dir, config.lint.max_file_bytes);
  return { workspace: buildWorkspace(sources, paths, config, taskIdRegex(config)), sources };
}

/**
 * The index as the next commit will hold it. Plans with staged changes are read whole; every
 * other plan contributes only its task ids and dependencies, from a cache keyed by blob id, so
 * a pre-commit hook in a repository of 100,000 tasks reads one plan, not all of them.
 */
export async function stagedWorkspace(repo: OpenedRepo, staged: readonly string[]): Promise<{ workspace: Workspace; filesChecked?: number; sources: SourceFile[] }> {
  const { root, config } = repo;
  const taskIdPattern = taskIdRegex(config);
  const empty: Workspace = { plans: new Map(), tasks: new Map(), duplicates: new Map(), files: new Set() };
  if (staged.length === 0) return { workspace: empty, filesChecked: 0, sources: [] };
  const entries = await listIndex(root, [config.plans_dir]);
  const stagedPlans = new Set(staged.map((p) => planOfPath(config.plans_dir, p)?.plan));
  const whole = entries.filter((e) => stagedPlans.has(planOfPath(config.plans_dir, e.path)?.plan) && e.mode !== '160000');
  const backlogs = entries.filter((e) => !stagedPlans.has(planOfPath(config.plans_dir, e.path)?.plan) && planOfPath(config.plans_dir, e.path)?.name === BACKLOG_FILE && e.mode === '100644');
  const cache = await BlobCache.open<string>(root, 'backlog-summaries', 2);
  const misses = backlogs.filter((e) => !cache.get(e.blob));
  const blobs = await readBlobs(root, [...whole.filter((e) => e.mode !== '120000').map((e) => e.blob), ...misses.map((e) => e.blob)]);
  const sources: SourceFile[] = whole.map((e) => (e.mode === '120000' ? { path: e.path, bytes: new Uint8Array(), kind: 'symlink' } : { path: e.path, bytes: blobs.get(e.blob)!, kind: 'file' }));
  const workspace = buildWorkspace(sources, entries.map((e) => e.path), config, taskIdPattern);
  for (const entry of backlogs) {
    const cached = cache.get(entry.blob);
    let summary: BacklogSummary;
    if (cached !== undefined) summary = decodeSummary(cached);
    else {
      summary = summarizeBacklog(readArtifact({ path: entry.path, bytes: blobs.get(entry.blob)!, kind: 'file' }, BACKLOG_FILE, config, taskIdPattern));
      cache.set(entry.blob, encodeSummary(summary));
    }
    addBacklogSummary(workspace, planOfPath(config.plans_dir, entry.path)!.plan, entry.path, config, summary);
  }
  await cache.save(new Set(backlogs.map((e) => e.blob)));
  return { workspace, sources };
}


/** Everything validators need, with the outside world behind small functions. */
export function validationContext(repo: OpenedRepo, workspace: Workspace, inScope: (path: string) => boolean, now: Date = new Date(), governance?: GovernanceView): ValidationContext {
  const { root, config } = repo;
  return {
    workspace,
    config,
    taskIdPattern: taskIdRegex(config),
    governanceTags: loadGovernance(root, config).tags,
    checkSchema: schemaChecker(root),
    inScope,
    ...(governance ? { governance } : {}),
    today: dateIn(config.cycle.timezone, now),
    readFile(path) {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch {
        return undefined;
      }
    },
    rulebook(name) {
      const file = name.replace(/\.ya?ml$/, '') as RulebookName;
      return (RULEBOOK_FILES as readonly string[]).includes(file) ? loadRulebookFile(root, config, file) : undefined;
    },
  };
}


/** The calendar date (YYYY-MM-DD) at `now` in a time zone. */
export function dateIn(timeZone: string, now: Date): string {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return now.toISOString().slice(0, 10); // spares loading ICU's zone data
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    throw new ConfigError(`cycle.timezone "${timeZone}" is not a time zone this system knows (use an IANA name like Europe/Berlin)`);
  }
}
