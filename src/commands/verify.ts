import { UsageError } from '../core/errors.js';
import type { PlanningEvent } from '../core/events.js';
import type { Finding } from '../core/finding.js';
import { sha256, verifyManifest, type BlobInfo, type VerifyReport } from '../core/seal.js';
import { planDir } from '../core/workspace.js';
import { sha256OfEntries, treeEntries } from '../io/blobs.js';
import { git } from '../io/git.js';
import { handoffPlans, listManifests, parseManifestLocation, readOptional, stored, type StoredManifest } from '../io/handoffs.js';
import { withSpinner } from '../io/spinner.js';
import { PlanStore } from '../io/store.js';
import { loadTrustStore, rulebookHash, trustStoreHash } from '../io/trust_store.js';
import { loadSealingPolicy } from '../io/rulebook.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';
import { relative, resolve } from 'node:path';

export interface VerifyOptions extends RepoOptions {
  /** Manifest paths (or their folders); default: the latest manifest of every plan. */
  manifests?: string[];
  /** Every manifest of every plan. */
  all?: boolean;
  /** Also prove from git history that no sealed manifest was modified, deleted or renamed. */
  history?: boolean;
  now?: Date;
}

export interface VerifyResult {
  reports: VerifyReport[];
  /** Problems found in git history (with --history). */
  history: Finding[];
  ok: boolean;
}

/** Verifies sealed handoffs (DESIGN §6); exit 0 only when everything holds. */
export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const repo = await openRepo(options);
  const targets = await selectTargets(repo, options);
  const store = new PlanStore(repo.root);
  const state = await store.readState();
  const trust = await loadTrustStore(repo.root);
  const [rulebook, trustHash] = [await rulebookHash(repo.root, repo.config), await trustStoreHash(repo.root)];
  const now = options.now ?? new Date();
  const head = (await git(repo.root, ['rev-parse', '--verify', '-q', 'HEAD'], { okCodes: [1] })).stdout.toString().trim();
  const policy = loadSealingPolicy(repo.root, repo.config);
  const reports: VerifyReport[] = [];
  if (!options.manifests?.length) reports.push(...(await sealsWithoutManifests(repo, store)));
  for (const target of targets) {
    const latest = (await listManifests(repo.root, target.plan)).pop();
    const isLatest = latest?.sequence === target.sequence;
    const report = await verifyOne(repo, target, { trust, rulebook, trustHash, now, head, policy, driftFails: isLatest && state.get(target.plan)?.state === 'PACKAGED' });
    if (isLatest) {
      const bytes = await readOptional(repo.root, target.manifestPath);
      report.findings.push(...checkAgainstEvents(target, (await store.readEvents(target.plan)).events, bytes ? sha256(bytes) : undefined));
    }
    report.ok = !report.findings.some((f) => f.severity === 'error');
    reports.push(report);
  }
  const history = options.history ? await checkHistory(repo) : [];
  return { reports, history, ok: reports.every((r) => r.ok) && !history.some((f) => f.severity === 'error') };
}

async function selectTargets(repo: OpenedRepo, options: VerifyOptions): Promise<StoredManifest[]> {
  if (options.manifests?.length) {
    return options.manifests.map((m) => {
      const rel = relative(repo.root, resolve(options.cwd, m)).split('\\').join('/');
      const location = parseManifestLocation(rel);
      if (!location) throw new UsageError(`${m} is not a handoff manifest (.plan/handoffs/<plan>/<NNNN>/handoff_manifest.yaml)`);
      return location;
    });
  }
  const targets: StoredManifest[] = [];
  for (const plan of await handoffPlans(repo.root)) {
    const manifests = await listManifests(repo.root, plan);
    targets.push(...(options.all ? manifests : manifests.slice(-1)));
  }
  return targets;
}

interface Shared {
  trust: Awaited<ReturnType<typeof loadTrustStore>>;
  rulebook: string;
  trustHash: string;
  now: Date;
  head: string;
  policy: { requiredSignatures: number; requiredRoles: string[] };
  driftFails: boolean;
}

async function verifyOne(repo: OpenedRepo, target: StoredManifest, shared: Shared): Promise<VerifyReport> {
  const bytes = await readOptional(repo.root, target.manifestPath);
  if (!bytes) {
    return { manifest: target.manifestPath, plan: target.plan, sequence: target.sequence, ok: false, signers: [], findings: [{ rule: 'verify/missing', severity: 'error', message: `${target.manifestPath} does not exist`, file: target.manifestPath, plan: target.plan }] };
  }
  const previousBytes = target.sequence === 1 ? null : await readOptional(repo.root, stored(target.plan, target.sequence - 1).manifestPath);
  const text = bytes.toString('utf8');
  // Read before the signatures are checked, only to know which commit to fetch; verifyManifest
  // compares it with the parsed, verified manifest.
  const rev = /^snapshot_rev: "git:([0-9a-f]{40,64})"$/m.exec(text)?.[1];
  const dir = planDir(repo.config.plans_dir, target.plan);
  const pinnedEntries = rev ? await treeEntries(repo.root, rev, dir) : undefined;
  const currentEntries = shared.head ? await treeEntries(repo.root, shared.head, dir) : [];
  const blobs = [...(pinnedEntries ?? []), ...(currentEntries ?? [])].filter((e) => e.type === 'blob');
  const sums = await withSpinner(`verifying ${target.manifestPath}`, blobs.length > 200, () => sha256OfEntries(repo.root, blobs));
  const toInfo = (entries: typeof pinnedEntries): Map<string, BlobInfo> => new Map((entries ?? []).map((e) => [e.path, { sha256: sums.get(e.object) ?? '', mode: e.mode }]));
  const pinned = !rev ? 'manifest names no snapshot_rev' : pinnedEntries === undefined ? `the pinned commit ${rev.slice(0, 12)} is not in this repository (a shallow clone, or history was rewritten)` : toInfo(pinnedEntries);
  const signaturesText = (await readOptional(repo.root, target.signaturesPath))?.toString('utf8');
  return verifyManifest({
    manifestPath: target.manifestPath,
    manifestBytes: bytes,
    signaturesPath: target.signaturesPath,
    signaturesText,
    trust: shared.trust,
    now: shared.now,
    location: { plan: target.plan, sequence: target.sequence },
    previousBytes,
    pinned,
    current: { files: toInfo(currentEntries), driftFails: shared.driftFails },
    rulebookHash: shared.rulebook,
    trustStoreHash: shared.trustHash,
    policy: shared.policy,
  });
}

