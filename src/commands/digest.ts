import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { BacklogVersionParser, type EncodedVersion } from '../core/digest/backlog_version.js';
import { buildDigest, VELOCITY_CYCLES, type DigestContext } from '../core/digest/context.js';
import type { HandoffRecord } from '../core/digest/handoffs.js';
import { compileKpis } from '../core/digest/kpis.js';
import { renderOpenMetrics } from '../core/digest/openmetrics.js';
import { emptyTimeline, extendTimeline, restoreTimeline, serializeTimeline, type TaskTimeline } from '../core/digest/timeline.js';
import { resolveWindow, windowsBefore } from '../core/digest/window.js';
import { PlanError, UsageError } from '../core/errors.js';
import type { PlanningEvent } from '../core/events.js';
import { BACKLOG_FILE } from '../core/workspace.js';
import { writeFileAtomic } from '../io/atomic.js';
import { handoffPlans, listManifests } from '../io/handoffs.js';
import { backlogPathspec, inspectHistory, onFirstParentChain, readBacklogLog, readBacklogVersions, readTimelineCache, writeTimelineCache } from '../io/history.js';
import { packageRoot, packageVersion } from '../io/package.js';
import { loadRulebookFile, rulebookSource } from '../io/rulebook.js';
import { withSpinner } from '../io/spinner.js';
import { PlanStore } from '../io/store.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';

export const DIGEST_FORMATS = ['md', 'json', 'openmetrics'] as const;
export type DigestFormat = (typeof DIGEST_FORMATS)[number];

export interface DigestOptions extends RepoOptions {
  /** A date inside the cycle (it is named by its first day), `current` or `previous`. */
  cycle?: string;
  since?: string;
  until?: string;
  format?: DigestFormat;
  /** Write here (atomically) instead of returning the text to print; `{cycle}` is replaced by the cycle id. */
  out?: string;
  now?: Date;
}

export interface DigestResult {
  format: DigestFormat;
  text: string;
  context: DigestContext;
  /** The file written, relative to cwd, with --out. */
  written?: string;
}

/** Bump when the parsed form of backlog versions or the timeline changes, so older cache entries are not read. */
const CACHE_VERSION = 1;
const CACHE_NAME = 'digest-backlogs';

/**
 * A cycle digest from git history (DESIGN §7). Exit 0 whatever the KPIs say: a digest reports,
 * it does not gate; only a run that cannot be trusted (shallow clone, bad flags or rulebook) fails.
 */
export async function digest(options: DigestOptions): Promise<DigestResult> {
  const format = options.format ?? 'md';
  if (!DIGEST_FORMATS.includes(format)) throw new UsageError(`--format ${format}: use ${DIGEST_FORMATS.join(', ')}`);
  const repo = await openRepo(options);
  const { root, config } = repo;
  const now = (options.now ?? new Date()).getTime();
  const window = resolveWindow({ cycle: options.cycle, since: options.since, until: options.until }, config.cycle, now);
  const previous = windowsBefore(window, VELOCITY_CYCLES, config.cycle);
  const kpis = compileKpis(loadRulebookFile(root, config, 'kpis'), rulebookSource(root, config, 'kpis').display);
  const timeline = await backlogTimeline(repo);

  const notes: string[] = [];
  const events = await readEvents(root, notes);
  const handoffs = await sealedHandoffs(repo, options, events, previous[0]?.start ?? window.start, window.end, now, notes);
  const context = buildDigest({ window, previous, now, timeline, events, handoffs, kpis, tool: { name: 'plan', version: packageVersion() }, notes });

  const text = format === 'json' ? `${JSON.stringify(context, null, 2)}\n` : format === 'openmetrics' ? renderOpenMetrics(context) : await renderMarkdown(repo, context);
  if (!options.out) return { format, text, context };
  const target = resolve(options.cwd, options.out.replace(/\{cycle\}/g, context.cycle.id.replace(/[:/\\]/g, '-')));
  await writeFileAtomic(target, text);
  return { format, text, context, written: relative(options.cwd, target) || target };
}

/**
 * The task timeline up to HEAD. It is cached under .git with the commit it was built to: when
 * that commit is still on HEAD's first-parent chain only the commits after it are read, else the
 * whole history is, with every backlog version parsed once and cached by blob id.
 */
