/**
 * Verify rejects every random mutation of a sealed handoff (DESIGN §6). In-process: a manifest
 * sealed with RSA keys made by node:crypto, then random byte mutations of the manifest, of
 * signatures.yaml, and random changes to what the manifest is checked against (pinned
 * artifacts, the chain, the trust store, the policy), through the pure verifyManifest. Through
 * the CLI: random byte mutations of a sealed repository's handoff, then `plan verify`.
 *
 * The only mutations allowed to pass are those that leave the signed material as it was: the
 * manifest bytes, and in signatures.yaml the set of (key id, signature bytes) with roles that
 * match the trust store (a comment or a signed_at edit changes no signature).
 */
import { constants, createHash, generateKeyPairSync, sign as rsaSign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pae, serializeManifest, serializeSignature, SIGNATURES_HEADER, verifyManifest, type BlobInfo, type Manifest, type VerifyInput } from '../../src/core/seal.js';
import type { TrustedKey, TrustStore } from '../../src/core/trust.js';
import { BUDGET, buildPlanningRepo, cleanupAll, copyOf, countOnce, crashOf, describeRun, gitOk, plan, planOk, record, SEED, type PlanningRepo } from './support.js';

const AREA = 'verify';
const stats = { inputs: 0, crashes: 0, violations: 0 };
const params = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) });
afterAll(() => {
  record(AREA, stats);
  cleanupAll();
});

const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------------------------------------
// a sealed handoff, made in memory

interface Signer {
  id: string;
  role: string;
  keyid: string;
  privateKey: KeyObject;
  pem: string;
}