/** Plans whose event log records a seal but that have no manifest at all: every handoff was deleted. */
async function sealsWithoutManifests(repo: OpenedRepo, store: PlanStore): Promise<VerifyReport[]> {
  const reports: VerifyReport[] = [];
  for (const plan of await store.loggedPlans()) {
    if ((await listManifests(repo.root, plan)).length > 0) continue;
    const seal = (await store.readEvents(plan)).events.find((e) => typeof e.event.payload.metadata['manifest_sha256'] === 'string');
    if (!seal) continue;
    const manifest = String(seal.event.payload.metadata['manifest']);
    reports.push({ manifest, plan, sequence: Number(seal.event.payload.metadata['sequence'] ?? 1), ok: false, signers: [], findings: [{ rule: 'verify/rollback', severity: 'error', message: `the event log records the seal of ${manifest}, but the plan has no handoff manifests: they were deleted`, file: manifest, plan }] });
  }
  return reports;
}

/** The latest manifest must be the one the event log says was sealed last: deleting newer ones is a rollback. */
function checkAgainstEvents(target: StoredManifest, events: PlanningEvent[], manifestSha: string | undefined): Finding[] {
  const seals = events.filter((e) => typeof e.event.payload.metadata['manifest_sha256'] === 'string').sort((a, b) => a.event.payload.metadata.seq - b.event.payload.metadata.seq);
  const last = seals[seals.length - 1];
  if (!last) return [];
  const meta = last.event.payload.metadata;
  const findings: Finding[] = [];
  const at = { file: target.manifestPath, plan: target.plan };
  if (typeof meta['sequence'] === 'number' && meta['sequence'] > target.sequence) {
    findings.push({ rule: 'verify/rollback', severity: 'error', message: `the event log records handoff ${meta['sequence']} (${meta['manifest']}) but the latest manifest is ${target.sequence}: newer manifests were removed`, ...at });
  } else if (meta['sequence'] === target.sequence && manifestSha && meta['manifest_sha256'] !== manifestSha) {
    findings.push({ rule: 'verify/replaced', severity: 'error', message: `the event log sealed a manifest with sha256 ${String(meta['manifest_sha256']).slice(0, 16)}… but ${target.manifestPath} has ${manifestSha.slice(0, 16)}…: it was replaced`, ...at });
  }
  return findings;
}

/**
 * From git history: a manifest is only ever added, never modified, deleted or renamed, and a
 * signatures file only ever grows at its end.
 */
async function checkHistory(repo: OpenedRepo): Promise<Finding[]> {
  const findings: Finding[] = [];
  const log = (await git(repo.root, ['log', '--format=%x00%H', '--name-status', '--no-renames', '--', '.plan/handoffs'], { okCodes: [128] })).stdout.toString('utf8');
  for (const block of log.split('\0').filter(Boolean)) {
    const [commit, ...changes] = block.trim().split('\n');
    for (const change of changes) {
      const [status, path] = change.split('\t');
      if (!path || !status) continue;
      const short = commit!.slice(0, 12);
      if (path.endsWith('/handoff_manifest.yaml') && status !== 'A') {
        findings.push({ rule: 'verify/history', severity: 'error', message: `${path} was ${status === 'D' ? 'deleted' : 'modified'} in commit ${short}; sealed manifests are never changed`, file: path });
      } else if (path.endsWith('/signatures.yaml') && status === 'D') {
        findings.push({ rule: 'verify/history', severity: 'error', message: `${path} was deleted in commit ${short}`, file: path });
      } else if (path.endsWith('/signatures.yaml') && status === 'M') {
        const before = await git(repo.root, ['cat-file', 'blob', `${commit}^:${path}`], { okCodes: [128] });
        const after = await git(repo.root, ['cat-file', 'blob', `${commit}:${path}`], { okCodes: [128] });
        if (before.code === 0 && after.code === 0 && !after.stdout.subarray(0, before.stdout.length).equals(before.stdout)) {
          findings.push({ rule: 'verify/history', severity: 'error', message: `${path} was rewritten in commit ${short}, not appended to`, file: path });
        }
      }
    }
  }
  const tracked = (await git(repo.root, ['ls-files', '-z', '--', '.plan/handoffs'])).stdout.toString('utf8').split('\0').filter((p) => p.endsWith('/handoff_manifest.yaml'));
  for (const path of tracked) {
    const committed = await git(repo.root, ['cat-file', 'blob', `HEAD:${path}`], { okCodes: [128] });
    const now = await readOptional(repo.root, path); // eol conversions of a checkout are not edits
    if (committed.code === 0 && (!now || !now.equals(committed.stdout))) findings.push({ rule: 'verify/history', severity: 'error', message: `${path} differs from its committed version in the working tree`, file: path });
  }
  return findings;
}
