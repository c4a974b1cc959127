/**
 * Helpers for the seal/verify attack suite (test/e2e/seal-attacks.test.ts): templates built once
 * (keys, a plan READY_FOR_HANDOFF, the same plan sealed and co-signed), copied per case with
 * the whole .git; readers and writers for manifests and signatures; an independent signer
 * (node:crypto, not the CLI) for "insider" cases that hold a private key.
 */
import { constants, createHash, createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { commitAll, removeRepo, runPlan, tempRepo, writeFiles, type RunResult, tempDirTracker, planRunner } from '../helpers.js';
import { expectNoCrash } from './support.js';

export const PASSPHRASE = 'correct-horse-battery-staple';
export const PAYLOAD_TYPE = 'application/vnd.plan.handoff.v1+yaml';
export const M1 = '.plan/handoffs/alpha/0001/handoff_manifest.yaml';
export const S1 = '.plan/handoffs/alpha/0001/signatures.yaml';
export const M2 = '.plan/handoffs/alpha/0002/handoff_manifest.yaml';
export const S2 = '.plan/handoffs/alpha/0002/signatures.yaml';

/** A story map whose every story names a task, so begin_execution's coverage gate passes. */
export const STORY_MAP = `# alpha - Story Map

## Epic: alpha

### Backbone (User Activities)
1. **Plan** → 2. **Build** → 3. **Ship**

### Walking Skeleton (MVP)
- First slice (ALPHA-001)
`;

const ENV = { PLAN_KEY_PASSPHRASE: PASSPHRASE, PLAN_SIGNING_KEY: '', FORCE_COLOR: '0', GITHUB_ACTIONS: '' };

const dirs = tempDirTracker();
export const tempDir = dirs.tempDir;
export const cleanup = dirs.cleanup;

/** `plan <args>` with the test passphrase (override with env); planOk() must succeed. */
export const { plan, planOk } = planRunner(ENV);

/** A copy of a template repository (work tree and .git) in a fresh temp folder. */
export function copyRepo(template: string): string {
  const dir = tempDir('plan-seal-case-');
  cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export interface Keys {
  dir: string;
  /** key label → private key path */
  path: Record<string, string>;
  /** key label → key id printed by keygen */
  keyid: Record<string, string>;
}

export interface Templates {
  keys: Keys;
  /** alice, bob, carol in the trust store and committed; alpha READY_FOR_HANDOFF. */
  ready: string;
  /** `ready`, then sealed by alice and co-signed by bob, both committed. */
  sealed: string;
}

function keygen(repo: string, keys: Keys, id: string, role: string): void {
  const r = planOk(repo, ['keygen', '--id', id, '--role', role, '--out', keys.dir, '--bits', '2048', '--json']);
  const out = JSON.parse(r.stdout) as { keyid: string; privateKey: string };
  keys.keyid[id] = out.keyid;
  keys.path[id] = out.privateKey;
}

/** A repository with plan init, plan alpha (with STORY_MAP), and `setup` run before the first commit. */
export function initRepo(prefix: string, setup: (dir: string) => void = () => {}): string {
  const dir = tempRepo(prefix);
  dirs.track(dir);
  planOk(dir, ['init']);
  planOk(dir, ['new', 'alpha']);
  writeFiles(dir, { 'plans/alpha/story_map.md': STORY_MAP });
  setup(dir);
  return dir;
}

/** Copies a trust store (.plan/keys) from one repository to another. */
export function copyTrustStore(from: string, to: string): void {
  cpSync(join(from, '.plan/keys'), join(to, '.plan/keys'), { recursive: true });
}

/**
 * The templates: keys generated once (alice planning_lead, bob technical_reviewer, carol
 * planning_lead in the trust store; mallory made by plan keygen in another repository, so
 * untrusted here).
 */
export function buildTemplates(): Templates {
  const keys: Keys = { dir: tempDir('plan-seal-keys-'), path: {}, keyid: {} };
  const scratch = initRepo('plan-seal-scratch-');
  keygen(scratch, keys, 'mallory', 'technical_reviewer');

  const sealed = initRepo('plan-seal-tpl-');
  keygen(sealed, keys, 'alice', 'planning_lead');
  keygen(sealed, keys, 'bob', 'technical_reviewer');
  keygen(sealed, keys, 'carol', 'planning_lead');
  commitAll(sealed, 'init');
  planOk(sealed, ['transition', 'alpha', 'validate_complete', '--commit']);
  const ready = copyRepo(sealed);
  planOk(sealed, ['seal', 'alpha', '--key', keys.path['alice']!, '--commit']);
  planOk(sealed, ['sign', M1, '--key', keys.path['bob']!, '--commit']);
  return { keys, ready, sealed };
}

/** Adds PACKAGED --rework--> PLANNED to the repository's lifecycle, so a plan can be sealed twice. */
export function addReworkTransition(dir: string): void {
  const path = join(dir, 'rulebook/lifecycle.yaml');
  const text = readFileSync(path, 'utf8');
  const anchor = '  - from: PACKAGED\n    event: begin_execution';
  if (!text.includes(anchor)) throw new Error('rulebook/lifecycle.yaml changed shape; update addReworkTransition');
  writeFileSync(path, text.replace(anchor, `  - from: PACKAGED\n    event: rework\n    to: PLANNED\n\n${anchor}`));
}

/** alpha sealed twice (0001, 0002), each co-signed, under a lifecycle with a rework transition. */
export function buildTwiceSealed(t: Templates): string {
  const dir = initRepo('plan-seal-twice-', (d) => {
    copyTrustStore(t.sealed, d);
    addReworkTransition(d);
  });
  commitAll(dir, 'init');
  const { path } = t.keys;
  planOk(dir, ['transition', 'alpha', 'validate_complete', '--commit']);
  planOk(dir, ['seal', 'alpha', '--key', path['alice']!, '--commit']);
  planOk(dir, ['sign', M1, '--key', path['bob']!, '--commit']);
  planOk(dir, ['transition', 'alpha', 'rework', '--commit']);
  writeFiles(dir, { 'plans/alpha/story_map.md': `${STORY_MAP}\n### Release 1 Features\n- Second slice (ALPHA-001)\n` });
  commitAll(dir, 'second iteration');
  planOk(dir, ['transition', 'alpha', 'validate_complete', '--commit']);
  planOk(dir, ['seal', 'alpha', '--key', path['alice']!, '--commit']);
  planOk(dir, ['sign', M2, '--key', path['bob']!, '--commit']);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// files

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

export function readBytes(dir: string, path: string): Buffer {
  return readFileSync(join(dir, path));
}

/** Writes a file even when it is read-only (manifests are written 0444). */
export function overwrite(dir: string, path: string, content: string | Uint8Array): void {
  const full = join(dir, path);
  try {
    chmodSync(full, 0o644);
  } catch {
    // a new file
  }
  writeFiles(dir, { [path]: content });
}

export function edit(dir: string, path: string, change: (text: string) => string): void {
  const before = read(dir, path);
  const after = change(before);
  if (after === before) throw new Error(`the edit of ${path} changed nothing`);
  overwrite(dir, path, after);
}

export interface SignatureFile {
  header: string;
  /** Each entry's four lines ("- keyid: ..." to "  sig: ...\n"). */
  entries: string[];
}

export function readSignatures(dir: string, path = S1): SignatureFile {
  const text = read(dir, path);
  const start = text.indexOf('- keyid:');
  const header = start < 0 ? text : text.slice(0, start);
  const entries = start < 0 ? [] : text.slice(start).split(/(?=^- keyid:)/m);
  return { header, entries };
}

export function writeSignatures(dir: string, file: SignatureFile, path = S1): void {
  overwrite(dir, path, file.header + file.entries.join(''));
}

export function entryOf(file: SignatureFile, keyid: string): string {
  const entry = file.entries.find((e) => e.startsWith(`- keyid: "${keyid}"`));
  if (!entry) throw new Error(`no signature entry for ${keyid}`);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// an independent signer (for insiders who hold a key)

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function pae(body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(PAYLOAD_TYPE)} ${PAYLOAD_TYPE} ${body.byteLength} `), body]);
}

/** RSASSA-PSS SHA-256 salt 32 over the PAE of `body`, with a private key PEM (encrypted or not). */
export function signBytes(privatePem: string, body: Uint8Array, passphrase: string | undefined = PASSPHRASE): { keyid: string; sig: string } {
  const key = createPrivateKey(passphrase === undefined ? privatePem : { key: privatePem, passphrase });
  const keyid = sha256(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const sig = cryptoSign('sha256', pae(body), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
  return { keyid, sig };
}

export function signatureEntry(keyid: string, role: string, sig: string): string {
  return `- keyid: "${keyid}"\n  role: "${role}"\n  signed_at: "2026-01-01T00:00:00Z"\n  sig: "${sig}"\n`;
}

/**
 * An insider's rewrite of manifest 0001: new bytes, signed afresh by `signers` (private key
 * PEM, passphrase, role), and the event log's manifest_sha256 updated to match (the log is not
 * signed), so only what the manifest says can make verification fail.
 */
export function forgeManifest(dir: string, text: string, signers: Array<{ pem: string; role: string; passphrase?: string }>, paths = { manifest: M1, signatures: S1 }): void {
  const old = sha256(readBytes(dir, paths.manifest));
  const body = Buffer.from(text, 'utf8');
  overwrite(dir, paths.manifest, body);
  const { header } = readSignatures(dir, paths.signatures);
  const entries = signers.map((s) => {
    const { keyid, sig } = signBytes(s.pem, body, s.passphrase ?? PASSPHRASE);
    return signatureEntry(keyid, s.role, sig);
  });
  writeSignatures(dir, { header, entries }, paths.signatures);
  for (const name of readdirSync(join(dir, '.plan/events'))) {
    const path = `.plan/events/${name}`;
    const log = read(dir, path);
    if (log.includes(old)) overwrite(dir, path, log.split(old).join(sha256(body)));
  }
}

// ---------------------------------------------------------------------------------------------
// verify output

export interface VerifyFinding {
  rule: string;
  severity: string;
  message: string;
  file?: string;
}

export interface VerifyJson {
  reports: Array<{ manifest: string; plan: string; sequence: number; ok: boolean; signers: Array<{ keyid: string; id: string; role: string }>; findings: VerifyFinding[] }>;
  history: VerifyFinding[];
  ok: boolean;
}

export interface Verified {
  run: RunResult;
  json: VerifyJson;
  /** Every finding, as "rule: message", errors only. */
  errors: string[];
}

/** `plan verify --json <flags>`, parsed; never a crash. */
export function verify(dir: string, ...flags: string[]): Verified {
  const run = plan(dir, ['verify', '--json', ...flags]);
  expectNoCrash(run);
  let json: VerifyJson;
  try {
    json = JSON.parse(run.stdout) as VerifyJson;
  } catch {
    throw new Error(`plan verify ${flags.join(' ')} printed no JSON (exit ${run.code}):\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`);
  }
  const all = [...json.reports.flatMap((r) => r.findings), ...json.history];
  return { run, json, errors: all.filter((f) => f.severity === 'error').map((f) => `${f.rule}: ${f.message}`) };
}

/** verify exits 0 with no error finding. */
export function expectVerifies(dir: string, ...flags: string[]): Verified {
  const v = verify(dir, ...flags);
  expect(v.errors).toEqual([]);
  expect(v.run.code, v.run.stderr).toBe(0);
  expect(v.json.ok).toBe(true);
  return v;
}

/**
 * verify exits 1, and one error finding has `rule` (or one of several) and a message matching
 * every one of `words` (the findings are printed when not).
 */
export function expectRejected(dir: string, flags: readonly string[], rule: string | readonly string[], ...words: RegExp[]): Verified {
  const rules = typeof rule === 'string' ? [rule] : rule;
  const v = verify(dir, ...flags);
  expect(v.run.code, `exit code; findings:\n${v.errors.join('\n')}\nstderr: ${v.run.stderr}`).toBe(1);
  expect(v.json.ok).toBe(false);
  const hit = v.errors.some((e) => rules.some((r) => e.startsWith(`${r}: `) && words.every((w) => w.test(e.slice(r.length + 2)))));
  expect(hit, `expected a ${rules.join(' or ')} finding matching ${words.map(String).join(' and ') || 'anything'}; got:\n${v.errors.join('\n') || '(no error findings)'}`).toBe(true);
  return v;
}

/** A CLI run that must fail with `code`, no crash, and output matching `words`. */
export function expectRefused(run: RunResult, code: number, ...words: RegExp[]): void {
  expectNoCrash(run);
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.code, output).toBe(code);
  for (const w of words) expect(output).toMatch(w);
}