function makeSigner(id: string, role: string): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { id, role, keyid: sha(der), privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const signers: Signer[] = [];
let base: VerifyInput;
let manifest: Manifest;
/** The signature entries as written: keyid, role, decoded signature. */
let signedMaterial: string[];

function sigOf(signer: Signer, bytes: Uint8Array): string {
  return rsaSign('sha256', pae(bytes), { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
}

beforeAll(() => {
  signers.push(makeSigner('lead', 'planning_lead'), makeSigner('reviewer', 'technical_reviewer'), makeSigner('spare', 'planning_lead'));
  const files = new Map<string, BlobInfo>([
    ['plans/p/plan.yaml', { sha256: sha('plan'), mode: '100644' }],
    ['plans/p/be_backlog.yaml', { sha256: sha('backlog'), mode: '100644' }],
    ['plans/p/story_map.md', { sha256: sha('story'), mode: '100644' }],
  ]);
  const previousBytes = Buffer.from(serializeManifest({ version: '1.0.0', id: 'hnd_prev', plan_id: 'p', sequence: 1, previous: null, created_at: '2026-01-01T00:00:00Z', snapshot_rev: `git:${'a'.repeat(40)}`, tree: 'b'.repeat(40), checksums: {}, rulebook_hash: `sha256:${sha('r')}`, trust_store_hash: `sha256:${sha('t')}`, required_signatures: 2, required_roles: ['planning_lead', 'technical_reviewer'], tool: 'plan 0.1.0' }));
  manifest = {
    version: '1.0.0',
    id: 'hnd_2026_01_02_abcdef01',
    plan_id: 'p',
    sequence: 2,
    previous: `sha256:${sha(previousBytes)}`,
    created_at: '2026-01-02T00:00:00Z',
    snapshot_rev: `git:${'c'.repeat(40)}`,
    tree: 'd'.repeat(40),
    checksums: Object.fromEntries([...files].map(([p, b]) => [p, `sha256:${b.sha256}`])),
    rulebook_hash: `sha256:${sha('rulebook')}`,
    trust_store_hash: `sha256:${sha('trust')}`,
    required_signatures: 2,
    required_roles: ['planning_lead', 'technical_reviewer'],
    tool: 'plan 0.1.0',
  };
  const bytes = Buffer.from(serializeManifest(manifest));
  const entries = signers.slice(0, 2).map((s) => serializeSignature({ keyid: s.keyid, role: s.role, signed_at: '2026-01-02T00:00:00Z', sig: sigOf(s, bytes) }));
  const trust: TrustStore = {
    keys: signers.map((s): TrustedKey => ({ id: s.id, keyid: s.keyid, file: `${s.id}.pub.pem`, role: s.role, valid_from: '2020-01-01T00:00:00Z', valid_until: '2100-01-01T00:00:00Z', revoked: false })),
    pems: new Map(signers.map((s) => [`${s.id}.pub.pem`, s.pem])),
  };
  base = {
    manifestPath: '.plan/handoffs/p/0002/handoff_manifest.yaml',
    manifestBytes: bytes,
    signaturesPath: '.plan/handoffs/p/0002/signatures.yaml',
    signaturesText: SIGNATURES_HEADER + entries.join(''),
    trust,
    now: new Date('2026-06-01T00:00:00Z'),
    location: { plan: 'p', sequence: 2 },
    previousBytes,
    pinned: files,
    current: { files, driftFails: true },
    rulebookHash: sha('rulebook'),
    trustStoreHash: sha('trust'),
    policy: { requiredSignatures: 2, requiredRoles: ['planning_lead', 'technical_reviewer'] },
  };
  signedMaterial = material(base.signaturesText!, trust)!;
});

/**
 * What signatures.yaml commits to, read by the file's documented line format: one
 * `(keyid, role, signature bytes)` per entry, roles empty or the trust store's. Undefined when a
 * line does not follow the format (verify must then report it).
 */
function material(text: string, trust: TrustStore): string[] | undefined {
  const entries: Array<Record<string, string>> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^(- |  )([a-z_]+): (.*)$/.exec(line);
    if (!m) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(m[3]!);
    } catch {
      return undefined;
    }
    if (typeof value !== 'string') return undefined;
    if (m[1] === '- ') entries.push({});
    const current = entries.at(-1);
    if (!current) return undefined;
    current[m[2]!] = value;
  }
  return entries
    .map((e) => {
      if (e['keyid'] === undefined || e['sig'] === undefined) return 'incomplete entry';
      const role = e['role'] ?? '';
      const trusted = trust.keys.find((k) => k.keyid === e['keyid'])?.role;
      return `${e['keyid']} ${role === '' || role === trusted ? 'role-ok' : `role ${role}`} ${Buffer.from(e['sig'], 'base64').toString('hex')} ${/^[A-Za-z0-9+/]+={0,2}$/.test(e['sig']) && e['sig'].length % 4 === 0 ? 'b64' : 'not-b64'}`;
    })
    .sort();
}

type Mutation = { op: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'duplicate' | 'crlf' | 'swap'; at: number; value: number; length: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({ op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'duplicate', 'crlf', 'swap'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), length: fc.integer({ min: 1, max: 40 }) });

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.op) {
      case 'flip':
        if (b.length) b[at]! ^= 1 << (m.value % 8);
        break;
      case 'set':
        if (b.length) b[at] = m.value;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at, at + m.length), b.subarray(at + m.length)]);
        break;
      case 'crlf':
        b = Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
        break;
      case 'swap': {
        const lines = b.toString('latin1').split('\n');
        const i = m.at % lines.length;
        const j = (m.at + m.length) % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
    }
  }
  return b;
}

function verifyOrCount(input: VerifyInput): ReturnType<typeof verifyManifest> {
  stats.inputs++;
  try {
    return verifyManifest(input);
  } catch (error) {
    countOnce(stats, 'crashes', (error as Error).message);
    throw new Error(`verifyManifest threw: ${(error as Error).message}`);
  }
}

