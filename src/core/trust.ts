import { createHash, createPublicKey } from 'node:crypto';
import type { Finding } from './finding.js';

/** One key of the trust store (`.plan/keys/keys.yaml`). Roles come only from here. */
export interface TrustedKey {
  /** Human label given at keygen (`--id`). */
  id: string;
  /** sha256 of the SPKI DER, hex. */
  keyid: string;
  /** Public key file, relative to .plan/keys/. */
  file: string;
  owner?: string;
  role: string;
  valid_from: string;
  valid_until?: string;
  revoked?: boolean;
  revoked_at?: string;
  revoked_reason?: string;
}

export interface TrustStore {
  keys: TrustedKey[];
  /** Public key PEMs by file name. */
  pems: ReadonlyMap<string, string>;
}

export const TRUST_DIR = '.plan/keys';
export const TRUST_FILE = `${TRUST_DIR}/keys.yaml`;

/** Deterministic YAML for the trust store: written by plan keygen and plan keys revoke only. */
export function serializeTrustStore(keys: readonly TrustedKey[]): string {
  const q = (v: string) => JSON.stringify(v);
  const lines = ['# yaml-language-server: $schema=../schemas/trust_store.schema.json', '# Trusted signing keys and their roles. Written by plan keygen / plan keys revoke; reviewed like code.', 'keys:'];
  if (keys.length === 0) lines[lines.length - 1] = 'keys: []';
  for (const k of keys) {
    lines.push(`  - id: ${q(k.id)}`, `    keyid: ${q(k.keyid)}`, `    file: ${q(k.file)}`);
    if (k.owner) lines.push(`    owner: ${q(k.owner)}`);
    lines.push(`    role: ${q(k.role)}`, `    valid_from: ${q(k.valid_from)}`);
    if (k.valid_until) lines.push(`    valid_until: ${q(k.valid_until)}`);
    lines.push(`    revoked: ${k.revoked ? 'true' : 'false'}`);
    if (k.revoked_at) lines.push(`    revoked_at: ${q(k.revoked_at)}`);
    if (k.revoked_reason) lines.push(`    revoked_reason: ${q(k.revoked_reason)}`);
  }
  return `${lines.join('\n')}\n`;
}

export const MIN_RSA_BITS = 2048;

/** Why a public key is not acceptable (not RSA, under 2048 bits, exponent other than 65537), or undefined. */
export function publicKeyProblem(pem: string): string | undefined {
  let key;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    return `not a public key: ${(error as Error).message.split('\n')[0]}`;
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa' || !details?.modulusLength) return `not an RSA key (${key.asymmetricKeyType ?? 'unknown type'})`;
  if (details.modulusLength < MIN_RSA_BITS) return `RSA key of ${details.modulusLength} bits is too weak (minimum ${MIN_RSA_BITS})`;
  if (details.publicExponent !== 65537n) return `RSA public exponent ${String(details.publicExponent)} is refused (only 65537)`;
  return undefined;
}

export function fingerprint(pem: string): string | undefined {
  try {
    return createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Problems with the trust store itself, each of which makes every verification fail: a key id
 * that is not its key's fingerprint, one key listed twice (under two ids, or claiming two roles),
 * weak keys.
 */
export function auditTrustStore(store: TrustStore): Finding[] {
  const findings: Finding[] = [];
  const byFingerprint = new Map<string, TrustedKey[]>();
  for (const key of store.keys) {
    const pem = store.pems.get(key.file);
    const actual = pem ? fingerprint(pem) : undefined;
    if (!pem) {
      findings.push({ rule: 'verify/trust-store', severity: 'error', message: `key ${key.id}: public key file ${TRUST_DIR}/${key.file} is missing`, file: TRUST_FILE });
      continue;
    }
    if (!actual) {
      findings.push({ rule: 'verify/trust-store', severity: 'error', message: `key ${key.id}: ${TRUST_DIR}/${key.file} is not a readable public key`, file: TRUST_FILE });
      continue;
    }
    if (actual !== key.keyid) findings.push({ rule: 'verify/trust-store', severity: 'error', message: `key ${key.id}: keyid ${key.keyid.slice(0, 12)}… is not the fingerprint of ${key.file} (${actual.slice(0, 12)}…)`, file: TRUST_FILE });
    const weak = publicKeyProblem(pem);
    if (weak) findings.push({ rule: 'verify/weak-key', severity: 'error', message: `key ${key.id}: ${weak}`, file: TRUST_FILE });
    byFingerprint.set(actual, [...(byFingerprint.get(actual) ?? []), key]);
  }
  for (const [fp, keys] of byFingerprint) {
    if (keys.length < 2) continue;
    const roles = [...new Set(keys.map((k) => k.role))];
    const what = roles.length > 1 ? `one key claims ${roles.length} roles (${roles.join(', ')})` : `one key is listed under ${keys.length} ids`;
    findings.push({ rule: 'verify/duplicate-key', severity: 'error', message: `${what}: ${keys.map((k) => k.id).join(', ')} share fingerprint ${fp.slice(0, 16)}…; a key counts once and has one role`, file: TRUST_FILE });
  }
  return findings;
}

/** Whether a key may sign at `now`: not revoked, inside its validity window. */
export function keyUsable(key: TrustedKey, now: Date): string | undefined {
  if (key.revoked) return `key ${key.id} was revoked${key.revoked_at ? ` on ${key.revoked_at}` : ''}${key.revoked_reason ? ` (${key.revoked_reason})` : ''}`;
  if (Date.parse(key.valid_from) > now.getTime()) return `key ${key.id} is not valid before ${key.valid_from}`;
  if (key.valid_until && Date.parse(key.valid_until) < now.getTime()) return `key ${key.id} expired on ${key.valid_until}`;
  return undefined;
}
