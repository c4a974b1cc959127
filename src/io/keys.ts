import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, pbkdf2, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { PlanError, UsageError } from '../core/errors.js';
import { MIN_RSA_BITS, publicKeyProblem } from '../core/trust.js';

const pbkdf2Async = promisify(pbkdf2);

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
  // forge ends PEM lines with CRLF; LF keeps the committed bytes and the checkout the same on every platform
  const publicPem = forge.pki.publicKeyToPem(pair.publicKey).replace(/\r\n/g, '\n');
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

/** Decrypts a private key (OpenSSL does the KDF, off the main thread) and wraps it for signing with node-forge. */
export async function loadSigningKey(pem: string, passphrase: string | undefined, display: string): Promise<SigningKey> {
  if (!pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new UsageError(`${display} is not an encrypted PKCS#8 key; encrypt it (openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000) or make one with plan keygen`);
  }
  const wrongPassphrase = (): UsageError => new UsageError(`cannot decrypt ${display}: wrong passphrase (PLAN_KEY_PASSPHRASE)`);
  let key: KeyObject;
  const params = passphrase === undefined ? undefined : pbes2Params(pem);
  if (params && passphrase !== undefined) {
    // 600,000 rounds take ~120 ms: in the thread pool they overlap with the command's git calls
    const derived = await pbkdf2Async(passphrase, params.salt, params.iterations, 32, 'sha256');
    let der: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', derived, params.iv);
      der = Buffer.concat([decipher.update(params.encrypted), decipher.final()]);
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw wrongPassphrase(); // bad padding, or (rarely) padding that happens to fit around garbage
    }
  } else {
    try {
      key = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
    } catch (error) {
      const message = (error as Error).message;
      if (/passphrase|decrypt|bad decrypt/i.test(message)) throw wrongPassphrase();
      throw new UsageError(`${display} is not a private key PLAN can use: ${message.split('\n')[0]}`);
    }
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

const OID = { pbes2: '1.2.840.113549.1.5.13', pbkdf2: '1.2.840.113549.1.5.12', hmacSha256: '1.2.840.113549.2.9', aes256Cbc: '2.16.840.1.101.3.4.1.42' };

/**
 * The PBES2 parameters of an encrypted PKCS#8 PEM when they are the ones plan keygen writes
 * (PBKDF2-HMAC-SHA256, AES-256-CBC); undefined for anything else, which OpenSSL then reads itself.
 */
function pbes2Params(pem: string): { salt: Buffer; iterations: number; iv: Buffer; encrypted: Buffer } | undefined {
  try {
    const body = /-----BEGIN ENCRYPTED PRIVATE KEY-----([\s\S]*?)-----END ENCRYPTED PRIVATE KEY-----/.exec(pem)?.[1];
    if (!body) return undefined;
    const { asn1 } = forge;
    const info = asn1.fromDer(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('binary'));
    const children = (node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] => (node && Array.isArray(node.value) ? node.value : []);
    const bytes = (node: forge.asn1.Asn1 | undefined): Buffer | undefined => (node && typeof node.value === 'string' ? Buffer.from(node.value, 'binary') : undefined);
    const oidOf = (node: forge.asn1.Asn1 | undefined): string | undefined => (node && typeof node.value === 'string' && node.type === asn1.Type.OID ? asn1.derToOid(node.value) : undefined);
    const [algorithm, encryptedData] = children(info);
    const [schemeOid, schemeParams] = children(algorithm);
    const [kdf, cipher] = children(schemeParams);
    const [kdfOid, kdfParams] = children(kdf);
    const [cipherOid, ivNode] = children(cipher);
    const [saltNode, iterationsNode, ...optional] = children(kdfParams);
    // keyLength (an INTEGER) is optional, and the PRF defaults to HMAC-SHA1 when absent
    const prf = optional.find((n) => n.type === asn1.Type.SEQUENCE);
    const keyLength = optional.find((n) => n.type === asn1.Type.INTEGER);
    if (oidOf(schemeOid) !== OID.pbes2 || oidOf(kdfOid) !== OID.pbkdf2 || oidOf(cipherOid) !== OID.aes256Cbc || oidOf(children(prf)[0]) !== OID.hmacSha256) return undefined;
    if (keyLength && asn1.derToInteger(keyLength.value as string) !== 32) return undefined;
    const salt = bytes(saltNode);
    const iv = bytes(ivNode);
    const encrypted = bytes(encryptedData);
    const iterations = iterationsNode && typeof iterationsNode.value === 'string' ? asn1.derToInteger(iterationsNode.value) : 0;
    if (!salt || !iv || iv.length !== 16 || !encrypted || !(iterations > 0 && iterations <= 100_000_000)) return undefined;
    return { salt, iterations, iv, encrypted };
  } catch {
    return undefined;
  }
}
