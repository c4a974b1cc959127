/**
 * Governance end to end (DESIGN §5, issue 5), through the built CLI in temporary git
 * repositories: Critical=0 enforced at validate_complete and at the seal, forged approvals
 * that do not count (and lint says why), conditions that cannot be trusted (exit 2), plan
 * approve, waivers, change freezes, documentation profiles, plan status, plan policy simulate
 * and plan policy test, and 20 concurrent approvers.
 *
 * The templates (keys included) are built once; each test works on its own copy.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, verify as cryptoVerify, createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, FIXTURES, git, writeFiles } from '../helpers.js';
import {
  approvalLines,
  approvalsFile,
  approve,
  buildTemplates,
  cleanup,
  completePayments,
  copyRepo,
  edit,
  EMERGENCY,
  isoDay,
  lineBy,
  lintJson,
  output,
  plan,
  planAsync,
  planOk,
  read,
  requirementsNamed,
  ROLLBACK,
  setCondition,
  stateOf,
  statementOf,
  tempDir,
  treeHash,
  writeApprovalLines,
  type Envelope,
  type Templates,
} from './governance-support.js';

const APPROVAL_TYPE = 'application/vnd.plan.approval.v1+json';
const REQUIREMENTS = ['approval_count', 'emergency_contact', 'review_board', 'rollback_plan'];

let t: Templates;

beforeAll(() => {
  t = buildTemplates();
}, 120_000);

afterAll(() => cleanup());

/** A story map with the sections the regulatory_standard profile asks for. */
function soxStoryMap(id: string, withRegulatorySections: boolean): string {
  const upper = id.toUpperCase();
  return `# ${id} - Story Map

## Epic: ${id}

### Backbone (User Activities)
1. **Plan** → 2. **Build** → 3. **Ship**

### Walking Skeleton (MVP)
- First working slice (${upper}-001)
${withRegulatorySections ? '\n### Risks\n- Ledger entries could be posted twice.\n\n### Rollback\n- Redeploy the previous release.\n' : ''}`;
}

/** rulebook/waivers.yaml with one waiver of critical_zero for payments. */
function writeWaiver(dir: string, expires: string, unquoted = false): void {
  const date = unquoted ? expires : `"${expires}"`;
  writeFiles(dir, {
    'rulebook/waivers.yaml': `version: "1.0.0"\nwaivers:\n  - rule: critical_zero\n    plan: payments\n    reason: Review board meets next week; go-ahead from the CTO.\n    approver: cto@example.com\n    expires: ${date}\n`,
  });
}

// ---------------------------------------------------------------------------------------------