async function backlogTimeline(repo: OpenedRepo): Promise<TaskTimeline> {
  const { root, config } = repo;
  const history = await inspectHistory(root);
  if (!history.head) return emptyTimeline();
  const pathspec = backlogPathspec(config.plans_dir, BACKLOG_FILE);
  const limits = { maxFileBytes: config.lint.max_file_bytes, maxDepth: config.lint.max_depth, maxAliases: config.lint.max_aliases };
  const key = JSON.stringify([CACHE_VERSION, pathspec, config.plans_dir, limits]);
  const cached = await readTimelineCache(history.gitDir, key);
  if (cached?.head === history.head) return restoreTimeline(cached.timeline);
  const base = cached && (await onFirstParentChain(root, cached.head, history.head)) ? cached : undefined;
  const log = await readBacklogLog(root, pathspec, base ? `${base.head}..${history.head}` : history.head);
  const wanted = new Map<string, string>();
  for (const commit of log) for (const change of commit.changes) if (change.blob && !wanted.has(change.blob)) wanted.set(change.blob, change.path);
  const parser = new BacklogVersionParser(limits);
  const versions = await withSpinner(`reading ${wanted.size} backlog versions from ${log.length} commits`, wanted.size > 2000, () =>
    readBacklogVersions<EncodedVersion>(root, wanted, (path, bytes) => parser.parse(path, bytes), base ? undefined : { name: CACHE_NAME, version: CACHE_VERSION }),
  );
  const timeline = extendTimeline(base ? restoreTimeline(base.timeline) : emptyTimeline(), log, (blob) => versions.get(blob), config.plans_dir);
  await writeTimelineCache(history.gitDir, { key, head: history.head, timeline: serializeTimeline(timeline) });
  return timeline;
}

async function renderMarkdown(repo: OpenedRepo, context: DigestContext): Promise<string> {
  const rulebookDir = isAbsolute(repo.config.rulebook_dir) ? repo.config.rulebook_dir : join(repo.root, repo.config.rulebook_dir);
  const { loadDigestTemplates, renderDigestMarkdown } = await import('../report/digest.js');
  const templates = await loadDigestTemplates(join(packageRoot(), 'templates', 'digest'), join(rulebookDir, 'templates', 'digest'));
  return renderDigestMarkdown(context, templates);
}

async function readEvents(root: string, notes: string[]): Promise<PlanningEvent[]> {
  const store = new PlanStore(root);
  const seen = new Set<string>();
  const events: PlanningEvent[] = [];
  let skipped = 0;
  for (const plan of await store.loggedPlans()) {
    const log = await store.readEvents(plan);
    skipped += log.problems.length;
    for (const e of log.events) {
      // a union merge can bring the same line in from both sides
      if (seen.has(e.event.id)) continue;
      seen.add(e.event.id);
      events.push(e);
    }
  }
  if (skipped > 0) notes.push(`${skipped} unreadable event line(s) were skipped; run plan doctor.`);
  return events;
}

const CREATED_AT = /^created_at: "([^"]+)"$/m;

/**
 * Handoffs sealed in [from, to): those the event logs record a seal of, and manifests on disk
 * (whose created_at says when), each verified as `plan verify <manifest>` would.
 */
async function sealedHandoffs(repo: OpenedRepo, options: DigestOptions, events: readonly PlanningEvent[], from: number, to: number, now: number, notes: string[]): Promise<HandoffRecord[]> {
  const found = new Map<string, HandoffRecord>();
  for (const e of events) {
    const meta = e.event.payload.metadata;
    if (typeof meta['manifest_sha256'] !== 'string' || typeof meta['manifest'] !== 'string') continue;
    found.set(meta['manifest'], { plan: e.event.payload.entity_id, sequence: Number(meta['sequence'] ?? 0), manifest: meta['manifest'], sealed_at: e.event.timestamp, verified: null, problems: [] });
  }
  const onDisk = new Set<string>();
  for (const plan of await handoffPlans(repo.root)) {
    for (const stored of await listManifests(repo.root, plan)) {
      let text: string;
      try {
        text = await readFile(join(repo.root, stored.manifestPath), 'utf8');
      } catch {
        continue;
      }
      onDisk.add(stored.manifestPath);
      const createdAt = CREATED_AT.exec(text)?.[1];
      if (!found.has(stored.manifestPath) && createdAt) found.set(stored.manifestPath, { plan, sequence: stored.sequence, manifest: stored.manifestPath, sealed_at: createdAt, verified: null, problems: [] });
    }
  }
  const inRange = [...found.values()].filter((h) => {
    const at = Date.parse(h.sealed_at);
    return at >= from && at < to;
  });
  for (const h of inRange) {
    if (!onDisk.has(h.manifest)) {
      h.verified = false;
      h.problems.push(`${h.manifest} is missing: it was deleted after sealing`);
    }
  }
  const present = inRange.filter((h) => onDisk.has(h.manifest));
  if (present.length === 0) return inRange;
  try {
    const { verify } = await import('./verify.js');
    const result = await withSpinner(`verifying ${present.length} handoff(s)`, present.length > 3, () => verify({ cwd: options.cwd, config: options.config, manifests: present.map((h) => join(repo.root, h.manifest)), now: new Date(now) }));
    const byManifest = new Map(result.reports.map((r) => [r.manifest, r]));
    for (const h of present) {
      const report = byManifest.get(h.manifest);
      if (!report) continue;
      h.verified = report.ok;
      h.problems = report.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    }
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    notes.push(`Handoffs could not be verified (${error.oneLine}); the handoff success rate shows no data.`);
  }
  return inRange;
}
