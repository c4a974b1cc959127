import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PlanError, RepoError, UsageError } from '../core/errors.js';
import { allowedFrom } from '../core/lifecycle.js';
import { HANDOFFS_DIR, MANIFEST_FILE, SIGNATURES_FILE, SIGNATURES_HEADER, manifestDir, pae, serializeManifest, serializeSignature, sha256, type Manifest } from '../core/seal.js';
import { keyUsable, TRUST_DIR, type TrustedKey } from '../core/trust.js';
import { artifactKind, planDir } from '../core/workspace.js';
import { renameDurably, syncDirectory, tempFolderPath, writeFileAtomic, writeNewFileSynced } from '../io/atomic.js';
import { sha256OfEntries, treeEntries, treeId } from '../io/blobs.js';
import { assertFileInside, assertRealDirInside } from '../io/inside_repo.js';
import { crashPoint } from '../io/crash.js';
import { git } from '../io/git.js';
import { listManifests, parseManifestLocation, readOptional } from '../io/handoffs.js';
import { loadSigningKey, type SigningKey } from '../io/keys.js';
import { packageVersion } from '../io/package.js';
import { passphrase } from '../io/prompt.js';
import { loadLifecycle, loadSealingPolicy } from '../io/rulebook.js';
import { PlanStore } from '../io/store.js';
import { withSpinner } from '../io/spinner.js';
import { loadTrustStore, rulebookHash, trustStoreHash } from '../io/trust_store.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';
import { applyTransition, assertKnownPlan, commitChange, evaluateGate, governanceBlockers, type TransitionResult } from './transition.js';

export interface SealOptions extends RepoOptions {
  plan: string;
  /** Encrypted private key (PKCS#8 PEM); PLAN_SIGNING_KEY names one when absent. */
  key?: string;
  commit?: boolean;
  now?: Date;
}

export interface SealResult extends TransitionResult {
  manifest?: string;
  manifestSha256?: string;
  artifacts?: number;
  signer?: { id: string; role: string };
}

/** Reads and decrypts the signing key before any lock is taken (the passphrase prompt may wait). */
export async function signingKey(cwd: string, keyOption: string | undefined, purpose: string): Promise<SigningKey> {
  return (await unlockingKey(cwd, keyOption, purpose)).key;
}

/**
 * Reads the key file and asks for its passphrase, then returns with the decryption still running
 * (off the main thread), so the command's own work overlaps it. The caller awaits `key`.
 */
async function unlockingKey(cwd: string, keyOption: string | undefined, purpose: string): Promise<{ key: Promise<SigningKey> }> {
  const file = keyOption ?? process.env['PLAN_SIGNING_KEY'];
  if (!file) throw new UsageError('no signing key: pass --key FILE or set PLAN_SIGNING_KEY');
  const path = resolve(cwd, file);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read key ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const key = loadSigningKey(pem, await passphrase(`${file} (${purpose})`), file);
  key.catch(() => undefined); // awaited later; a command refused before then must not report it as unhandled
  return { key };
}

/** The key's trust-store entry, if it may sign now. */
export function trustedSigner(keys: readonly TrustedKey[], key: SigningKey, now: Date): TrustedKey {
  const entry = keys.find((k) => k.keyid === key.keyId);
  if (!entry) throw new PlanError(`key ${key.keyId.slice(0, 16)}… is not in the trust store (${TRUST_DIR}/keys.yaml); add it with plan keygen`, 1);
  const unusable = keyUsable(entry, now);
  if (unusable) throw new PlanError(unusable, 1);
  return entry;
}

/**
 * The package_artifacts transition (DESIGN §6): gate, then a manifest pinned to HEAD with the
 * first signature, then state PACKAGED and its event, all under the lock.
 */