describe('ACCEPTANCE: a criticality-0 plan needs three approvals (one review board), a rollback plan and an emergency contact', () => {
  it('a bare criticality-0 plan is refused at validate_complete, every missing requirement named', () => {
    const dir = copyRepo(t.base);
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(1);
    expect(requirementsNamed(output(r))).toEqual(REQUIREMENTS);
    expect(stateOf(dir, 'payments')).toBe('PLANNED');
    // the plain plan is not governed
    expect(plan(dir, ['transition', 'routine', 'validate_complete']).code).toBe(0);
  });

  it('with all of them it passes validate_complete and package_artifacts (the seal)', () => {
    const dir = copyRepo(t.approved);
    const lint = lintJson(dir);
    expect(lint.findings.filter((f) => f.rule.startsWith('governance/')), output(lint.raw)).toEqual([]);
    expect(lint.code).toBe(0);
    const v = plan(dir, ['transition', 'payments', 'validate_complete', '--commit']);
    expect(v.code, output(v)).toBe(0);
    expect(stateOf(dir, 'payments')).toBe('READY_FOR_HANDOFF');
    const s = plan(dir, ['seal', 'payments', '--key', t.keys.path.alice, '--commit']);
    expect(s.code, output(s)).toBe(0);
    expect(stateOf(dir, 'payments')).toBe('PACKAGED');
    expect(existsSync(join(dir, '.plan/handoffs/payments/0001/handoff_manifest.yaml'))).toBe(true);
  });

  describe('each missing piece alone blocks validate_complete (exit 1, the requirement named)', () => {
    const cases: Array<[string, string, (dir: string) => void]> = [
      ['two approvals', 'approval_count', (dir) => {
        const lines = approvalLines(dir, 'payments');
        lines.splice(lineBy(lines, t.keys.keyid.bob), 1);
        writeApprovalLines(dir, 'payments', lines);
      }],
      ['three approvals, none by the review board', 'review_board', (dir) => {
        const lines = approvalLines(dir, 'payments');
        lines.splice(lineBy(lines, t.keys.keyid.carol), 1);
        writeApprovalLines(dir, 'payments', lines);
        approve(dir, 'payments', t.keys, 'dave');
      }],
      ['no emergency contact', 'emergency_contact', (dir) => {
        edit(dir, 'plans/payments/plan.yaml', (s) => s.replace(EMERGENCY, ''));
        writeApprovalLines(dir, 'payments', []);
        approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
      }],
      ['no rollback plan named', 'rollback_plan', (dir) => {
        edit(dir, 'plans/payments/plan.yaml', (s) => s.replace(ROLLBACK, ''));
        writeApprovalLines(dir, 'payments', []);
        approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
      }],
      ['an empty rollback plan', 'rollback_plan', (dir) => {
        writeFiles(dir, { 'plans/payments/rollback.md': '' });
        writeApprovalLines(dir, 'payments', []);
        approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
      }],
    ];
    it.each(cases)('%s → %s', (_what, requirement, change) => {
      const dir = copyRepo(t.approved);
      change(dir);
      const r = plan(dir, ['transition', 'payments', 'validate_complete']);
      expect(r.code, output(r)).toBe(1);
      expect(requirementsNamed(output(r))).toEqual([requirement]);
      expect(stateOf(dir, 'payments')).toBe('PLANNED');
    });
  });

  describe('each missing piece alone blocks the seal (package_artifacts)', () => {
    // The seal refuses content changed since validate_complete, so a plan reaches
    // READY_FOR_HANDOFF with a piece missing only under a waiver, withdrawn before the seal;
    // approvals live outside the plan folder and can be withdrawn after validate_complete.
    let ready: string;
    beforeAll(() => {
      ready = copyRepo(t.approved);
      planOk(ready, ['transition', 'payments', 'validate_complete', '--commit']);
    });

    function viaWaiver(prepare: (dir: string) => void): string {
      const dir = copyRepo(t.base);
      prepare(dir);
      writeWaiver(dir, isoDay(30));
      commitAll(dir, 'payments, waived');
      planOk(dir, ['transition', 'payments', 'validate_complete', '--commit']);
      writeFiles(dir, { 'rulebook/waivers.yaml': 'version: "1.0.0"\nwaivers: []\n' });
      return dir;
    }

    const cases: Array<[string, string, () => string]> = [
      ['an approval withdrawn (two left)', 'approval_count', () => {
        const dir = copyRepo(ready);
        const lines = approvalLines(dir, 'payments');
        lines.splice(lineBy(lines, t.keys.keyid.bob), 1);
        writeApprovalLines(dir, 'payments', lines);
        return dir;
      }],
      ['the review board approval withdrawn, another key approving', 'review_board', () => {
        const dir = copyRepo(ready);
        const lines = approvalLines(dir, 'payments');
        lines.splice(lineBy(lines, t.keys.keyid.carol), 1);
        writeApprovalLines(dir, 'payments', lines);
        approve(dir, 'payments', t.keys, 'dave');
        return dir;
      }],
      ['no emergency contact (a waiver withdrawn)', 'emergency_contact', () =>
        viaWaiver((dir) => {
          completePayments(dir, { emergency: false });
          approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
        })],
      ['an empty rollback plan (a waiver withdrawn)', 'rollback_plan', () =>
        viaWaiver((dir) => {
          completePayments(dir, { rollbackFile: '' });
          approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
        })],
    ];
    it.each(cases)('%s → %s', (_what, requirement, setup) => {
      const dir = setup();
      commitAll(dir, 'change');
      const r = plan(dir, ['seal', 'payments', '--key', t.keys.path.alice, '--commit']);
      expect(r.code, output(r)).toBe(1);
      expect(requirementsNamed(output(r))).toEqual([requirement]);
      expect(stateOf(dir, 'payments')).toBe('READY_FOR_HANDOFF');
      expect(existsSync(join(dir, '.plan/handoffs/payments'))).toBe(false);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('ACCEPTANCE: forged approvals do not count, and plan lint says why', () => {
  /** lint's approval-invalid findings and the critical_zero approval_count message. */
  function verdict(dir: string) {
    const lint = lintJson(dir);
    expect(lint.code, output(lint.raw)).not.toBe(2);
    const invalid = lint.findings.filter((f) => f.rule === 'governance/approval-invalid');
    const count = lint.findings.find((f) => f.rule === 'governance/critical_zero' && f.message.includes('(approval_count)'));
    return { lint, invalid, count };
  }

  function expectBlocked(dir: string): void {
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(1);
    expect(requirementsNamed(output(r))).toContain('approval_count');
  }

  it('an edited line (one character of the payload changed)', () => {
    const dir = copyRepo(t.approved);
    const lines = approvalLines(dir, 'payments');
    const i = lineBy(lines, t.keys.keyid.bob);
    const envelope = JSON.parse(lines[i]!) as Envelope;
    const at = Math.floor(envelope.payload.length / 2);
    const c = envelope.payload[at]!;
    envelope.payload = envelope.payload.slice(0, at) + (c === 'A' ? 'B' : 'A') + envelope.payload.slice(at + 1);
    lines[i] = JSON.stringify(envelope);
    writeApprovalLines(dir, 'payments', lines);
    const { invalid, count } = verdict(dir);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.file).toBe(approvalsFile('payments'));
    expect(invalid[0]!.line).toBe(i + 1);
    expect(invalid[0]!.message).toMatch(/bob.*does not verify.*edited/);
    expect(count?.message).toMatch(/2 of 3/);
    expectBlocked(dir);
  });

  it('an edited line (a signature changed, or the payload re-encoded with another role)', () => {
    const dir = copyRepo(t.approved);
    const lines = approvalLines(dir, 'payments');
    const b = lineBy(lines, t.keys.keyid.bob);
    const bob = JSON.parse(lines[b]!) as Envelope;
    const sig = Buffer.from(bob.signatures[0]!.sig, 'base64');
    sig[sig.length >> 1] = sig[sig.length >> 1]! ^ 0x40;
    bob.signatures[0]!.sig = sig.toString('base64');
    lines[b] = JSON.stringify(bob);
    const a = lineBy(lines, t.keys.keyid.alice);
    const alice = JSON.parse(lines[a]!) as Envelope;
    const statement = statementOf(lines[a]!);
    alice.payload = Buffer.from(JSON.stringify({ ...statement, role: 'review_board' })).toString('base64');
    lines[a] = JSON.stringify(alice);
    writeApprovalLines(dir, 'payments', lines);
    const { invalid, count } = verdict(dir);
    expect(invalid.map((f) => f.line).sort()).toEqual([a + 1, b + 1].sort());
    expect(invalid.every((f) => /does not verify/.test(f.message))).toBe(true);
    expect(count?.message).toMatch(/1 of 3/);
    expectBlocked(dir);
  });

  it('a copied line (from another plan\'s approvals file)', () => {
    const dir = copyRepo(t.approved);
    approve(dir, 'routine', t.keys, 'dave');
    const copied = approvalLines(dir, 'routine')[0]!;
    const lines = approvalLines(dir, 'payments');
    lines.splice(lineBy(lines, t.keys.keyid.bob), 1);
    lines.push(copied);
    writeApprovalLines(dir, 'payments', lines);
    const { invalid, count } = verdict(dir);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.line).toBe(lines.length);
    expect(invalid[0]!.message).toMatch(/dave.*for plan routine.*copied/);
    expect(count?.message).toMatch(/2 of 3/);
    expectBlocked(dir);
  });

  it('an approval by a revoked key (plan keys revoke)', () => {
    const dir = copyRepo(t.approved);
    planOk(dir, ['keys', 'revoke', 'carol', '--reason', 'left the review board']);
    const { lint, invalid, count } = verdict(dir);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.message).toMatch(/carol was revoked.*left the review board/);
    expect(count?.message).toMatch(/2 of 3/);
    expect(lint.findings.some((f) => f.rule === 'governance/critical_zero' && f.message.includes('(review_board)'))).toBe(true);
    expectBlocked(dir);
  });

  it('an approval of older content (the plan edited after approving); approving again counts', () => {
    const dir = copyRepo(t.approved);
    edit(dir, 'plans/payments/rollback.md', (s) => `${s}\nAlso tell finance.\n`);
    const before = verdict(dir);
    expect(before.invalid).toHaveLength(3);
    expect(before.invalid.every((f) => /older content/.test(f.message))).toBe(true);
    expect(before.count?.message).toMatch(/0 of 3/);
    expectBlocked(dir);
    approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
    const after = verdict(dir);
    expect(after.count).toBeUndefined();
    expect(after.invalid).toHaveLength(3); // the stale lines are still reported
    expect(after.lint.code).toBe(0);
    expect(plan(dir, ['transition', 'payments', 'validate_complete']).code).toBe(0);
  });

  it('approvals bind to every file of the plan folder, attachments included: editing an attachment makes them stale', () => {
    const dir = copyRepo(t.base);
    completePayments(dir);
    writeFiles(dir, { 'plans/payments/diagram.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]), 'plans/payments/docs/runbook.txt': 'call the on-call\n' });
    approve(dir, 'payments', t.keys, 'alice', 'bob', 'carol');
    const fresh = verdict(dir);
    expect(fresh.invalid.map((f) => f.message)).toEqual([]);
    expect(fresh.count).toBeUndefined();
    writeFiles(dir, { 'plans/payments/diagram.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 5]) });
    const stale = verdict(dir);
    expect(stale.invalid).toHaveLength(3);
    expect(stale.invalid.every((f) => /older content/.test(f.message))).toBe(true);
    expect(stale.count?.message).toMatch(/0 of 3/);
  });

  it('an approval by a key that is not in the trust store, written by hand', () => {
    const dir = copyRepo(t.approved);
    const scratch = copyRepo(t.base);
    // mallory signs in a repository that trusts her, and the line is carried over
    cpSync(join(dir, '.plan/keys'), join(scratch, '.plan/keys'), { recursive: true });
    const r = plan(scratch, ['approve', 'payments', '--key', t.keys.path.mallory]);
    expect(r.code).toBe(1); // not trusted there either
    const lines = approvalLines(dir, 'payments');
    lines.splice(lineBy(lines, t.keys.keyid.carol), 1);
    // a line signed by carol's key id but made by copying bob's signature: neither counts
    const bob = JSON.parse(lines[lineBy(lines, t.keys.keyid.bob)]!) as Envelope;
    const impostor: Envelope = { ...bob, payload: Buffer.from(JSON.stringify({ ...statementOf(JSON.stringify(bob)), role: 'review_board' })).toString('base64'), signatures: [{ keyid: t.keys.keyid.carol, sig: bob.signatures[0]!.sig }] };
    lines.push(JSON.stringify(impostor));
    writeApprovalLines(dir, 'payments', lines);
    const { invalid, lint } = verdict(dir);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.message).toMatch(/carol.*does not verify/);
    expect(lint.findings.some((f) => f.message.includes('(review_board)'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ACCEPTANCE: a condition calling an unknown function or reaching outside its input is rejected with exit 2', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['calls an unknown function', 'foo(1)', 1],
    ['reads process.env', "process.env.HOME == ''", 1],
    ['reads env.HOME', "env.HOME == '/root'", 1],
    ['reads tags.__proto__', 'tags.__proto__ == 1', 6],
    ['reads a string constructor', "''.constructor == 1", 4],
    ['reads an unknown tag', 'tags.nope == 1', 6],
    ['reaches __proto__ through dyn()', "dyn(tags)['__proto__'] == 1", undefined],
  ];
  it.each(cases)('%s: %s', (_what, condition, column) => {
    const dir = copyRepo(t.base);
    setCondition(dir, 'critical_zero', condition);
    for (const args of [['lint'], ['transition', 'payments', 'validate_complete']]) {
      const r = plan(dir, args);
      expect(r.code, `plan ${args.join(' ')}: ${output(r)}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, `plan ${args.join(' ')}`).toHaveLength(1);
      expect(lines[0]).toContain('critical_zero');
      expect(lines[0]).toContain('rulebook/governance.yaml');
      if (column !== undefined) expect(lines[0]).toContain(`column ${column}`);
    }
    expect(stateOf(dir, 'payments')).toBe('PLANNED');
  });
});

// ---------------------------------------------------------------------------------------------

describe('plan approve', () => {
  it('--role that differs from the key\'s trust-store role → exit 2, nothing written', () => {
    const dir = copyRepo(t.base);
    const r = plan(dir, ['approve', 'payments', '--key', t.keys.path.alice, '--role', 'review_board']);
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr).toMatch(/planning_lead/);
    expect(approvalLines(dir, 'payments')).toEqual([]);
    expect(plan(dir, ['approve', 'payments', '--key', t.keys.path.carol, '--role', 'review_board']).code).toBe(0);
  });

  it('an untrusted key → exit 1, nothing written', () => {
    const dir = copyRepo(t.base);
    const r = plan(dir, ['approve', 'payments', '--key', t.keys.path.mallory]);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/not in the trust store/);
    expect(approvalLines(dir, 'payments')).toEqual([]);
  });

  it('a revoked key → exit 1', () => {
    const dir = copyRepo(t.base);
    planOk(dir, ['keys', 'revoke', 'bob', '--reason', 'lost']);
    const r = plan(dir, ['approve', 'payments', '--key', t.keys.path.bob]);
    expect(r.code, output(r)).toBe(1);
    expect(approvalLines(dir, 'payments')).toEqual([]);
  });

  it('an unknown plan → exit 2', () => {
    const dir = copyRepo(t.base);
    expect(plan(dir, ['approve', 'nope', '--key', t.keys.path.alice]).code).toBe(2);
  });

  it('approvals file lines are DSSE envelopes, signed over the PAE, bound to the plan content; the file merges as a union', () => {
    const dir = copyRepo(t.base);
    const r = planOk(dir, ['approve', 'payments', '--key', t.keys.path.carol, '--json']);
    const result = JSON.parse(r.stdout) as { contentSha256: string; approver: { id: string; role: string; keyid: string } };
    expect(result.approver).toEqual({ id: 'carol', role: 'review_board', keyid: t.keys.keyid.carol });
    const lines = approvalLines(dir, 'payments');
    expect(lines).toHaveLength(1);
    const envelope = JSON.parse(lines[0]!) as Envelope;
    expect(Object.keys(envelope).sort()).toEqual(['payload', 'payloadType', 'signatures']);
    expect(envelope.payloadType).toBe(APPROVAL_TYPE);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]!.keyid).toBe(t.keys.keyid.carol);
    const body = Buffer.from(envelope.payload, 'base64');
    const statement = JSON.parse(body.toString('utf8')) as Record<string, string>;
    expect(statement['plan']).toBe('payments');
    expect(statement['role']).toBe('review_board');
    expect(statement['approved_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(statement['content_sha256']).toBe(result.contentSha256);
    // the plan's content digest, computed here: sorted "path\0sha256(bytes)" lines of the plan folder
    const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
    const files = readdirSync(join(dir, 'plans/payments')).sort().map((f) => `plans/payments/${f}\0${sha(readFileSync(join(dir, 'plans/payments', f)))}`);
    expect(statement['content_sha256']).toBe(sha(files.join('\n')));
    // the signature verifies independently: RSA-PSS over DSSE's pre-authentication encoding
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${APPROVAL_TYPE.length} ${APPROVAL_TYPE} ${body.length} `), body]);
    const key = createPublicKey(read(dir, '.plan/keys/carol.pub.pem'));
    expect(cryptoVerify('sha256', pae, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(true);
    expect(git(dir, 'check-attr', 'merge', approvalsFile('payments')).trim()).toMatch(/merge: union$/);
  });

  it('approving twice with the same key counts once, and lint says so', () => {
    const dir = copyRepo(t.base);
    approve(dir, 'payments', t.keys, 'alice', 'alice');
    expect(approvalLines(dir, 'payments')).toHaveLength(2);
    const lint = lintJson(dir);
    const invalid = lint.findings.filter((f) => f.rule === 'governance/approval-invalid');
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.line).toBe(2);
    expect(invalid[0]!.message).toMatch(/alice already approved; a key counts once/);
    expect(lint.findings.find((f) => f.message.includes('(approval_count)'))?.message).toMatch(/1 of 3/);
  });

  it('--commit commits the approval alone', () => {
    const dir = copyRepo(t.base);
    planOk(dir, ['approve', 'payments', '--key', t.keys.path.bob, '--commit']);
    expect(git(dir, 'status', '--porcelain').trim()).toBe('');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe(approvalsFile('payments'));
  });
});

// ---------------------------------------------------------------------------------------------

describe('waivers (rulebook/waivers.yaml)', () => {
  it('a live waiver lets the transition through; lint reports the findings as warnings', () => {
    const dir = copyRepo(t.base);
    const expires = isoDay(30);
    writeWaiver(dir, expires);
    const lint = lintJson(dir);
    const governed = lint.findings.filter((f) => f.rule === 'governance/critical_zero');
    expect(governed).toHaveLength(4);
    expect(governed.every((f) => f.severity === 'warning' && f.message.includes(`waived until ${expires}`))).toBe(true);
    expect(lint.code, output(lint.raw)).toBe(0);
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(0);
    expect(stateOf(dir, 'payments')).toBe('READY_FOR_HANDOFF');
  });

  it('an expired waiver does not count, and lint reports governance/waiver-expired', () => {
    const dir = copyRepo(t.base);
    const expires = isoDay(-30);
    writeWaiver(dir, expires);
    const lint = lintJson(dir);
    expect(lint.code).toBe(1);
    const expired = lint.findings.filter((f) => f.rule === 'governance/waiver-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]!.message).toContain(expires);
    expect(lint.findings.filter((f) => f.rule === 'governance/critical_zero' && f.severity === 'error')).toHaveLength(4);
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(1);
    expect(requirementsNamed(output(r))).toEqual(REQUIREMENTS);
  });

  it('a waiver naming the rule as lint reports it (governance/critical_zero), as schemas/waivers.schema.json documents, counts too', () => {
    const dir = copyRepo(t.base);
    writeFiles(dir, {
      'rulebook/waivers.yaml': `version: "1.0.0"\nwaivers:\n  - rule: governance/critical_zero\n    plan: payments\n    reason: r\n    approver: cto@example.com\n    expires: "${isoDay(30)}"\n`,
    });
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(0);
  });

  it('a waiver with an unquoted date is kept as a date, not turned into something that never expires', () => {
    const dir = copyRepo(t.base);
    writeWaiver(dir, isoDay(-30), true);
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).not.toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('change freeze', () => {
  it('a window covering today blocks package_artifacts of a sox plan; other events and plans pass; after the window it passes', () => {
    const dir = copyRepo(t.base);
    planOk(dir, ['new', 'ledger', '--tag', 'compliance=sox']);
    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', true) });
    // Unsigned test commits would trip audit_trail: enhanced; this case is about the freeze alone.
    edit(dir, 'rulebook/governance.yaml', (s) => s.replace('      - audit_trail: enhanced\n', ''));
    const calendar = (from: string, to: string) => `version: "1.0.0"\nwindows:\n  - name: quarter close\n    from: "${from}"\n    to: "${to}"\n    transitions: [package_artifacts]\n    reason: books are closing\n`;
    writeFiles(dir, { 'rulebook/freeze_calendar.yaml': calendar(isoDay(-1), isoDay(1)) });
    commitAll(dir, 'ledger, freeze');

    // validate_complete is not frozen, for either plan
    planOk(dir, ['transition', 'ledger', 'validate_complete', '--commit']);
    planOk(dir, ['transition', 'routine', 'validate_complete', '--commit']);

    const status = plan(dir, ['status', 'ledger']);
    expect(status.stdout).toMatch(/compliance_sox \(change_freeze\)/);

    const frozen = plan(dir, ['seal', 'ledger', '--key', t.keys.path.alice, '--commit']);
    expect(frozen.code, output(frozen)).toBe(1);
    expect(requirementsNamed(output(frozen), 'compliance_sox')).toEqual(['change_freeze']);
    expect(output(frozen)).toContain('quarter close');
    expect(stateOf(dir, 'ledger')).toBe('READY_FOR_HANDOFF');

    // the freeze says nothing about content: lint does not report it
    expect(lintJson(dir).findings.filter((f) => f.message.includes('change_freeze'))).toEqual([]);

    // a plan outside the rule is packaged during the window
    const other = plan(dir, ['seal', 'routine', '--key', t.keys.path.alice, '--commit']);
    expect(other.code, output(other)).toBe(0);

    writeFiles(dir, { 'rulebook/freeze_calendar.yaml': calendar(isoDay(-20), isoDay(-10)) });
    commitAll(dir, 'freeze over');
    const after = plan(dir, ['seal', 'ledger', '--key', t.keys.path.alice, '--commit']);
    expect(after.code, output(after)).toBe(0);
    expect(stateOf(dir, 'ledger')).toBe('PACKAGED');
  });
});

// ---------------------------------------------------------------------------------------------

describe('documentation and audit trail of a sox plan', () => {
  it('a story map missing the Risks and Rollback sections is reported by lint; adding them clears it', () => {
    const dir = copyRepo(t.base);
    planOk(dir, ['new', 'ledger', '--tag', 'compliance=sox']);
    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', false) });
    const lint = lintJson(dir);
    const doc = lint.findings.filter((f) => f.rule === 'governance/compliance_sox' && f.message.includes('(documentation)'));
    expect(doc, output(lint.raw)).toHaveLength(1);
    expect(doc[0]!.severity).toBe('error');
    expect(doc[0]!.plan).toBe('ledger');
    expect(doc[0]!.message).toMatch(/Risks, Rollback/);
    expect(lint.code).toBe(1);

    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', true) });
    expect(lintJson(dir).findings.filter((f) => f.message.includes('(documentation)'))).toEqual([]);
  });

  it('audit_trail enhanced: unsigned commits of the event log are reported', () => {
    const dir = copyRepo(t.base);
    planOk(dir, ['new', 'ledger', '--tag', 'compliance=sox']);
    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', true) });
    commitAll(dir, 'ledger');
    const findings = lintJson(dir).findings.filter((f) => f.rule === 'governance/compliance_sox');
    expect(findings.map((f) => requirementsNamed(f.message, 'compliance_sox')).flat()).toEqual(['audit_trail']);
    expect(findings[0]!.message).toContain(git(dir, 'rev-parse', 'HEAD').trim().slice(0, 12));
  });
  it('audit_trail enhanced is met by signed commits (SSH signing, verified by git), and broken by an unsigned one', () => {
    const dir = copyRepo(t.base);
    const key = join(tempDir('plan-gov-ssh-'), 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tester', '-f', key]);
    writeFileSync(`${key}.allowed`, `tester@example.com ${readFileSync(`${key}.pub`, 'utf8')}`);
    git(dir, 'config', 'gpg.format', 'ssh');
    git(dir, 'config', 'user.signingkey', key);
    git(dir, 'config', 'gpg.ssh.allowedSignersFile', `${key}.allowed`);
    git(dir, 'config', 'commit.gpgsign', 'true');
    planOk(dir, ['new', 'ledger', '--tag', 'compliance=sox']);
    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', true) });
    commitAll(dir, 'ledger, signed');
    expect(git(dir, 'log', '-1', '--format=%G?').trim()).toBe('G');
    expect(lintJson(dir).findings.filter((f) => f.rule === 'governance/compliance_sox')).toEqual([]);

    git(dir, 'config', 'commit.gpgsign', 'false');
    planOk(dir, ['transition', 'ledger', 'update_plan', '--commit']);
    const unsigned = git(dir, 'rev-parse', 'HEAD').trim();
    const findings = lintJson(dir).findings.filter((f) => f.rule === 'governance/compliance_sox');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('(audit_trail)');
    expect(findings[0]!.message).toContain(unsigned.slice(0, 12));
  });
});

describe('invalid tag values', () => {
  it('a tag value governance.yaml does not allow is reported and blocks guarded transitions only', () => {
    const dir = copyRepo(t.base);
    edit(dir, 'plans/payments/plan.yaml', (s) => s.replace('criticality: 0', 'criticality: 7'));
    const lint = lintJson(dir);
    expect(lint.code).toBe(1);
    expect(lint.findings.some((f) => f.rule === 'governance/invalid-tags' && f.message.includes('criticality=7'))).toBe(true);
    const r = plan(dir, ['transition', 'payments', 'validate_complete']);
    expect(r.code, output(r)).toBe(1);
    expect(output(r)).toContain('criticality=7');
    expect(plan(dir, ['transition', 'payments', 'update_plan']).code).toBe(0);
    expect(plan(dir, ['new', 'other', '--tag', 'criticality=9']).code).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('plan status', () => {
  it('shows the missing governance requirements for the next event, in text and JSON', () => {
    const dir = copyRepo(t.base);
    const text = plan(dir, ['status', 'payments']);
    expect(text.code, output(text)).toBe(0);
    const after = text.stdout.slice(text.stdout.indexOf('validate_complete'));
    for (const requirement of REQUIREMENTS) expect(after).toContain(`critical_zero (${requirement})`);
    const json = JSON.parse(planOk(dir, ['status', 'payments', '--json']).stdout) as { plans: Array<{ plan: string; next: Array<{ event: string; ready?: boolean; governance?: string[] }> }> };
    const step = json.plans[0]!.next.find((n) => n.event === 'validate_complete')!;
    expect(step.ready).toBe(false);
    expect(requirementsNamed(step.governance!.join('\n'))).toEqual(REQUIREMENTS);
    expect(json.plans[0]!.next.find((n) => n.event === 'update_plan')!.governance).toBeUndefined();
  });

  it('shows nothing missing once the requirements are met', () => {
    const dir = copyRepo(t.approved);
    const json = JSON.parse(planOk(dir, ['status', 'payments', '--json']).stdout) as { plans: Array<{ next: Array<{ event: string; ready?: boolean; governance?: string[] }> }> };
    const step = json.plans[0]!.next.find((n) => n.event === 'validate_complete')!;
    expect(step.governance).toBeUndefined();
    expect(step.ready).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('plan policy simulate --rulebook DIR', () => {
  function candidate(dir: string, name: string, change: (text: string) => string): string {
    const path = join(dir, name);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'governance.yaml'), change(read(dir, 'rulebook/governance.yaml')));
    return name;
  }

  it('raising approval_count to 4 shows payments newly blocked (after 3 approvals), and writes nothing', () => {
    const dir = copyRepo(t.approved);
    const cand = candidate(dir, 'proposed', (s) => s.replace('approval_count: 3', 'approval_count: 4'));
    const before = treeHash(dir);
    const r = plan(dir, ['policy', 'simulate', '--rulebook', cand]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/payments\s+validate_complete.*newly blocked/);
    expect(r.stdout).toMatch(/3 of 4/);
    expect(r.stdout).not.toMatch(/routine\s+\w+.*(newly blocked|unblocked)/);
    const json = plan(dir, ['policy', 'simulate', '--rulebook', cand, '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { plansChecked: number; transitionsChecked: number; changes: Array<{ plan: string; event: string; change: string; current: string[]; candidate: string[] }> };
    expect(parsed.plansChecked).toBe(2);
    expect(parsed.changes.map((c) => [c.plan, c.event, c.change])).toEqual([['payments', 'validate_complete', 'newly blocked']]);
    expect(parsed.changes[0]!.current).toEqual([]);
    expect(parsed.changes[0]!.candidate.join('\n')).toMatch(/critical_zero \(approval_count\): 3 of 4/);
    expect(treeHash(dir)).toBe(before);
    // the rulebook in force is unchanged: the transition still passes
    expect(plan(dir, ['transition', 'payments', 'validate_complete', '--dry-run']).code).toBe(0);
  });

  it('removing critical_zero shows the blocked plan unblocked', () => {
    const dir = copyRepo(t.base);
    const cand = candidate(dir, 'proposed', (s) => {
      const start = s.indexOf('  critical_zero:');
      const end = s.indexOf('  compliance_sox:');
      return s.slice(0, start) + s.slice(end);
    });
    const before = treeHash(dir);
    const r = plan(dir, ['policy', 'simulate', '--rulebook', cand, '--json']);
    expect(r.code, output(r)).toBe(0);
    const parsed = JSON.parse(r.stdout) as { changes: Array<{ plan: string; event: string; change: string; current: string[]; candidate: string[] }> };
    expect(parsed.changes.map((c) => [c.plan, c.event, c.change])).toEqual([['payments', 'validate_complete', 'unblocked']]);
    expect(requirementsNamed(parsed.changes[0]!.current.join('\n'))).toEqual(REQUIREMENTS);
    expect(parsed.changes[0]!.candidate).toEqual([]);
    const text = plan(dir, ['policy', 'simulate', '--rulebook', cand]);
    expect(text.stdout).toMatch(/payments\s+validate_complete.*unblocked/);
    expect(treeHash(dir)).toBe(before);
  });

  it('a candidate folder may bring its own waivers.yaml: the waived plan shows unblocked', () => {
    const dir = copyRepo(t.base);
    const cand = candidate(dir, 'proposed', (s) => s);
    writeFiles(dir, { 'proposed/waivers.yaml': `version: "1.0.0"\nwaivers:\n  - rule: critical_zero\n    plan: payments\n    reason: r\n    approver: cto@example.com\n    expires: "${isoDay(30)}"\n` });
    const r = plan(dir, ['policy', 'simulate', '--rulebook', cand, '--json']);
    expect(r.code, output(r)).toBe(0);
    const parsed = JSON.parse(r.stdout) as { changes: Array<{ plan: string; event: string; change: string }> };
    expect(parsed.changes.map((c) => [c.plan, c.event, c.change])).toEqual([['payments', 'validate_complete', 'unblocked']]);
  });

  it('a candidate that adds audit_trail: enhanced shows the sox plan with unsigned event commits newly blocked', () => {
    const dir = copyRepo(t.base);
    const cand = candidate(dir, 'proposed', (s) => s); // the shipped rule, with audit_trail: enhanced
    edit(dir, 'rulebook/governance.yaml', (s) => s.replace('      - audit_trail: enhanced\n', ''));
    planOk(dir, ['new', 'ledger', '--tag', 'compliance=sox']);
    writeFiles(dir, { 'plans/ledger/story_map.md': soxStoryMap('ledger', true) });
    commitAll(dir, 'ledger, unsigned');
    planOk(dir, ['transition', 'ledger', 'validate_complete', '--commit']);
    const r = plan(dir, ['policy', 'simulate', '--rulebook', cand, '--json']);
    expect(r.code, output(r)).toBe(0);
    const parsed = JSON.parse(r.stdout) as { changes: Array<{ plan: string; event: string; change: string; candidate: string[] }> };
    // rolling the candidate out would block it: lint under the candidate says so
    cpSync(join(dir, cand, 'governance.yaml'), join(dir, 'rulebook/governance.yaml'));
    expect(lintJson(dir).findings.some((f) => f.plan === 'ledger' && f.message.includes('(audit_trail)'))).toBe(true);
    expect(plan(dir, ['seal', 'ledger', '--key', t.keys.path.alice]).code).toBe(1);
    expect(parsed.changes.map((c) => [c.plan, c.event, c.change])).toEqual([['ledger', 'package_artifacts', 'newly blocked']]);
    expect(parsed.changes[0]?.candidate.join('\n')).toMatch(/compliance_sox \(audit_trail\)/);
  });

  it('a broken candidate → exit 2 naming the rule; a folder without governance.yaml → exit 2', () => {
    const dir = copyRepo(t.approved);
    const cand = candidate(dir, 'broken', (s) => s.replace('condition: "tags.criticality == 0"', 'condition: "foo(1)"'));
    const bad = candidate(dir, 'notyaml', () => 'rules: [\n');
    mkdirSync(join(dir, 'empty'));
    const before = treeHash(dir);
    const r = plan(dir, ['policy', 'simulate', '--rulebook', cand]);
    expect(r.code, output(r)).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('critical_zero');
    expect(r.stderr).toContain('column 1');
    expect(plan(dir, ['policy', 'simulate', '--rulebook', bad]).code).toBe(2);
    expect(plan(dir, ['policy', 'simulate', '--rulebook', 'empty']).code).toBe(2);
    expect(treeHash(dir)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('plan policy test', () => {
  const fixtures = join(FIXTURES, 'governance', 'policy_tests');
  const count = readdirSync(fixtures).filter((f) => f.endsWith('.yaml')).length;

  it(`passing fixtures (allow and deny cases, expect_violations) exit 0 with "${count} passed, 0 failed"`, () => {
    const dir = copyRepo(t.base);
    cpSync(fixtures, join(dir, 'rulebook/policy_tests'), { recursive: true });
    const r = plan(dir, ['policy', 'test']);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain(`${count} passed, 0 failed`);
    const json = JSON.parse(planOk(dir, ['policy', 'test', '--json']).stdout) as { passed: number; failed: number; fixtures: Array<{ verdict: string }> };
    expect(json).toMatchObject({ passed: count, failed: 0 });
    expect(new Set(json.fixtures.map((f) => f.verdict))).toEqual(new Set(['allow', 'deny']));
  });

  it('a fixture with a wrong expectation exits 1 naming the mismatch', () => {
    const dir = copyRepo(t.base);
    cpSync(fixtures, join(dir, 'rulebook/policy_tests'), { recursive: true });
    cpSync(join(FIXTURES, 'governance', 'policy_tests_wrong'), join(dir, 'rulebook/policy_tests'), { recursive: true });
    const r = plan(dir, ['policy', 'test']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stdout).toContain(`${count} passed, 2 failed`);
    expect(r.stdout).toMatch(/wrongly expects two approvals to be enough[\s\S]*expected allow, got deny/);
    expect(r.stdout).toMatch(/expected violation critical_zero\/review_board, got critical_zero\/approval_count/);
  });

  it('--dir runs another folder; a fixture that breaks the schema is exit 2', () => {
    const dir = copyRepo(t.base);
    const r = plan(dir, ['policy', 'test', '--dir', join(FIXTURES, 'governance', 'policy_tests_wrong')]);
    expect(r.code, output(r)).toBe(1);
    expect(r.stdout).toContain('0 passed, 2 failed');
    writeFiles(dir, { 'rulebook/policy_tests/bad.yaml': 'name: no expectation\nplan: { id: x }\nexpect: maybe\n' });
    expect(plan(dir, ['policy', 'test']).code).toBe(2);
  });

  it('the fixtures follow the live rulebook: a candidate rule change makes the deny cases fail', () => {
    const dir = copyRepo(t.base);
    cpSync(fixtures, join(dir, 'rulebook/policy_tests'), { recursive: true });
    edit(dir, 'rulebook/governance.yaml', (s) => s.replace('approval_count: 3', 'approval_count: 2'));
    const r = plan(dir, ['policy', 'test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/two approvals are not enough[\s\S]*expected deny, got allow/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('concurrent approvers', () => {
  it('20 parallel plan approve processes with 4 keys lose no line, tear none, and lint counts 4 distinct approvers', async () => {
    const dir = copyRepo(t.base);
    completePayments(dir);
    // ask for five, so lint says how many distinct approvers it counted
    edit(dir, 'rulebook/governance.yaml', (s) => s.replace('approval_count: 3', 'approval_count: 5'));
    const names = ['alice', 'bob', 'carol', 'dave'] as const;
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => planAsync(dir, ['approve', 'payments', '--key', t.keys.path[names[i % 4]!]])));

    const lines = approvalLines(dir, 'payments');
    // whatever was written is whole lines of valid envelopes
    for (const line of lines) {
      const envelope = JSON.parse(line) as Envelope;
      expect(envelope.payloadType).toBe(APPROVAL_TYPE);
      expect(statementOf(line).plan).toBe('payments');
    }
    // every run that reported success left its line
    expect(lines.length).toBeGreaterThanOrEqual(runs.filter((r) => r.code === 0).length);
    const failures = runs.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr.trim().split('\n')[0]}`);
    expect({ exitCodes: runs.map((r) => r.code), lines: lines.length, failures: [...new Set(failures)] }).toEqual({ exitCodes: Array(20).fill(0), lines: 20, failures: [] });

    const perKey = new Map<string, number>();
    for (const line of lines) {
      const keyid = (JSON.parse(line) as Envelope).signatures[0]!.keyid;
      perKey.set(keyid, (perKey.get(keyid) ?? 0) + 1);
    }
    expect([...perKey.values()]).toEqual([5, 5, 5, 5]);

    const lint = lintJson(dir);
    expect(lint.findings.find((f) => f.message.includes('(approval_count)'))?.message).toMatch(/4 of 5 approvals/);
    const dup = lint.findings.filter((f) => f.rule === 'governance/approval-invalid');
    expect(dup).toHaveLength(16);
    expect(dup.every((f) => /already approved; a key counts once/.test(f.message))).toBe(true);
    expect(lint.findings.some((f) => f.message.includes('(review_board)'))).toBe(false);
  }, 60_000);
});
