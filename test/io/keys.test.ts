import { spawnSync } from 'node:child_process';
import { constants, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { generateKeyPair, loadSigningKey } from '../../src/io/keys.js';

const PASSPHRASE = 'correct horse battery';
let dir: string;
let plain: string;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** The unencrypted key, encrypted by OpenSSL with the given PKCS#8 options. */
function encryptedByOpenssl(name: string, options: string[]): string {
  openssl(['pkcs8', '-topk8', '-in', 'plain.pem', '-out', name, '-passout', `pass:${PASSPHRASE}`, ...options]);
  return readFileSync(join(dir, name), 'utf8');
}

function signsVerifiably(pem: string, passphrase: string): Promise<boolean> {
  return loadSigningKey(pem, passphrase, 'key.pem').then((key) => {
    const data = Buffer.from('payload');
    return verify('sha256', data, { key: createPublicKey(key.publicPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, key.sign(data));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-keys-'));
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'plain.pem']);
  plain = readFileSync(join(dir, 'plain.pem'), 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSigningKey', () => {
  // plan keygen's parameters are decrypted in the thread pool; any others are left to OpenSSL
  it.each([
    ['plan keygen', () => generateKeyPair(2048, PASSPHRASE, 1000).privatePem],
    ['openssl, PBKDF2-HMAC-SHA256 and AES-256-CBC (as plan writes)', () => encryptedByOpenssl('sha256.pem', ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256', '-iter', '1000'])],
    ['openssl, PBKDF2-HMAC-SHA1 (the default PRF)', () => encryptedByOpenssl('sha1.pem', ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1', '-iter', '1000'])],
    ['openssl, AES-128-CBC', () => encryptedByOpenssl('aes128.pem', ['-v2', 'aes-128-cbc', '-iter', '1000'])],
  ])('a key from %s signs with the right passphrase and is refused with a wrong one', async (_name, make) => {
    const pem = make();
    expect(await signsVerifiably(pem, PASSPHRASE)).toBe(true);
    const wrong = await loadSigningKey(pem, 'not the passphrase', 'key.pem').catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(UsageError);
    expect((wrong as Error).message).toBe('cannot decrypt key.pem: wrong passphrase (PLAN_KEY_PASSPHRASE)');
  });

  it.each([
    ['plan keygen', () => generateKeyPair(2048, PASSPHRASE).privatePem],
    ['openssl with the same parameters', () => encryptedByOpenssl('slow.pem', ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256', '-iter', '600000'])],
  ])('600,000 PBKDF2 rounds of a key from %s run off the main thread: timers fire meanwhile', async (_name, make) => {
    const pem = make();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await loadSigningKey(pem, PASSPHRASE, 'key.pem');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('an unencrypted key is refused with how to encrypt it', async () => {
    await expect(loadSigningKey(plain, PASSPHRASE, 'key.pem')).rejects.toThrow(/is not an encrypted PKCS#8 key; encrypt it \(openssl pkcs8/);
  });

  it('a PEM whose encrypted bytes were damaged is refused, not crashed on', async () => {
    const pem = generateKeyPair(2048, PASSPHRASE, 1000).privatePem;
    const lines = pem.split('\n');
    const middle = Math.floor(lines.length / 2);
    lines[middle] = lines[middle]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    await expect(loadSigningKey(lines.join('\n'), PASSPHRASE, 'key.pem')).rejects.toBeInstanceOf(UsageError);
  });
});