export async function seal(options: SealOptions): Promise<SealResult> {
  const repo = await openRepo(options);
  const lifecycle = loadLifecycle(repo.root, repo.config);
  const unlocking = await unlockingKey(options.cwd, options.key, `sealing ${options.plan}`);
  const store = new PlanStore(repo.root);
  const now = options.now ?? new Date();
  return store.locked(`plan seal ${options.plan}`, async () => {
    const state = await store.readState();
    assertKnownPlan(repo, options.plan, state.has(options.plan));
    const current = state.get(options.plan);
    const from = current?.state ?? null;
    const allowed = allowedFrom(lifecycle, from);
    const t = allowed.find((x) => x.seal);
    const refuse = (reason: string): SealResult => ({ plan: options.plan, from, outcome: 'refused', reason, allowed: allowed.map((x) => x.event) });
    if (!t) return refuse(`no sealing transition is allowed from ${from ?? 'no state'}`);

    const head = (await git(repo.root, ['rev-parse', '--verify', '-q', 'HEAD'], { okCodes: [1] })).stdout.toString().trim();
    if (!head) return refuse('the repository has no commit yet; commit the plan first');
    const dir = planDir(repo.config.plans_dir, options.plan);
    const dirty = (await git(repo.root, ['status', '--porcelain', '--untracked-files=all', '--', dir, repo.config.rulebook_dir, TRUST_DIR])).stdout.toString().trim();
    if (dirty) return refuse(`files differ from HEAD; commit them first:\n${dirty}`);

    const entries = (await treeEntries(repo.root, head, dir)) ?? [];
    if (entries.length === 0) return refuse(`${dir}/ has no committed files`);
    const link = entries.find((e) => e.mode === '120000' || e.type !== 'blob');
    if (link) return refuse(`${link.path} is a ${link.mode === '120000' ? 'symbolic link' : link.type}; a handoff seals regular files only`);
    const lastGate = lastGateBlobs((await store.readEvents(options.plan)).events);
    if (lastGate) {
      const now = Object.fromEntries(entries.filter((e) => artifactKind(e.path) !== 'other').map((e) => [e.path, e.object]));
      // only what a gate reads counts: attachments are sealed as they are, no validator looks at them
      const changed = [...new Set([...Object.keys(lastGate), ...Object.keys(now)])].filter((p) => artifactKind(p) !== 'other' && lastGate[p] !== now[p]).sort();
      if (changed.length > 0) return refuse(`${changed.join(', ')} changed after the last gate passed; move the plan back (validation_failed) and through validate_complete again`);
    }

    const governed = await governanceBlockers(repo, options.plan, t.event, now);
    if (governed.blocking.length > 0) return { ...refuse(`governance: ${governed.blocking.map((v) => `${v.rule} (${v.requirement}): ${v.message}`).join('; ')}`), governance: governed.blocking };
    const gated = await evaluateGate(repo, t.gate ?? 'cross_stream_consistency', options.plan, now, governed.loaded);
    if (!gated.report.passed) return { ...refuse(`gate ${gated.report.gate} failed`), to: t.to, event: t.event, gate: gated.report };

    const sums = await withSpinner(`hashing ${entries.length} artifacts`, entries.length > 200, () => sha256OfEntries(repo.root, entries));
    // awaited last: until here the key's decryption ran in the thread pool beside the work above
    const key = await unlocking.key;
    const signer = trustedSigner((await loadTrustStore(repo.root)).keys, key, now);
    const existing = await listManifests(repo.root, options.plan);
    await dropUnreferencedTail(repo.root, existing, (await store.readEvents(options.plan)).events);
    const chain = await listManifests(repo.root, options.plan);
    const last = chain[chain.length - 1];
    const previousBytes = last ? await readOptional(repo.root, last.manifestPath) : undefined;
    if (last && !previousBytes) throw new RepoError(`${last.manifestPath} is missing; run plan verify --all`);
    const sequence = (last?.sequence ?? 0) + 1;
    const policy = loadSealingPolicy(repo.root, repo.config);
    const manifest: Manifest = {
      version: '1.0.0',
      id: `hnd_${now.toISOString().slice(0, 10).replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`,
      plan_id: options.plan,
      sequence,
      previous: previousBytes ? `sha256:${sha256(previousBytes)}` : null,
      created_at: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      snapshot_rev: `git:${head}`,
      tree: await treeId(repo.root, head, dir),
      checksums: Object.fromEntries(entries.map((e) => [e.path, `sha256:${sums.get(e.object)!}`])),
      rulebook_hash: `sha256:${await rulebookHash(repo.root, repo.config)}`,
      trust_store_hash: `sha256:${await trustStoreHash(repo.root)}`,
      required_signatures: policy.requiredSignatures,
      required_roles: policy.requiredRoles,
      tool: `plan ${packageVersion()}`,
    };
    const bytes = Buffer.from(serializeManifest(manifest), 'utf8');
    const signature = serializeSignature({ keyid: key.keyId, role: signer.role, signed_at: manifest.created_at, sig: key.sign(pae(bytes)).toString('base64') });
    const target = manifestDir(options.plan, sequence);
    await writeHandoffDir(repo.root, target, bytes, SIGNATURES_HEADER + signature);
    crashPoint('after-manifest');

    const manifestSha = sha256(bytes);
    const result = await applyTransition(repo, lifecycle, store, { ...options, target: t.event, commit: false }, current, {
      report: gated.report,
      blobs: gated.blobs,
      metadata: { manifest: `${target}/${MANIFEST_FILE}`, manifest_sha256: manifestSha, sequence },
      governanceChecked: true,
    });
    const sealed: SealResult = { ...result, manifest: `${target}/${MANIFEST_FILE}`, manifestSha256: manifestSha, artifacts: entries.length, signer: { id: signer.id, role: signer.role } };
    if (options.commit) sealed.commit = await commitChange(repo.root, options.plan, t, from, { extraPaths: [target] });
    return sealed;
  });
}

