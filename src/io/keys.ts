import { createCipheriv, createHash, createPrivateKey, createPublicKey, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PlanError, UsageError } from '../core/errors.js';
import { MIN_RSA_BITS, publicKeyProblem } from '../core/trust.js';

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
export const KDF_ITERATIONS = 600_000;

export interface KeyPair {
  /** Encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC). */
  privatePem: string;
  /** SubjectPublicKeyInfo PEM. */
  publicPem: string;
  /** sha256 of the SPKI DER, hex: what `openssl pkey -pubin -outform DER | sha256sum` prints. */
  keyId: string;
  bits: number;
}

/** An RSA key pair from node-forge (which uses the platform's generator when there is one). */
export function generateKeyPair(bits: number, passphrase: string, iterations = KDF_ITERATIONS): KeyPair {
  if (bits < MIN_RSA_BITS) throw new UsageError(`--bits ${bits} is too small; RSA keys need at least ${MIN_RSA_BITS} bits`);
  if (passphrase.length < 8) throw new UsageError('the passphrase must have at least 8 characters');
  const pair = forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const pkcs8Der = Buffer.from(forge.asn1.toDer(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(pair.privateKey))).getBytes(), 'binary');
  const publicPem = forge.pki.publicKeyToPem(pair.publicKey);
  return { privatePem: encryptPkcs8(pkcs8Der, passphrase, iterations), publicPem, keyId: keyIdOf(publicPem), bits };
}

/**
 * PKCS#8 EncryptedPrivateKeyInfo with PBES2, built here because forge derives the key in pure
 * JavaScript (~5 s at 600,000 rounds) while node:crypto's PBKDF2 is OpenSSL's. Any OpenSSL reads it.
 */
function encryptPkcs8(der: Buffer, passphrase: string, iterations: number): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(der), cipher.final()]);
  const { asn1 } = forge;
  const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
  const octets = (b: Buffer) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, b.toString('binary'));
  const integer = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
  const seq = (...items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
  const nil = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
  const info = seq(
    seq(
      oid('1.2.840.113549.1.5.13'), // PBES2
      seq(
        seq(oid('1.2.840.113549.1.5.12'), seq(octets(salt), integer(iterations), integer(32), seq(oid('1.2.840.113549.2.9'), nil))), // PBKDF2, hmacWithSHA256
        seq(oid('2.16.840.1.101.3.4.1.42'), octets(iv)), // aes-256-cbc
      ),
    ),
    octets(encrypted),
  );
  const body = Buffer.from(asn1.toDer(info).getBytes(), 'binary').toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

export function keyIdOf(publicPem: string): string {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** Checks an RSA public key is one we accept: at least 2048 bits, exponent 65537. */
export function checkPublicKey(publicPem: string): void {
  const problem = publicKeyProblem(publicPem);
  if (problem) throw new PlanError(problem, 1);
}

export interface SigningKey {
  keyId: string;
  publicPem: string;
  /** RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32: signs exact bytes. */
  sign(data: Uint8Array): Buffer;
}

/** Decrypts a private key (OpenSSL does the KDF) and wraps it for signing with node-forge. */
export function loadSigningKey(pem: string, passphrase: string | undefined, display: string): SigningKey {
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new UsageError(`${display} is not an encrypted PKCS#8 key; encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000) or make one with plan keygen`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
  } catch (error) {
    const message = (error as Error).message;
    if (/passphrase|decrypt|bad decrypt/i.test(message)) throw new UsageError(`cannot decrypt ${display}: wrong passphrase (PLAN_KEY_PASSPHRASE)`);
    throw new UsageError(`${display} is not a private key PLAN can use: ${message.split('\n')[0]}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new UsageError(`${display} is a ${key.asymmetricKeyType} key; plan signs with RSA`);
  const publicPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  checkPublicKey(publicPem);
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  return {
    keyId: keyIdOf(publicPem),
    publicPem,
    sign(data) {
      const md = forge.md.sha256.create();
      md.update(Buffer.from(data).toString('binary'));
      const pss = forge.pss.create({ md: forge.md.sha256.create(), mgf: forge.mgf.mgf1.create(forge.md.sha256.create()), saltLength: 32 });
      return Buffer.from(forgeKey.sign(md, pss), 'binary');
    },
  };
}
