import { constants, verify as verifySignature } from 'node:crypto';
import { pae, sha256 } from './seal.js';
import { keyUsable, type TrustStore } from './trust.js';

export const APPROVAL_TYPE = 'application/vnd.plan.approval.v1+json';
export const APPROVALS_DIR = '.plan/approvals';

export function approvalsPath(plan: string): string {
  return `${APPROVALS_DIR}/${plan}.jsonl`;
}

/** What an approver signs: the plan, their role, when, and the digest of the plan's content. */
export interface ApprovalStatement {
  plan: string;
  role: string;
  approved_at: string;
  content_sha256: string;
}

/** One line of the approvals log: a DSSE envelope, so the signed bytes travel with the signature. */
export interface ApprovalEnvelope {
  payloadType: string;
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

export function statementBytes(statement: ApprovalStatement): Buffer {
  return Buffer.from(JSON.stringify({ plan: statement.plan, role: statement.role, approved_at: statement.approved_at, content_sha256: statement.content_sha256 }), 'utf8');
}

export function envelopeLine(statement: ApprovalStatement, keyid: string, sign: (data: Uint8Array) => Buffer): string {
  const body = statementBytes(statement);
  const envelope: ApprovalEnvelope = { payloadType: APPROVAL_TYPE, payload: body.toString('base64'), signatures: [{ keyid, sig: sign(pae(body, APPROVAL_TYPE)).toString('base64') }] };
  return `${JSON.stringify(envelope)}\n`;
}

/** The digest approvals bind to: every file of the plan folder, by path and content. */
export function planContentDigest(files: ReadonlyArray<{ path: string; bytes: Uint8Array }>): string {
  const lines = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => `${f.path}\0${sha256(f.bytes)}`);
  return sha256(lines.join('\n'));
}

export interface ApprovalTally {
  /** Approvals that count: one per key. */
  valid: Array<{ keyid: string; id: string; role: string; approved_at: string; line: number }>;
  /** Lines that do not count, and why. */
  rejected: Array<{ line: number; reason: string }>;
}

/**
 * Counts approvals the way protected-branch reviews do: a valid signature by a trusted, usable key
 * in that role, for this plan and its current content. Each key counts once; everything else is
 * reported with the reason it does not count.
 */
export function tallyApprovals(text: string, plan: string, contentDigest: string, trust: TrustStore, now: Date): ApprovalTally {
  const tally: ApprovalTally = { valid: [], rejected: [] };
  const counted = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const reject = (reason: string): void => void tally.rejected.push({ line, reason });
    let envelope: ApprovalEnvelope;
    try {
      envelope = JSON.parse(raw) as ApprovalEnvelope;
    } catch {
      return reject('not valid JSON');
    }
    const signature = envelope?.signatures?.[0];
    if (envelope?.payloadType !== APPROVAL_TYPE || typeof envelope.payload !== 'string' || !signature || typeof signature.keyid !== 'string' || typeof signature.sig !== 'string') {
      return reject('not an approval envelope');
    }
    const key = trust.keys.find((k) => k.keyid === signature.keyid);
    if (!key) return reject(`signed by key ${signature.keyid.slice(0, 16)}…, which is not in the trust store`);
    const unusable = keyUsable(key, now);
    if (unusable) return reject(unusable);
    const body = Buffer.from(envelope.payload, 'base64');
    const pem = trust.pems.get(key.file);
    let valid = false;
    try {
      valid = pem !== undefined && verifySignature('sha256', pae(body, APPROVAL_TYPE), { key: pem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signature.sig, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) return reject(`signature by ${key.id} does not verify: the line was edited`);
    let statement: ApprovalStatement;
    try {
      statement = JSON.parse(body.toString('utf8')) as ApprovalStatement;
    } catch {
      return reject('signed payload is not JSON');
    }
    if (statement.plan !== plan) return reject(`approval by ${key.id} is for plan ${statement.plan}, copied here`);
    if (statement.role !== key.role) return reject(`approval by ${key.id} claims role ${statement.role}, but the key's role is ${key.role}`);
    if (statement.content_sha256 !== contentDigest) return reject(`approval by ${key.id} (${statement.approved_at}) is for older content; the plan changed since, approve again`);
    if (counted.has(key.keyid)) return reject(`${key.id} already approved; a key counts once`);
    counted.add(key.keyid);
    tally.valid.push({ keyid: key.keyid, id: key.id, role: key.role, approved_at: statement.approved_at, line });
  });
  return tally;
}