describe(`verifyManifest rejects every mutation (budget ${BUDGET.name}: ${BUDGET.verifyMutations} per kind)`, () => {
  it('the unmutated handoff verifies (the baseline the mutations start from)', () => {
    const report = verifyOrCount(base);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.signers.map((s) => s.id).sort()).toEqual(['lead', 'reviewer']);
  });

  it('any change to the manifest bytes', () => {
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
        const bytes = mutate(base.manifestBytes, mutations);
        fc.pre(!bytes.equals(base.manifestBytes));
        const report = verifyOrCount({ ...base, manifestBytes: bytes });
        if (report.ok) {
          countOnce(stats, 'violations', 'a mutated manifest verified');
          throw new Error(`a mutated manifest verified:\n${bytes.toString('latin1')}`);
        }
      }),
      params(BUDGET.verifyMutations),
    );
  });

  it('any change to signatures.yaml that touches a signature, a key id or a role', () => {
    let benign = 0;
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
        const text = mutate(Buffer.from(base.signaturesText!), mutations).toString('latin1');
        fc.pre(text !== base.signaturesText);
        const report = verifyOrCount({ ...base, signaturesText: text });
        const after = material(text, base.trust);
        const same = after !== undefined && JSON.stringify(after) === JSON.stringify(signedMaterial);
        if (same) benign++;
        if (report.ok && !same) {
          countOnce(stats, 'violations', 'a mutated signatures file verified');
          throw new Error(`signatures.yaml changed what it signs and still verified:\n${text}`);
        }
      }),
      params(BUDGET.verifyMutations),
    );
    expect(benign).toBeLessThan(BUDGET.verifyMutations);
  });

  it('any signature bit flipped, any key id changed, any entry dropped, duplicated or claiming another role', () => {
    const entryArb = fc.record({ who: fc.integer({ min: 0, max: 1 }), bit: fc.nat(), kind: fc.constantFrom('sig-bit', 'keyid-char', 'drop', 'duplicate', 'role', 'other-key-sig', 'truncate-sig') });
    fc.assert(
      fc.property(entryArb, ({ who, bit, kind }) => {
        const bytes = base.manifestBytes;
        const rows = signers.slice(0, 2).map((s) => ({ keyid: s.keyid, role: s.role, signed_at: '2026-01-02T00:00:00Z', sig: sigOf(s, bytes) }));
        const row = rows[who]!;
        if (kind === 'sig-bit') {
          const raw = Buffer.from(row.sig, 'base64');
          raw[bit % raw.length]! ^= 1 << (bit % 8);
          row.sig = raw.toString('base64');
        } else if (kind === 'keyid-char') {
          const i = bit % row.keyid.length;
          row.keyid = row.keyid.slice(0, i) + (row.keyid[i] === '0' ? '1' : '0') + row.keyid.slice(i + 1);
        } else if (kind === 'role') row.role = row.role === 'planning_lead' ? 'technical_reviewer' : 'planning_lead';
        else if (kind === 'other-key-sig') row.sig = sigOf(signers[2]!, bytes);
        else if (kind === 'truncate-sig') row.sig = row.sig.slice(0, Math.max(0, (bit % row.sig.length) - ((bit % row.sig.length) % 4)));
        const kept = kind === 'drop' ? rows.filter((_, i) => i !== who) : kind === 'duplicate' ? [...rows, row] : rows;
        const text = SIGNATURES_HEADER + kept.map((r) => serializeSignature(r)).join('');
        const report = verifyOrCount({ ...base, signaturesText: text });
        if (report.ok) {
          countOnce(stats, 'violations', `${kind} still verified`);
          throw new Error(`${kind} of ${signers[who]!.id}'s signature still verified`);
        }
      }),
      params(Math.max(30, BUDGET.verifyMutations / 4)),
    );
  });

  it('anything the manifest is checked against: pinned artifacts, the chain, the folder, hashes, trust store, policy, clock', () => {
    const changes: Array<[string, (input: VerifyInput, n: number) => VerifyInput]> = [
      ['an artifact changed at the pinned commit', (i, n) => ({ ...i, pinned: withFile(i.pinned as Map<string, BlobInfo>, n, (b) => ({ ...b, sha256: sha(`x${n}`) })) })],
      ['an artifact added at the pinned commit', (i, n) => ({ ...i, pinned: new Map([...(i.pinned as Map<string, BlobInfo>), [`plans/p/extra${n}.md`, { sha256: sha(`e${n}`), mode: '100644' }]]) })],
      ['an artifact removed at the pinned commit', (i, n) => ({ ...i, pinned: new Map([...(i.pinned as Map<string, BlobInfo>)].filter((_, k) => k !== n % 3)) })],
      ['an artifact became a symlink', (i, n) => ({ ...i, pinned: withFile(i.pinned as Map<string, BlobInfo>, n, (b) => ({ ...b, mode: '120000' })) })],
      ['an artifact changed since sealing, while PACKAGED', (i, n) => ({ ...i, current: { driftFails: true, files: withFile(i.current!.files as Map<string, BlobInfo>, n, (b) => ({ ...b, sha256: sha(`d${n}`) })) } })],
      ['the pinned commit is missing', (i) => ({ ...i, pinned: 'the pinned commit is not in this repository' })],
      ['the previous manifest changed', (i, n) => ({ ...i, previousBytes: mutate(i.previousBytes as Uint8Array, [{ op: 'flip', at: n, value: n, length: 1 }]) })],
      ['the previous manifest is missing', (i) => ({ ...i, previousBytes: undefined })],
      ['the manifest sits under another plan', (i, n) => ({ ...i, location: { ...i.location, plan: `q${n % 5}` } })],
      ['the manifest sits in another folder', (i, n) => ({ ...i, location: { ...i.location, sequence: 3 + (n % 5) } })],
      ['the rulebook changed', (i, n) => ({ ...i, rulebookHash: sha(`rb${n}`) })],
      ['the trust store changed', (i, n) => ({ ...i, trustStoreHash: sha(`ts${n}`) })],
      ['sealing.yaml now asks for more signatures', (i, n) => ({ ...i, policy: { ...i.policy, requiredSignatures: 3 + (n % 3) } })],
      ['sealing.yaml now asks for another role', (i) => ({ ...i, policy: { ...i.policy, requiredRoles: [...i.policy.requiredRoles, 'review_board'] } })],
      ['a signer was revoked', (i, n) => ({ ...i, trust: withKey(i.trust, n, (k) => ({ ...k, revoked: true })) })],
      ['a signer expired', (i, n) => ({ ...i, trust: withKey(i.trust, n, (k) => ({ ...k, valid_until: '2026-03-01T00:00:00Z' })) })],
      ['a signer is not valid yet', (i, n) => ({ ...i, trust: withKey(i.trust, n, (k) => ({ ...k, valid_from: '2027-01-01T00:00:00Z' })) })],
      ['a signer lost its role', (i, n) => ({ ...i, trust: withKey(i.trust, n, (k) => ({ ...k, role: 'review_board' })) })],
      ['a signer left the trust store', (i, n) => ({ ...i, trust: { ...i.trust, keys: i.trust.keys.filter((_, k) => k !== n % 2) } })],
      ['a public key file was swapped', (i, n) => ({ ...i, trust: { ...i.trust, pems: new Map([...i.trust.pems].map(([f, p], k) => [f, k === n % 2 ? signers[2]!.pem : p])) } })],
      ['one key listed twice', (i, n) => ({ ...i, trust: { ...i.trust, keys: [...i.trust.keys, { ...i.trust.keys[n % 2]!, id: `copy${n}`, role: 'review_board' }] } })],
      ['signatures.yaml is missing', (i) => ({ ...i, signaturesText: undefined })],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: changes.length - 1 }), fc.nat(), (which, n) => {
        const [name, change] = changes[which]!;
        const report = verifyOrCount(change(base, n));
        if (report.ok) {
          countOnce(stats, 'violations', `verified although ${name}`);
          throw new Error(`verified although ${name}`);
        }
      }),
      params(Math.max(changes.length * 3, BUDGET.verifyMutations / 2)),
    );
  });
});

