/**
 * Helpers for the governance end-to-end tests (test/e2e/governance.test.ts): template
 * repositories built once (plan init, a criticality-0 plan `payments`, a plain plan `routine`,
 * four trusted keys plus one untrusted) and copied per test with their .git; CLI runs with the
 * test passphrase, synchronous and asynchronous; readers for approvals files and lint's JSON;
 * rulebook edits; dates relative to today; a hash of the tree to prove nothing was written.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitAll, PLAN_BIN, removeRepo, runPlan, tempRepo, writeFiles, type RunResult, tempDirTracker, planRunner } from '../helpers.js';

export const PASSPHRASE = 'governance test passphrase';
const ENV = { PLAN_KEY_PASSPHRASE: PASSPHRASE, PLAN_SIGNING_KEY: '', NO_COLOR: '1', FORCE_COLOR: '0', GITHUB_ACTIONS: '' };

export const KEY_ROLES = { alice: 'planning_lead', bob: 'technical_reviewer', carol: 'review_board', dave: 'planning_lead' } as const;
export type KeyName = keyof typeof KEY_ROLES | 'mallory';

const dirs = tempDirTracker();
export const tempDir = dirs.tempDir;
export const cleanup = dirs.cleanup;

/** `plan <args>` with the test passphrase (override with env); planOk() must succeed. */
export const { plan, planOk } = planRunner(ENV);