function lastGateBlobs(events: Awaited<ReturnType<PlanStore['readEvents']>>['events']): Record<string, string> | undefined {
  const transitions = events.filter((e) => e.event.type === 'STATE_TRANSITION').sort((a, b) => a.event.payload.metadata.seq - b.event.payload.metadata.seq);
  for (let i = transitions.length - 1; i >= 0; i--) {
    const blobs = transitions[i]!.event.payload.metadata.blobs;
    if (blobs) return blobs;
  }
  return undefined;
}

/** A manifest folder that no event references and git does not track was left by a crash: remove it. */
async function dropUnreferencedTail(root: string, manifests: Awaited<ReturnType<typeof listManifests>>, events: Awaited<ReturnType<PlanStore['readEvents']>>['events']): Promise<void> {
  const last = manifests[manifests.length - 1];
  if (!last) return;
  const referenced = events.some((e) => e.event.payload.metadata['manifest'] === last.manifestPath);
  const tracked = (await git(root, ['ls-files', '--', last.dir])).stdout.toString().trim() !== '';
  if (!referenced && !tracked) await rm(join(root, last.dir), { recursive: true, force: true });
}

/** Creates the handoff folder whole or not at all: written under a temporary name, synced, then renamed. */
async function writeHandoffDir(root: string, dir: string, manifest: Buffer, signatures: string): Promise<void> {
  const final = join(root, dir);
  await assertRealDirInside(root, dir);
  if (existsSync(final)) throw new RepoError(`${dir} already exists; handoff manifests are never rewritten`);
  const temp = join(root, tempFolderPath(HANDOFFS_DIR));
  await mkdir(temp, { recursive: true });
  try {
    await writeNewFileSynced(join(temp, MANIFEST_FILE), manifest, 0o444);
    crashPoint('seal-after-manifest-file');
    await writeNewFileSynced(join(temp, SIGNATURES_FILE), signatures, 0o644);
    await syncDirectory(temp);
    await mkdir(join(final, '..'), { recursive: true });
    crashPoint('seal-before-rename');
    await renameDurably(temp, final);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

export interface SignResult {
  manifest: string;
  signer: { id: string; role: string; keyid: string };
  signatures: number;
  commit?: string;
}

/** Appends a co-signature to a sealed manifest. signatures.yaml only ever grows. */
export async function sign(options: RepoOptions & { manifest: string; key?: string; commit?: boolean; now?: Date }): Promise<SignResult> {
  const repo: OpenedRepo = await openRepo(options);
  const location = parseManifestLocation(resolve(options.cwd, options.manifest).slice(repo.root.length + 1)) ?? parseManifestLocation(options.manifest);
  if (!location) throw new UsageError(`${options.manifest} is not a handoff manifest (.plan/handoffs/<plan>/<NNNN>/handoff_manifest.yaml)`);
  const key = await signingKey(options.cwd, options.key, `co-signing ${location.manifestPath}`);
  const now = options.now ?? new Date();
  return new PlanStore(repo.root).locked(`plan sign ${location.manifestPath}`, async () => {
    await assertFileInside(repo.root, location.signaturesPath);
    const bytes = await readOptional(repo.root, location.manifestPath);
    if (!bytes) throw new RepoError(`${location.manifestPath} does not exist`);
    const signer = trustedSigner((await loadTrustStore(repo.root)).keys, key, now);
    const existing = (await readOptional(repo.root, location.signaturesPath))?.toString('utf8') ?? SIGNATURES_HEADER;
    const { parseSignatures } = await import('../core/seal.js');
    const entries = parseSignatures(existing).entries;
    if (entries.some((e) => e.keyid === key.keyId)) throw new PlanError(`${signer.id} has already signed ${location.manifestPath}; a key counts once`, 1);
    const entry = serializeSignature({ keyid: key.keyId, role: signer.role, signed_at: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), sig: key.sign(pae(bytes)).toString('base64') });
    crashPoint('sign-before-write');
    await writeFileAtomic(join(repo.root, location.signaturesPath), (existing.endsWith('\n') ? existing : `${existing}\n`) + entry);
    crashPoint('sign-after-write');
    const result: SignResult = { manifest: location.manifestPath, signer: { id: signer.id, role: signer.role, keyid: key.keyId }, signatures: entries.length + 1 };
    if (options.commit) {
      await git(repo.root, ['add', '--', location.signaturesPath]);
      await git(repo.root, ['commit', '--quiet', '--no-verify', '-m', `plan: ${signer.id} (${signer.role}) signs ${location.manifestPath}`, '-m', `Plan-Id: ${location.plan}\nPlan-Handoff: ${location.sequence}`, '--', location.signaturesPath]);
      result.commit = (await git(repo.root, ['rev-parse', 'HEAD'])).stdout.toString().trim();
    }
    return result;
  });
}