function withFile(files: Map<string, BlobInfo>, n: number, change: (b: BlobInfo) => BlobInfo): Map<string, BlobInfo> {
  return new Map([...files].map(([p, b], k) => [p, k === n % files.size ? change(b) : b]));
}

function withKey(trust: TrustStore, n: number, change: (k: TrustedKey) => TrustedKey): TrustStore {
  return { ...trust, keys: trust.keys.map((k, i) => (i === n % 2 ? change(k) : k)) };
}

// ---------------------------------------------------------------------------------------------
// through the CLI

describe('plan verify on a sealed repository rejects random mutations of its handoff', () => {
  let repo: PlanningRepo;
  const M = '.plan/handoffs/p/0001/handoff_manifest.yaml';
  const S = '.plan/handoffs/p/0001/signatures.yaml';

  beforeAll(() => {
    repo = buildPlanningRepo({ plans: ['p'], keys: { lead: 'planning_lead', reviewer: 'technical_reviewer' }, prefix: 'plan-reliability-verify-' });
    planOk(repo.dir, ['transition', 'p', 'validate_complete', '--commit']);
    planOk(repo.dir, ['seal', 'p', '--key', repo.keys.path['lead']!, '--commit']);
    planOk(repo.dir, ['sign', M, '--key', repo.keys.path['reviewer']!, '--commit']);
  }, 120_000);

  it('the sealed repository verifies, with history', () => {
    const run = plan(repo.dir, ['verify', '--all', '--history']);
    expect(run.status, describeRun(run)).toBe(0);
  });

  it(`random byte mutations of the manifest or signatures.yaml, committed or not (${BUDGET.cliVerifyMutations} cases)`, () => {
    const trust = { keys: Object.entries(repo.keys.keyid).map(([id, keyid]) => ({ id, keyid, file: '', role: repo.keys.role[id]!, valid_from: '' })), pems: new Map() } as TrustStore;
    const originalSignatures = readFileSync(join(repo.dir, S), 'utf8');
    const originalMaterial = material(originalSignatures, trust);
    fc.assert(
      fc.property(fc.boolean(), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.boolean(), (manifestSide, mutations, commit) => {
        const dir = copyOf(repo.dir);
        const path = join(dir, manifestSide ? M : S);
        const before = readFileSync(path);
        const after = mutate(before, mutations);
        fc.pre(!after.equals(before));
        chmodSync(path, 0o644);
        writeFileSync(path, after);
        if (commit) {
          gitOk(dir, 'add', '-A');
          gitOk(dir, 'commit', '-q', '--no-verify', '-m', 'tamper');
        }
        const run = plan(dir, ['verify', '--all', ...(commit ? ['--history'] : [])]);
        stats.inputs++;
        const crash = crashOf(run);
        if (crash) {
          countOnce(stats, 'crashes', crash);
          throw new Error(`${crash}\n${describeRun(run)}`);
        }
        // a checkout's eol conversion is not an edit: CRLF in the work tree over the committed LF bytes reads as those bytes
        const eolOnly = !commit && after.toString('latin1').replace(/\r\n/g, '\n') === before.toString('latin1');
        const benign = eolOnly || (!manifestSide && JSON.stringify(material(after.toString('latin1'), trust)) === JSON.stringify(originalMaterial));
        if (run.status === 0 && !benign) {
          countOnce(stats, 'violations', 'plan verify passed a mutation');
          throw new Error(`plan verify passed a mutated ${manifestSide ? 'manifest' : 'signatures.yaml'}${commit ? ' (committed)' : ''}:\n${after.toString('latin1')}\n${describeRun(run)}`);
        }
        if (run.status !== 0 && run.status !== 1) {
          countOnce(stats, 'violations', 'plan verify exit code');
          throw new Error(`plan verify exited ${run.status}\n${describeRun(run)}`);
        }
      }),
      params(BUDGET.cliVerifyMutations),
    );
  }, 600_000);
});
