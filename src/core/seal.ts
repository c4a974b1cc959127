import { constants, createHash, verify as verifySignature } from 'node:crypto';
import { isAlias, isNode, parseDocument, visit } from 'yaml';
import type { Finding } from './finding.js';
import { auditTrustStore, keyUsable, publicKeyProblem, type TrustStore } from './trust.js';

export const PAYLOAD_TYPE = 'application/vnd.plan.handoff.v1+yaml';
export const HANDOFFS_DIR = '.plan/handoffs';
export const MANIFEST_FILE = 'handoff_manifest.yaml';
export const SIGNATURES_FILE = 'signatures.yaml';

export interface Manifest {
  version: string;
  id: string;
  plan_id: string;
  sequence: number;
  previous: string | null;
  created_at: string;
  snapshot_rev: string;
  tree: string;
  checksums: Record<string, string>;
  rulebook_hash: string;
  trust_store_hash: string;
  required_signatures: number;
  required_roles: string[];
  tool: string;
}

export interface SignatureEntry {
  keyid: string;
  role?: string;
  signed_at?: string;
  sig: string;
  /** 1-based line in signatures.yaml, for findings. */
  line: number;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function manifestDir(plan: string, sequence: number): string {
  return `${HANDOFFS_DIR}/${plan}/${String(sequence).padStart(4, '0')}`;
}

/** The manifest's bytes: written once and never re-emitted, so this is the only serializer. */
export function serializeManifest(m: Manifest): string {
  const q = (v: string) => JSON.stringify(v);
  const lines = [
    `version: ${q(m.version)}`,
    `id: ${q(m.id)}`,
    `plan_id: ${q(m.plan_id)}`,
    `sequence: ${m.sequence}`,
    `previous: ${m.previous === null ? 'null' : q(m.previous)}`,
    `created_at: ${q(m.created_at)}`,
    `snapshot_rev: ${q(m.snapshot_rev)}`,
    `tree: ${q(m.tree)}`,
    'checksums:',
    ...Object.keys(m.checksums)
      .sort()
      .map((path) => `  ${q(path)}: ${q(m.checksums[path]!)}`),
    `rulebook_hash: ${q(m.rulebook_hash)}`,
    `trust_store_hash: ${q(m.trust_store_hash)}`,
    `required_signatures: ${m.required_signatures}`,
    `required_roles: [${m.required_roles.map(q).join(', ')}]`,
    `tool: ${q(m.tool)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** DSSE pre-authentication encoding: what is signed, so the type is bound to the bytes. */
export function pae(body: Uint8Array, type = PAYLOAD_TYPE): Buffer {
  const head = Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.byteLength} `, 'utf8');
  return Buffer.concat([head, body]);
}

export function serializeSignature(entry: Omit<SignatureEntry, 'line'>): string {
  return `- keyid: ${JSON.stringify(entry.keyid)}\n  role: ${JSON.stringify(entry.role ?? '')}\n  signed_at: ${JSON.stringify(entry.signed_at ?? '')}\n  sig: ${JSON.stringify(entry.sig)}\n`;
}

export const SIGNATURES_HEADER = '# Signatures over handoff_manifest.yaml: DSSE PAE, RSASSA-PSS SHA-256. Append only.\n';

/**
 * Reads signatures.yaml line by line (it is append-only and may be garbled by an attacker):
 * every entry that can be read is returned, every line that cannot is reported.
 */
export function parseSignatures(text: string): { entries: SignatureEntry[]; problems: Array<{ line: number; message: string }> } {
  const entries: SignatureEntry[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  let current: Partial<SignatureEntry> | undefined;
  const flush = (): void => {
    if (!current) return;
    if (typeof current.keyid === 'string' && typeof current.sig === 'string') entries.push(current as SignatureEntry);
    else problems.push({ line: current.line ?? 0, message: 'signature entry without keyid or sig' });
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const m = /^(- |  )([a-z_]+): (.*)$/.exec(line);
    if (!m) {
      problems.push({ line: i + 1, message: `unreadable line: ${line.slice(0, 60)}` });
      return;
    }
    if (m[1] === '- ') {
      flush();
      current = { line: i + 1 };
    } else if (!current) {
      problems.push({ line: i + 1, message: 'field outside a signature entry' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(m[3]!);
    } catch {
      problems.push({ line: i + 1, message: `value of ${m[2]} is not a quoted string` });
      return;
    }
    if (typeof value !== 'string') {
      problems.push({ line: i + 1, message: `value of ${m[2]} is not a string` });
      return;
    }
    if (m[2] === 'keyid' || m[2] === 'role' || m[2] === 'signed_at' || m[2] === 'sig') current![m[2]] = value;
  });
  flush();
  return { entries, problems };
}

/**
 * Parses manifest bytes strictly, and only ever after a signature over them has verified:
 * one document, no duplicate keys, no aliases, no tags, the expected fields and types.
 */
export function parseManifestStrict(bytes: Uint8Array): Manifest | string {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, merge: false, strict: true });
  if (doc.errors.length > 0) return `manifest is not strict YAML: ${doc.errors[0]!.message.split('\n')[0]}`;
  let problem: string | undefined;
  visit(doc, (_, node) => {
    if (isAlias(node)) problem = 'manifest uses an alias';
    else if (isNode(node) && node.tag && !node.tag.startsWith('tag:yaml.org,2002:')) problem = `manifest uses the tag ${node.tag}`;
  });
  if (/^\s*!/m.test(text) || /:\s+!/.test(text)) problem ??= 'manifest uses a tag';
  if (problem) return problem;
  const m = doc.toJS() as Record<string, unknown>;
  const isHex = (v: unknown, n: number) => typeof v === 'string' && new RegExp(`^[0-9a-f]{${n}}$`).test(v);
  if (typeof m !== 'object' || m === null) return 'manifest is not a mapping';
  if (typeof m['plan_id'] !== 'string' || typeof m['id'] !== 'string' || !Number.isInteger(m['sequence'])) return 'manifest lacks id, plan_id or sequence';
  if (m['previous'] !== null && !(typeof m['previous'] === 'string' && /^sha256:[0-9a-f]{64}$/.test(m['previous']))) return 'manifest previous is neither null nor sha256:<hex>';
  if (typeof m['snapshot_rev'] !== 'string' || !/^git:[0-9a-f]{40}([0-9a-f]{24})?$/.test(m['snapshot_rev'])) return 'manifest snapshot_rev is not git:<full sha>';
  if (!isHex(m['tree'], 40) && !isHex(m['tree'], 64)) return 'manifest tree is not a git tree id';
  const checksums = m['checksums'];
  if (typeof checksums !== 'object' || checksums === null || Array.isArray(checksums)) return 'manifest checksums is not a mapping';
  for (const [path, sum] of Object.entries(checksums)) if (typeof sum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(sum)) return `checksum of ${path} is not sha256:<hex>`;
  if (!Number.isInteger(m['required_signatures']) || !Array.isArray(m['required_roles'])) return 'manifest lacks required_signatures or required_roles';
  return m as unknown as Manifest;
}

export interface BlobInfo {
  sha256: string;
  /** git file mode: 100644, 100755, 120000 (symlink), ... */
  mode: string;
}

export interface VerifyInput {
  manifestPath: string;
  manifestBytes: Uint8Array;
  signaturesPath: string;
  signaturesText: string | undefined;
  trust: TrustStore;
  now: Date;
  /** Folder's plan and sequence (from the path), to catch a manifest replayed elsewhere. */
  location: { plan: string; sequence: number };
  /** Bytes of the manifest before it in the chain; null for the first; undefined when missing. */
  previousBytes: Uint8Array | null | undefined;
  /** The plan's files at the pinned commit, or a reason they cannot be read. */
  pinned: ReadonlyMap<string, BlobInfo> | string;
  /** The plan's files now, and whether a difference is a failure (the plan is still PACKAGED). */
  current?: { files: ReadonlyMap<string, BlobInfo>; driftFails: boolean };
  rulebookHash: string;
  trustStoreHash: string;
  /** Threshold and roles of sealing.yaml in force; a manifest cannot lower them by what it records. */
  policy: { requiredSignatures: number; requiredRoles: string[] };
}

export interface VerifyReport {
  manifest: string;
  plan: string;
  sequence: number;
  ok: boolean;
  /** Distinct trusted keys whose signatures verified, with their roles. */
  signers: Array<{ keyid: string; id: string; role: string }>;
  findings: Finding[];
}

/** Everything DESIGN §6 asks of one manifest. Pure: every input is passed in. */
export function verifyManifest(input: VerifyInput): VerifyReport {
  const findings: Finding[] = [];
  const fail = (rule: string, message: string, extra: Partial<Finding> = {}): void => void findings.push({ rule: `verify/${rule}`, severity: 'error', message, file: input.manifestPath, plan: input.location.plan, ...extra });
  for (const f of auditTrustStore(input.trust)) findings.push({ ...f, plan: input.location.plan });

  const signers = verifySignatures(input, fail);
  const report = (): VerifyReport => ({ manifest: input.manifestPath, plan: input.location.plan, sequence: input.location.sequence, ok: !findings.some((f) => f.severity === 'error'), signers, findings });
  if (signers.length === 0) {
    fail('unsigned', 'no signature by a trusted key verifies; the manifest is not parsed');
    return report();
  }
  const parsed = parseManifestStrict(input.manifestBytes);
  if (typeof parsed === 'string') {
    fail('manifest', parsed);
    return report();
  }
  const m = parsed;
  const distinct = new Set(signers.map((s) => s.keyid)).size;
  const required = Math.max(m.required_signatures, input.policy.requiredSignatures);
  if (distinct < required) fail('threshold', `${distinct} of ${required} required signatures by distinct trusted keys`);
  const roles = new Set(signers.map((s) => s.role));
  for (const role of new Set([...m.required_roles, ...input.policy.requiredRoles])) if (!roles.has(role)) fail('threshold', `no valid signature by a key with role ${role}`);
  if (m.required_signatures < input.policy.requiredSignatures || input.policy.requiredRoles.some((r) => !m.required_roles.includes(r))) {
    fail('threshold', `the manifest records a lower bar (${m.required_signatures} signatures, roles ${m.required_roles.join(', ') || 'none'}) than sealing.yaml requires`);
  }

  if (m.plan_id !== input.location.plan) fail('replay', `manifest is for plan ${m.plan_id} but sits under ${input.location.plan}: replayed into another plan`);
  if (m.sequence !== input.location.sequence) fail('chain', `manifest says sequence ${m.sequence} but sits in folder ${String(input.location.sequence).padStart(4, '0')}`);
  if (input.previousBytes === undefined) fail('chain', `manifest ${input.location.sequence - 1} of ${input.location.plan} is missing: a gap in the sequence`);
  else if (input.previousBytes === null) {
    if (m.previous !== null) fail('chain', 'the first manifest names a previous one');
  } else if (m.previous !== `sha256:${sha256(input.previousBytes)}`) fail('chain', `previous (${String(m.previous).slice(0, 20)}…) is not the hash of manifest ${input.location.sequence - 1}: rollback or reordering`);

  if (m.rulebook_hash !== `sha256:${input.rulebookHash}`) fail('rulebook', 'the rulebook in force differs from the one the handoff was sealed under (rulebook edited after sealing)');
  if (m.trust_store_hash !== `sha256:${input.trustStoreHash}`) fail('trust-store', 'the trust store differs from the one the handoff was sealed under (.plan/keys edited after sealing)');

  for (const path of Object.keys(m.checksums)) {
    if (path.split('/').includes('..') || path.startsWith('/') || path.includes('\\')) fail('path', `artifact path ${path} leaves the repository`);
  }
  if (typeof input.pinned === 'string') fail('snapshot', input.pinned);
  else compareArtifacts(m.checksums, input.pinned, `at ${m.snapshot_rev}`, (message) => fail('artifact', message));
  if (input.current) {
    const driftFindings: string[] = [];
    compareArtifacts(m.checksums, input.current.files, 'now', (message) => driftFindings.push(message));
    for (const message of driftFindings) {
      if (input.current.driftFails) fail('artifact', `${message} since the handoff was sealed`);
      else findings.push({ rule: 'verify/drift', severity: 'info', message: `${message} since sealing (expected once execution has begun)`, file: input.manifestPath, plan: input.location.plan });
    }
  }
  return report();
}

function verifySignatures(input: VerifyInput, fail: (rule: string, message: string, extra?: Partial<Finding>) => void): Array<{ keyid: string; id: string; role: string }> {
  if (input.signaturesText === undefined) {
    fail('unsigned', `${input.signaturesPath} is missing`);
    return [];
  }
  const { entries, problems } = parseSignatures(input.signaturesText);
  for (const p of problems) fail('signature', `${input.signaturesPath}:${p.line}: ${p.message}`, { file: input.signaturesPath, line: p.line });
  const payload = pae(input.manifestBytes);
  const signers: Array<{ keyid: string; id: string; role: string }> = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const at = { file: input.signaturesPath, line: entry.line };
    if (seen.has(entry.keyid)) {
      fail('duplicate-signature', `key ${entry.keyid.slice(0, 16)}… signed twice; a key counts once`, at);
      continue;
    }
    seen.add(entry.keyid);
    const key = input.trust.keys.find((k) => k.keyid === entry.keyid);
    if (!key) {
      fail('unknown-key', `signature by key ${entry.keyid.slice(0, 16)}…, which is not in the trust store`, at);
      continue;
    }
    if (entry.role && entry.role !== key.role) {
      fail('role', `signer ${key.id} claims role ${entry.role} but the trust store gives it ${key.role}`, at);
      continue;
    }
    const unusable = keyUsable(key, input.now);
    if (unusable) {
      fail('key', unusable, at);
      continue;
    }
    const pem = input.trust.pems.get(key.file);
    const weak = pem === undefined ? 'its public key file is missing' : publicKeyProblem(pem);
    if (weak) {
      fail('weak-key', `signature by ${key.id} does not count: ${weak}`, at);
      continue;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry.sig) || entry.sig.length % 4 !== 0) {
      fail('signature', `signature by ${key.id} is not valid base64`, at);
      continue;
    }
    let valid = false;
    try {
      valid = pem !== undefined && verifySignature('sha256', payload, { key: pem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(entry.sig, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) {
      fail('signature', `signature by ${key.id} (${key.role}) does not verify: the manifest or the signature was altered`, at);
      continue;
    }
    signers.push({ keyid: key.keyid, id: key.id, role: key.role });
  }
  return signers;
}

/** Changed, added, removed, renamed and symlinked artifacts between a manifest and a tree. */
function compareArtifacts(checksums: Record<string, string>, files: ReadonlyMap<string, BlobInfo>, when: string, report: (message: string) => void): void {
  const sealed = new Map(Object.entries(checksums));
  const removed = [...sealed.keys()].filter((p) => !files.has(p));
  const added = [...files.keys()].filter((p) => !sealed.has(p));
  for (const path of removed) {
    const renamedTo = added.find((a) => `sha256:${files.get(a)!.sha256}` === sealed.get(path));
    if (renamedTo) report(`artifact ${path} was renamed to ${renamedTo} ${when}`);
    else report(`artifact ${path} is missing ${when}`);
  }
  for (const path of added) {
    if (removed.some((r) => `sha256:${files.get(path)!.sha256}` === sealed.get(r))) continue;
    report(`artifact ${path} was added ${when}`);
  }
  for (const [path, info] of files) {
    if (info.mode === '120000') report(`artifact ${path} is a symbolic link ${when}`);
    const expected = sealed.get(path);
    if (expected && expected !== `sha256:${info.sha256}`) report(`artifact ${path} changed ${when} (sha256 ${info.sha256.slice(0, 12)}…, sealed ${expected.slice(7, 19)}…)`);
  }
}