/** stdout and stderr together, for "the message names X" checks. */
export function output(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

export interface AsyncRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** An asynchronous `plan` run, so several can run at once. */
export function planAsync(cwd: string, args: readonly string[]): Promise<AsyncRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLAN_BIN, ...args], { cwd, env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export interface Keys {
  dir: string;
  /** key name → private key file */
  path: Record<KeyName, string>;
  /** key name → key id (sha256 of the SPKI DER) */
  keyid: Record<KeyName, string>;
}

export interface Templates {
  keys: Keys;
  /** plan init; payments (criticality 0, nothing else), routine; alice, bob, carol, dave trusted; committed. */
  base: string;
  /** `base` with payments complete (emergency contact, rollback plan) and approved by alice, bob and carol; committed. */
  approved: string;
}

function keygen(repo: string, keys: Keys, id: KeyName, role: string): void {
  const r = planOk(repo, ['keygen', '--id', id, '--role', role, '--out', keys.dir, '--bits', '2048', '--json']);
  const out = JSON.parse(r.stdout) as { keyid: string; privateKey: string };
  keys.keyid[id] = out.keyid;
  keys.path[id] = out.privateKey;
}

/** A copy of a template repository (work tree and .git) in a fresh temp folder. */
export function copyRepo(template: string): string {
  const dir = tempDir('plan-gov-case-');
  cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export const EMERGENCY = 'emergency_contact: "oncall@example.com"\n';
export const ROLLBACK = 'rollback_plan: rollback.md\n';
export const ROLLBACK_TEXT = '# Rollback\n\nRedeploy the previous release tag and replay the payment queue.\n';

/** Gives payments what critical_zero asks beside approvals: an emergency contact and a rollback plan. */
export function completePayments(dir: string, parts: { emergency?: boolean; rollbackField?: boolean; rollbackFile?: string | null } = {}): void {
  const { emergency = true, rollbackField = true, rollbackFile = ROLLBACK_TEXT } = parts;
  const planFile = join(dir, 'plans/payments/plan.yaml');
  let text = readFileSync(planFile, 'utf8');
  if (emergency) text += EMERGENCY;
  if (rollbackField) text += ROLLBACK;
  writeFileSync(planFile, text);
  if (rollbackFile !== null) writeFiles(dir, { 'plans/payments/rollback.md': rollbackFile });
}

export function approve(dir: string, planId: string, keys: Keys, ...names: KeyName[]): void {
  for (const name of names) planOk(dir, ['approve', planId, '--key', keys.path[name]]);
}

export function buildTemplates(): Templates {
  const keys: Keys = { dir: tempDir('plan-gov-keys-'), path: {} as Keys['path'], keyid: {} as Keys['keyid'] };
  // mallory: a key made by plan keygen, but in another repository's trust store
  const scratch = tempRepo('plan-gov-scratch-');
  dirs.track(scratch);
  planOk(scratch, ['init']);
  keygen(scratch, keys, 'mallory', 'review_board');

  const base = tempRepo('plan-gov-base-');
  dirs.track(base);
  planOk(base, ['init']);
  planOk(base, ['new', 'payments', '--tag', 'criticality=0']);
  planOk(base, ['new', 'routine']);
  for (const [name, role] of Object.entries(KEY_ROLES)) keygen(base, keys, name as KeyName, role);
  commitAll(base, 'init');

  const approved = copyRepo(base);
  completePayments(approved);
  approve(approved, 'payments', keys, 'alice', 'bob', 'carol');
  commitAll(approved, 'payments: emergency contact, rollback plan, approvals');
  return { keys, base, approved };
}

// ---------------------------------------------------------------------------------------------
// files

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

export function approvalsFile(planId: string): string {
  return `.plan/approvals/${planId}.jsonl`;
}

/** The approvals file's lines (without the final empty one). */
export function approvalLines(dir: string, planId: string): string[] {
  const path = join(dir, approvalsFile(planId));
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

export function writeApprovalLines(dir: string, planId: string, lines: readonly string[]): void {
  writeFiles(dir, { [approvalsFile(planId)]: lines.map((l) => `${l}\n`).join('') });
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

export function statementOf(line: string): { plan: string; role: string; approved_at: string; content_sha256: string } {
  const envelope = JSON.parse(line) as Envelope;
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
}

/** The index of the approvals line signed by `keyid`. */
export function lineBy(lines: readonly string[], keyid: string): number {
  const i = lines.findIndex((l) => (JSON.parse(l) as Envelope).signatures[0]?.keyid === keyid);
  if (i < 0) throw new Error(`no approval line by ${keyid.slice(0, 12)}`);
  return i;
}

export function edit(dir: string, path: string, change: (text: string) => string): void {
  const before = read(dir, path);
  const after = change(before);
  if (after === before) throw new Error(`the edit of ${path} changed nothing`);
  writeFileSync(join(dir, path), after);
}

/** Replaces critical_zero's condition in the repository's rulebook/governance.yaml. */
export function setCondition(dir: string, rule: 'critical_zero' | 'compliance_sox', condition: string): void {
  const original = rule === 'critical_zero' ? 'condition: "tags.criticality == 0"' : `condition: "tags.compliance == 'sox'"`;
  edit(dir, 'rulebook/governance.yaml', (t) => t.replace(original, `condition: ${JSON.stringify(condition)}`));
}

export interface LintFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  file?: string;
  line?: number;
  plan?: string;
}

export function lintJson(dir: string): { code: number; findings: LintFinding[]; raw: RunResult } {
  const r = plan(dir, ['lint', '--format', 'json']);
  if (r.code === 2) return { code: 2, findings: [], raw: r };
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: LintFinding[] }).findings, raw: r };
}

/** The requirement names a refusal or a lint run mentions for a rule: "critical_zero (approval_count)" → approval_count. */
export function requirementsNamed(text: string, rule = 'critical_zero'): string[] {
  return [...new Set([...text.matchAll(new RegExp(`${rule} \\((\\w+)\\)`, 'g'))].map((m) => m[1]!))].sort();
}

export function stateOf(dir: string, planId: string): string | undefined {
  const m = new RegExp(`^${planId}:\\s*\\{state:\\s*(\\w+)`, 'm').exec(read(dir, '.plan/state.yaml'));
  return m?.[1];
}

// ---------------------------------------------------------------------------------------------
// dates

/** YYYY-MM-DD, `days` from today (UTC); callers keep a day's margin for the config's time zone. */
export function isoDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** sha256 over every path, mode and content under `root`, .git included: equal means nothing was written. */
export function treeHash(root: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(rel === '' ? root : join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      const st = lstatSync(full);
      hash.update(`${path}\0${st.mode}\0`);
      if (st.isDirectory()) walk(path);
      else if (st.isSymbolicLink()) hash.update(readlinkSync(full));
      else hash.update(readFileSync(full));
      hash.update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}
