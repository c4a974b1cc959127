import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { RepoError, UsageError } from '../core/errors.js';
import { keyUsable, TRUST_DIR, type TrustedKey } from '../core/trust.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkPublicKey, generateKeyPair, KDF_ITERATIONS } from '../io/keys.js';
import { passphrase } from '../io/prompt.js';
import { PlanStore } from '../io/store.js';
import { loadTrustStore, saveTrustStore } from '../io/trust_store.js';
import { openRepo, type RepoOptions } from './repo.js';

export interface KeygenOptions extends RepoOptions {
  id: string;
  role: string;
  owner?: string;
  bits?: number;
  /** Where the private key goes; must be outside the repository. */
  out?: string;
  validDays?: number;
  now?: Date;
}

export interface KeygenResult {
  id: string;
  keyid: string;
  role: string;
  privateKey: string;
  publicKey: string;
  bits: number;
  validUntil: string;
}

const ROLE = /^[a-z][a-z0-9_]*$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A new RSA key pair: the encrypted private key outside the repository, the public key in the trust store. */
export async function keygen(options: KeygenOptions): Promise<KeygenResult> {
  if (!LABEL.test(options.id)) throw new UsageError(`--id "${options.id}" must be letters, digits, ".", "_" or "-"`);
  if (!ROLE.test(options.role)) throw new UsageError(`--role "${options.role}" must be lower_snake_case, e.g. planning_lead`);
  const bits = options.bits ?? 3072;
  if (!Number.isInteger(bits) || bits < 2048 || bits > 8192) throw new UsageError(`--bits ${bits}: RSA keys must have 2048 to 8192 bits`);
  const repo = await openRepo(options);
  const outDir = resolve(options.cwd, options.out ?? process.env['PLAN_KEY_DIR'] ?? join(homedir(), '.plan', 'keys'));
  const inside = relative(repo.root, outDir);
  if (!inside.startsWith('..') && !isAbsolute(inside)) throw new UsageError(`--out ${outDir} is inside the repository; private keys must never be committed`);
  const privatePath = join(outDir, `${options.id}.key.pem`);
  if (existsSync(privatePath)) throw new UsageError(`${privatePath} exists; choose another --id or move it away`);

  const store = new PlanStore(repo.root);
  return store.locked(`plan keygen ${options.id}`, async () => {
    const trust = await loadTrustStore(repo.root);
    if (trust.keys.some((k) => k.id === options.id)) throw new RepoError(`the trust store already has a key with id ${options.id}`);
    const secret = await passphrase(`the new key ${options.id}`, true);
    const pair = generateKeyPair(bits, secret, KDF_ITERATIONS);
    const now = options.now ?? new Date();
    const validUntil = new Date(now.getTime() + (options.validDays ?? 365) * 86_400_000);
    const entry: TrustedKey = {
      id: options.id,
      keyid: pair.keyId,
      file: `${options.id}.pub.pem`,
      ...(options.owner ? { owner: options.owner } : {}),
      role: options.role,
      valid_from: isoSeconds(now),
      valid_until: isoSeconds(validUntil),
      revoked: false,
    };
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    await writeFile(privatePath, pair.privatePem, { mode: 0o600, flag: 'wx' });
    await writeFileAtomic(join(repo.root, TRUST_DIR, entry.file), pair.publicPem);
    await saveTrustStore(repo.root, [...trust.keys, entry]);
    return { id: entry.id, keyid: pair.keyId, role: entry.role, privateKey: privatePath, publicKey: `${TRUST_DIR}/${entry.file}`, bits, validUntil: entry.valid_until! };
  });
}

export interface KeyListing extends TrustedKey {
  status: 'active' | 'revoked' | 'expired' | 'not yet valid' | 'invalid';
  problem?: string;
}

export async function listKeys(options: RepoOptions & { now?: Date }): Promise<{ keys: KeyListing[] }> {
  const repo = await openRepo(options);
  const trust = await loadTrustStore(repo.root);
  const now = options.now ?? new Date();
  return {
    keys: trust.keys.map((key) => {
      const pem = trust.pems.get(key.file);
      let problem: string | undefined;
      try {
        if (!pem) throw new Error(`missing ${key.file}`);
        checkPublicKey(pem);
      } catch (error) {
        problem = (error as Error).message;
      }
      const unusable = keyUsable(key, now);
      const status: KeyListing['status'] = problem ? 'invalid' : key.revoked ? 'revoked' : unusable?.includes('expired') ? 'expired' : unusable ? 'not yet valid' : 'active';
      return { ...key, status, ...(problem ? { problem } : {}) };
    }),
  };
}

/** Marks a key revoked: its signatures and approvals stop counting. The entry stays, for history. */
export async function revokeKey(options: RepoOptions & { id: string; reason?: string; now?: Date }): Promise<TrustedKey> {
  const repo = await openRepo(options);
  return new PlanStore(repo.root).locked(`plan keys revoke ${options.id}`, async () => {
    const trust = await loadTrustStore(repo.root);
    const key = trust.keys.find((k) => k.id === options.id || k.keyid === options.id || (options.id.length >= 8 && k.keyid.startsWith(options.id)));
    if (!key) throw new RepoError(`no key ${options.id} in the trust store (plan keys list shows them)`);
    if (key.revoked) return key;
    const revoked: TrustedKey = { ...key, revoked: true, revoked_at: isoSeconds(options.now ?? new Date()), ...(options.reason ? { revoked_reason: options.reason } : {}) };
    await saveTrustStore(repo.root, trust.keys.map((k) => (k === key ? revoked : k)));
    return revoked;
  });
}

export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
