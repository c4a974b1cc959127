/**
 * Attacks on sealed handoffs (DESIGN §6), one case per attack, in the style of the sigstore
 * conformance suite: cases that must be rejected are named `fails: ...`, the rest `passes: ...`.
 *
 * One template repository is built in beforeAll (keys generated once: alice planning_lead, bob
 * technical_reviewer, carol planning_lead in the trust store; mallory, made by plan keygen in
 * another repository, untrusted), sealed by alice and co-signed by bob. Each case copies it
 * (work tree and .git), applies its attack, and runs `plan verify --json` (or the command
 * under attack), asserting exit 1, the rule id and the words of the finding, and no crash.
 *
 * "Insider" cases hold real private keys and re-sign what they change (with node:crypto, not
 * the CLI), to reach the checks that run after signatures verify.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, FIXTURES, git, writeFiles } from '../helpers.js';
import { expectNoCrash } from './support.js';
import {
  buildTemplates,
  buildTwiceSealed,
  cleanup,
  copyRepo,
  copyTrustStore,
  edit,
  entryOf,
  expectRefused,
  expectRejected,
  expectVerifies,
  forgeManifest,
  initRepo,
  M1,
  overwrite,
  PASSPHRASE,
  plan,
  planOk,
  read,
  readBytes,
  readSignatures,
  S1,
  signatureEntry,
  signBytes,
  tempDir,
  verify,
  writeSignatures,
  type Templates,
} from './seal-support.js';

const OPENSSL_SCRIPT = join(FIXTURES, 'seal', 'verify-with-openssl.sh');

let t: Templates;
const pem = (id: string): string => readFileSync(t.keys.path[id]!, 'utf8');
const keyid = (id: string): string => t.keys.keyid[id]!;
const sealed = (): string => copyRepo(t.sealed);
const ready = (): string => copyRepo(t.ready);

/** Replaces the sig value of `id`'s entry in signatures.yaml. */
function mutateSig(dir: string, id: string, change: (sig: string) => string): void {
  const file = readSignatures(dir);
  const entry = entryOf(file, keyid(id));
  const sig = /^ {2}sig: "(.*)"$/m.exec(entry)![1]!;
  const changed = change(sig);
  expect(changed).not.toBe(sig);
  file.entries = file.entries.map((e) => (e === entry ? e.replace(sig, changed) : e));
  writeSignatures(dir, file);
}

function removeEntry(dir: string, id: string): void {
  const file = readSignatures(dir);
  const entry = entryOf(file, keyid(id));
  file.entries = file.entries.filter((e) => e !== entry);
  writeSignatures(dir, file);
}

/** The trust-store entry of `id` (its lines in keys.yaml). */
function trustEntry(dir: string, id: string): string {
  const m = new RegExp(`^ {2}- id: "${id}"\\n(?: {4}.*\\n)*`, 'm').exec(read(dir, '.plan/keys/keys.yaml'));
  if (!m) throw new Error(`no trust-store entry ${id}`);
  return m[0];
}

function appendTrustEntry(dir: string, entry: string): void {
  edit(dir, '.plan/keys/keys.yaml', (text) => text + entry);
}

function bash(cwd: string, script: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  t = buildTemplates();
}, 60_000);

afterAll(() => cleanup());

describe('the template', () => {
  it('passes: the untouched template verifies with --all --history', () => {
    const v = expectVerifies(sealed(), '--all', '--history');
    expect(v.json.reports).toHaveLength(1);
    expect(v.json.reports[0]!.signers.map((s) => `${s.id}:${s.role}`).sort()).toEqual(['alice:planning_lead', 'bob:technical_reviewer']);
  });

  it('passes: begin_execution once the handoff is co-signed', () => {
    const dir = sealed();
    const r = plan(dir, ['transition', 'alpha', 'begin_execution']);
    expectNoCrash(r);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('artifacts', () => {
  it('fails: an artifact byte changed after sealing (committed, plan PACKAGED)', () => {
    const dir = sealed();
    edit(dir, 'plans/alpha/be_backlog.yaml', (text) => text.replace('effort_points: 3', 'effort_points: 5'));
    commitAll(dir, 'change a sealed artifact');
    expectRejected(dir, [], 'verify/artifact', /changed/, /plans\/alpha\/be_backlog\.yaml/);
  });

  it('fails: an artifact added after sealing', () => {
    const dir = sealed();
    writeFiles(dir, { 'plans/alpha/extra.md': 'smuggled in\n' });
    commitAll(dir, 'add an artifact');
    expectRejected(dir, [], 'verify/artifact', /added/, /plans\/alpha\/extra\.md/);
  });

  it('fails: an artifact removed after sealing', () => {
    const dir = sealed();
    git(dir, 'rm', '-q', 'plans/alpha/story_map.md');
    commitAll(dir, 'remove an artifact');
    expectRejected(dir, [], 'verify/artifact', /missing/, /plans\/alpha\/story_map\.md/);
  });

  it('fails: an artifact renamed after sealing (git mv)', () => {
    const dir = sealed();
    git(dir, 'mv', 'plans/alpha/story_map.md', 'plans/alpha/story.md');
    commitAll(dir, 'rename an artifact');
    expectRejected(dir, [], 'verify/artifact', /renamed/, /story_map\.md/, /story\.md/);
  });
});

describe('the manifest', () => {
  it('fails: any manifest byte flipped (property, 25 positions)', () => {
    const dir = sealed();
    const original = readBytes(dir, M1);
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const flipped = Buffer.from(original);
        flipped[pos] = flipped[pos]! ^ mask;
        overwrite(dir, M1, flipped);
        try {
          const v = verify(dir); // asserts no crash and JSON output
          expect(v.run.code, `byte ${pos} ^ ${mask}: ${v.errors.join('; ')}`).toBe(1);
          expect(v.errors.some((e) => /^verify\/(unsigned|signature):/.test(e))).toBe(true);
        } finally {
          overwrite(dir, M1, original);
        }
      }),
      { numRuns: 25 },
    );
    expectVerifies(dir);
  }, 60_000);

  it('fails: signatures.yaml deleted', () => {
    const dir = sealed();
    rmSync(join(dir, S1));
    expectRejected(dir, [], 'verify/unsigned', /missing|no signature/);
  });

  it('fails: signatures.yaml replaced by a folder (never a crash)', () => {
    const dir = sealed();
    rmSync(join(dir, S1));
    mkdirSync(join(dir, S1));
    expectRejected(dir, [], 'verify/unsigned');
  });

  it('fails: handoff_manifest.yaml replaced by a folder (never a crash)', () => {
    const dir = sealed();
    rmSync(join(dir, M1), { force: true });
    mkdirSync(join(dir, M1));
    const v = verify(dir);
    expect(v.run.code).toBe(1);
    expect(v.errors.join('\n')).toMatch(/handoff_manifest\.yaml/);
  });
});

describe('signatures', () => {
  it('fails: a signature truncated', () => {
    const dir = sealed();
    mutateSig(dir, 'bob', (sig) => sig.slice(0, Math.floor(sig.length / 2)));
    expectRejected(dir, [], 'verify/signature', /bob/, /base64|does not verify/);
  });

  it('fails: a signature garbled (one base64 character changed)', () => {
    const dir = sealed();
    mutateSig(dir, 'bob', (sig) => `${sig.slice(0, 40)}${sig[40] === 'A' ? 'B' : 'A'}${sig.slice(41)}`);
    expectRejected(dir, [], 'verify/signature', /bob/, /does not verify/);
  });

  it('fails: a signature that is not base64 (a "*" inserted)', () => {
    const dir = sealed();
    mutateSig(dir, 'bob', (sig) => `${sig.slice(0, 20)}*${sig.slice(20)}`);
    expectRejected(dir, [], 'verify/signature', /bob/, /base64/);
  });

  it('fails: a duplicate signature (the same entry appended twice)', () => {
    const dir = sealed();
    const file = readSignatures(dir);
    file.entries.push(entryOf(file, keyid('bob')));
    writeSignatures(dir, file);
    expectRejected(dir, [], 'verify/duplicate-signature', /signed twice|counts once/);
  });

  it('fails: one key signing twice with two distinct valid signatures (alice, no bob)', () => {
    const dir = sealed();
    removeEntry(dir, 'bob');
    const { sig } = signBytes(pem('alice'), readBytes(dir, M1));
    const file = readSignatures(dir);
    file.entries.push(signatureEntry(keyid('alice'), 'planning_lead', sig));
    writeSignatures(dir, file);
    expectRejected(dir, [], 'verify/duplicate-signature', /counts once/);
    expectRejected(dir, [], 'verify/threshold', /1 of 2/);
  });

  it('fails: a valid signature by a key not in the trust store (mallory)', () => {
    const dir = sealed();
    const { keyid: id, sig } = signBytes(pem('mallory'), readBytes(dir, M1));
    const file = readSignatures(dir);
    file.entries.push(signatureEntry(id, 'technical_reviewer', sig));
    writeSignatures(dir, file);
    expectRejected(dir, [], 'verify/unknown-key', /not in the trust store/);
  });

  it('fails: a signer claiming a role it lacks (bob\'s entry says planning_lead)', () => {
    const dir = sealed();
    edit(dir, S1, (text) => text.replace('role: "technical_reviewer"', 'role: "planning_lead"'));
    expectRejected(dir, [], 'verify/role', /bob/, /planning_lead/);
  });
});

describe('the trust store', () => {
  it('fails: one key under two ids (bob duplicated as bob2)', () => {
    const dir = sealed();
    appendTrustEntry(dir, trustEntry(dir, 'bob').replace('id: "bob"', 'id: "bob2"'));
    expectRejected(dir, [], 'verify/duplicate-key', /2 ids/, /bob, bob2/);
  });

  it('fails: one key claiming two roles (bob duplicated as planning_lead)', () => {
    const dir = sealed();
    appendTrustEntry(dir, trustEntry(dir, 'bob').replace('id: "bob"', 'id: "bob-lead"').replace('role: "technical_reviewer"', 'role: "planning_lead"'));
    expectRejected(dir, [], 'verify/duplicate-key', /roles/, /planning_lead/, /technical_reviewer/);
  });

  it('fails: a key id that is not its key\'s fingerprint (bob\'s entry points at carol\'s public key)', () => {
    const dir = sealed();
    edit(dir, '.plan/keys/keys.yaml', (text) => text.replace('file: "bob.pub.pem"', 'file: "carol.pub.pem"'));
    expectRejected(dir, [], 'verify/trust-store', /bob/, /fingerprint/);
  });

  it('fails: a revoked key (plan keys revoke bob)', () => {
    const dir = sealed();
    planOk(dir, ['keys', 'revoke', 'bob', '--reason', 'laptop lost']);
    expectRejected(dir, [], 'verify/key', /bob/, /revoked/);
  });

  it('fails: a key past its validity (bob\'s valid_until in the past)', () => {
    const dir = sealed();
    edit(dir, '.plan/keys/keys.yaml', (text) => text.replace(trustEntry(dir, 'bob'), trustEntry(dir, 'bob').replace(/valid_until: "[^"]*"/, 'valid_until: "2020-01-01T00:00:00Z"')));
    expectRejected(dir, [], 'verify/key', /bob/, /expired/);
  });

  it('fails: a key not yet valid (bob\'s valid_from in the future)', () => {
    const dir = sealed();
    edit(dir, '.plan/keys/keys.yaml', (text) => text.replace(trustEntry(dir, 'bob'), trustEntry(dir, 'bob').replace(/valid_from: "[^"]*"/, 'valid_from: "2099-01-01T00:00:00Z"').replace(/valid_until: "[^"]*"/, 'valid_until: "2100-01-01T00:00:00Z"')));
    expectRejected(dir, [], 'verify/key', /bob/, /not valid before/);
  });

  it('fails: the trust store edited after sealing (a new key added with plan keygen)', () => {
    const dir = sealed();
    planOk(dir, ['keygen', '--id', 'dave', '--role', 'technical_reviewer', '--out', tempDir('plan-seal-dave-'), '--bits', '2048']);
    expectRejected(dir, [], 'verify/trust-store', /edited after sealing|differs/);
  });

  it.each([
    ['1024 bits', 'rsa_keygen_bits:1024', /1024|bits|too weak/],
    ['public exponent 3', 'rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3', /exponent|65537|too weak/],
  ])('fails: a weak trust-store key (%s) filling technical_reviewer', (_, opts, words) => {
    const dir = sealed();
    const keyDir = tempDir('plan-seal-weak-');
    const made = bash(dir, `openssl genpkey -algorithm RSA -pkeyopt ${opts} -out "${keyDir}/tiny.pem" 2>/dev/null && openssl pkey -in "${keyDir}/tiny.pem" -pubout -out .plan/keys/tiny.pub.pem && openssl pkey -pubin -in .plan/keys/tiny.pub.pem -outform DER | sha256sum | cut -d' ' -f1`);
    expect(made.code, made.stderr).toBe(0);
    const tinyId = made.stdout.trim();
    appendTrustEntry(dir, `  - id: "tiny"\n    keyid: "${tinyId}"\n    file: "tiny.pub.pem"\n    role: "technical_reviewer"\n    valid_from: "2020-01-01T00:00:00Z"\n    valid_until: "2099-01-01T00:00:00Z"\n    revoked: false\n`);
    // the weak key takes bob's place as the technical reviewer
    removeEntry(dir, 'bob');
    const { keyid: signed, sig } = signBytes(readFileSync(join(keyDir, 'tiny.pem'), 'utf8'), readBytes(dir, M1), undefined);
    expect(signed).toBe(tinyId);
    const file = readSignatures(dir);
    file.entries.push(signatureEntry(tinyId, 'technical_reviewer', sig));
    writeSignatures(dir, file);

    const v = verify(dir);
    expect(v.run.code).toBe(1);
    // not only "the trust store hash changed": the weak key itself is named and does not count
    expect(v.errors.some((e) => e.includes('tiny') && words.test(e)), `a finding naming the weak key tiny; got:\n${v.errors.join('\n')}`).toBe(true);
    expect(v.json.reports[0]!.signers.map((s) => s.id)).not.toContain('tiny');
  });
});

describe('threshold', () => {
  it('fails: threshold not met (bob\'s signature removed)', () => {
    const dir = sealed();
    removeEntry(dir, 'bob');
    expectRejected(dir, [], 'verify/threshold', /1 of 2/);
  });

  it('fails: two planning leads (carol co-signs, no technical_reviewer)', () => {
    const dir = sealed();
    removeEntry(dir, 'bob');
    planOk(dir, ['sign', M1, '--key', t.keys.path['carol']!]);
    expectRejected(dir, [], 'verify/threshold', /technical_reviewer/);
  });
});

describe('the chain', () => {
  it('fails: a rollback by copy (0002 is a byte copy of 0001)', () => {
    const dir = sealed();
    cpSync(join(dir, '.plan/handoffs/alpha/0001'), join(dir, '.plan/handoffs/alpha/0002'), { recursive: true });
    expectRejected(dir, ['--all'], 'verify/chain', /sequence 1/, /0002/);
    expectRejected(dir, ['--all'], 'verify/chain', /previous/);
  });

  it('fails: a gap in the sequence (folder 0001 renamed to 0002)', () => {
    const dir = sealed();
    renameSync(join(dir, '.plan/handoffs/alpha/0001'), join(dir, '.plan/handoffs/alpha/0002'));
    expectRejected(dir, ['--all'], 'verify/chain', /gap/);
  });

  it('fails: a manifest replayed into another plan (alpha/0001 copied to beta/0001)', () => {
    const dir = sealed();
    cpSync(join(dir, '.plan/handoffs/alpha/0001'), join(dir, '.plan/handoffs/beta/0001'), { recursive: true });
    expectRejected(dir, ['--all'], 'verify/replay', /alpha/, /beta/, /replayed/);
  });

  it('fails: the only manifest deleted while the event log records its seal', () => {
    const dir = sealed();
    rmSync(join(dir, '.plan/handoffs/alpha/0001'), { recursive: true });
    expectRejected(dir, ['--all'], ['verify/rollback', 'verify/missing'], /0001|handoff 1|removed|does not exist/);
  });

  describe('a plan sealed twice (0001, 0002; lifecycle with a rework transition)', () => {
    let twice: string;
    beforeAll(() => {
      twice = buildTwiceSealed(t);
    }, 60_000);

    it('passes: both manifests verify with --all --history', () => {
      const v = expectVerifies(copyRepo(twice), '--all', '--history');
      expect(v.json.reports.map((r) => r.sequence)).toEqual([1, 2]);
    });

    it('fails: a rollback to 0001 (the newest manifest deleted)', () => {
      const dir = copyRepo(twice);
      rmSync(join(dir, '.plan/handoffs/alpha/0002'), { recursive: true });
      expectRejected(dir, ['--all'], 'verify/rollback', /handoff 2/, /removed/);
    });

    it('fails: a rollback to 0001 committed (the newest manifest deleted in git)', () => {
      const dir = copyRepo(twice);
      git(dir, 'rm', '-rq', '.plan/handoffs/alpha/0002');
      commitAll(dir, 'roll back');
      expectRejected(dir, [], 'verify/rollback', /removed/);
      expectRejected(dir, ['--history'], 'verify/history', /deleted/, /0002/);
    });

    it('fails: 0002 replaced by a byte copy of 0001', () => {
      const dir = copyRepo(twice);
      rmSync(join(dir, '.plan/handoffs/alpha/0002'), { recursive: true });
      cpSync(join(dir, '.plan/handoffs/alpha/0001'), join(dir, '.plan/handoffs/alpha/0002'), { recursive: true });
      expectRejected(dir, ['--all'], 'verify/chain', /sequence 1/);
      expectRejected(dir, [], 'verify/replaced');
    });

    it('fails: 0001 and 0002 swapped', () => {
      const dir = copyRepo(twice);
      const h = join(dir, '.plan/handoffs/alpha');
      renameSync(join(h, '0001'), join(h, 'tmp'));
      renameSync(join(h, '0002'), join(h, '0001'));
      renameSync(join(h, 'tmp'), join(h, '0002'));
      expectRejected(dir, ['--all'], 'verify/chain', /sequence 2/, /0001/);
      expectRejected(dir, ['--all'], 'verify/chain', /sequence 1/, /0002/);
    });
  });
});

describe('hashes bound into the manifest', () => {
  it('fails: the rulebook edited after sealing (rulebook/gates.yaml, committed)', () => {
    const dir = sealed();
    edit(dir, 'rulebook/gates.yaml', (text) => `${text}# loosened after sealing\n`);
    commitAll(dir, 'edit the rulebook');
    expectRejected(dir, [], 'verify/rulebook', /rulebook/);
  });
});

describe('history (--history)', () => {
  it('fails: the manifest modified in a later commit, then restored', () => {
    const dir = sealed();
    const original = readBytes(dir, M1);
    edit(dir, M1, (text) => `${text}# tampered\n`);
    commitAll(dir, 'tamper');
    overwrite(dir, M1, original);
    commitAll(dir, 'cover the tracks');
    expectRejected(dir, ['--history'], 'verify/history', /modified/, /handoff_manifest\.yaml/);
    expectVerifies(dir); // the work tree alone looks fine
  });

  it('fails: signatures.yaml rewritten (not appended) in a commit', () => {
    const dir = sealed();
    edit(dir, S1, (text) => text.replace(/signed_at: "[^"]*"/, 'signed_at: "2020-01-01T00:00:00Z"'));
    commitAll(dir, 'rewrite a signature entry');
    expectRejected(dir, ['--history'], 'verify/history', /rewritten/, /signatures\.yaml/);
  });

  it('fails: the handoff folder renamed in a commit (0001 → 0002)', () => {
    const dir = sealed();
    git(dir, 'mv', '.plan/handoffs/alpha/0001', '.plan/handoffs/alpha/0002');
    commitAll(dir, 'renumber');
    expectRejected(dir, ['--all', '--history'], 'verify/history', /0001\/handoff_manifest\.yaml/, /deleted/);
    expectRejected(dir, ['--all', '--history'], 'verify/chain', /gap/);
  });
});

describe('paths and symbolic links', () => {
  it('fails: a symbolic link committed into the sealed plan (plans/alpha/link -> ../../etc/passwd)', () => {
    const dir = sealed();
    symlinkSync('../../etc/passwd', join(dir, 'plans/alpha/link'));
    commitAll(dir, 'add a link');
    expectRejected(dir, [], 'verify/artifact', /plans\/alpha\/link/, /symbolic link/);
    expectRejected(dir, [], 'verify/artifact', /plans\/alpha\/link/, /added/);
  });

  it('fails: plan seal on a plan that contains a symbolic link', () => {
    const dir = ready();
    symlinkSync('../../etc/passwd', join(dir, 'plans/alpha/link'));
    commitAll(dir, 'add a link');
    expectRefused(plan(dir, ['seal', 'alpha', '--key', t.keys.path['alice']!]), 1, /plans\/alpha\/link/, /symbolic link/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha/0001'))).toBe(false);
  });

  it('fails: a "plans/alpha/../../etc/passwd" checksum edited into the manifest (the signature breaks)', () => {
    const dir = sealed();
    edit(dir, M1, (text) => text.replace('checksums:\n', `checksums:\n  "plans/alpha/../../etc/passwd": "sha256:${'0'.repeat(64)}"\n`));
    const v = verify(dir);
    expect(v.run.code).toBe(1);
    expect(v.errors.some((e) => /^verify\/(unsigned|signature):/.test(e)), v.errors.join('\n')).toBe(true);
  });

  it.each(['plans/alpha/../../etc/passwd', '/etc/passwd'])('fails: insider re-signs a manifest whose checksums include %s', (path) => {
    const dir = sealed();
    const text = read(dir, M1).replace('checksums:\n', `checksums:\n  ${JSON.stringify(path)}: "sha256:${'0'.repeat(64)}"\n`);
    forgeManifest(dir, text, [
      { pem: pem('alice'), role: 'planning_lead' },
      { pem: pem('bob'), role: 'technical_reviewer' },
    ]);
    expectRejected(dir, [], 'verify/path', /leaves the repository/);
  });
});

describe('insiders (hold private keys and re-sign)', () => {
  /** alice seals alone, then rewrites her manifest to need only her own signature, before the commit. */
  function lowerThreshold(): string {
    const dir = ready();
    planOk(dir, ['seal', 'alpha', '--key', t.keys.path['alice']!]);
    const text = read(dir, M1).replace('required_signatures: 2', 'required_signatures: 1').replace('required_roles: ["planning_lead", "technical_reviewer"]', 'required_roles: ["planning_lead"]');
    expect(text).toContain('required_signatures: 1');
    expect(text).toContain('required_roles: ["planning_lead"]\n');
    forgeManifest(dir, text, [{ pem: pem('alice'), role: 'planning_lead' }]);
    commitAll(dir, 'plan: alpha package_artifacts');
    return dir;
  }

  it('fails: a manifest that lowers its own threshold (alice alone; sealing.yaml requires 2 and a technical_reviewer)', () => {
    expectRejected(lowerThreshold(), ['--all', '--history'], 'verify/threshold');
  });

  it('fails: begin_execution on a manifest that lowers its own threshold', () => {
    const dir = lowerThreshold();
    expectRefused(plan(dir, ['transition', 'alpha', 'begin_execution']), 1, /required signatures|threshold|technical_reviewer/);
  });

  it.each([
    ['a duplicate key', (m: string) => m.replace('tool: ', 'plan_id: "alpha"\ntool: ')],
    ['an alias', (m: string) => m.replace(/^created_at: /m, 'created_at: &when ').replace('tool: ', 'sealed_at: *when\ntool: ')],
    ['a second document', (m: string) => `${m}---\nplan_id: "beta"\n`],
    ['a custom tag', (m: string) => m.replace('tool: "', 'tool: !custom "')],
  ])('fails: a re-signed manifest with %s is refused by the strict parser', (_, change) => {
    const dir = sealed();
    const text = change(read(dir, M1));
    expect(text).not.toBe(read(dir, M1));
    forgeManifest(dir, text, [
      { pem: pem('alice'), role: 'planning_lead' },
      { pem: pem('bob'), role: 'technical_reviewer' },
    ]);
    expectRejected(dir, [], 'verify/manifest');
  });
});

describe('CRLF work trees (eol=crlf)', () => {
  let origin: string;
  let clone: string;
  beforeAll(() => {
    origin = initRepo('plan-seal-crlf-', (d) => {
      copyTrustStore(t.sealed, d);
      edit(d, '.gitattributes', (text) => `${text}*.yaml text eol=crlf\n*.md text eol=crlf\n`);
    });
    commitAll(origin, 'init');
    planOk(origin, ['transition', 'alpha', 'validate_complete', '--commit']);
    planOk(origin, ['seal', 'alpha', '--key', t.keys.path['alice']!, '--commit']);
    planOk(origin, ['sign', M1, '--key', t.keys.path['bob']!, '--commit']);
    clone = tempDir('plan-seal-crlf-clone-');
    rmSync(clone, { recursive: true });
    git(origin, '-c', 'core.autocrlf=false', 'clone', '-q', origin, clone);
    git(clone, 'config', 'core.autocrlf', 'false');
  }, 60_000);

  it('passes: the sealing repository verifies', () => {
    expectVerifies(origin, '--all', '--history');
  });

  it('passes: a fresh clone whose work tree has CRLF files verifies (checksums are of git blobs)', () => {
    expect(read(clone, 'plans/alpha/plan.yaml')).toContain('\r\n');
    expect(read(clone, 'rulebook/gates.yaml')).toContain('\r\n');
    expectVerifies(clone, '--all', '--history');
  });

  it('passes: git cat-file blob REV:path | sha256sum equals each checksum of the manifest', () => {
    const manifest = git(clone, 'cat-file', 'blob', `HEAD:${M1}`);
    const rev = /^snapshot_rev: "git:([0-9a-f]+)"$/m.exec(manifest)![1]!;
    const sums = [...manifest.matchAll(/^ {2}"(.*)": "sha256:([0-9a-f]{64})"$/gm)];
    expect(sums.length).toBe(3);
    for (const [, path, sum] of sums) {
      const r = bash(clone, `git cat-file blob "${rev}:${path}" | sha256sum | cut -d' ' -f1`);
      expect(r.stdout.trim(), path).toBe(sum);
      // and the CRLF work-tree file is not what was sealed
      expect(bash(clone, `sha256sum < "${path}" | cut -d' ' -f1`).stdout.trim()).not.toBe(sum);
    }
  });
});

describe('checking a seal with openssl and git, without plan', () => {
  it('passes: test/fixtures/seal/verify-with-openssl.sh prints "Verified OK" for both signatures and "OK" for each artifact', () => {
    const dir = sealed();
    const r = spawnSync('bash', [OPENSSL_SCRIPT], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/^Verified OK$/gm)).toHaveLength(2);
    for (const path of ['plans/alpha/be_backlog.yaml', 'plans/alpha/plan.yaml', 'plans/alpha/story_map.md']) expect(r.stdout).toContain(`OK  ${path}\n`);
    expect(r.stdout).not.toContain('BAD');
    expect(r.stdout).toContain(`key alice.pub.pem: ${keyid('alice')}`);
    expect(r.stdout).toContain(`key bob.pub.pem: ${keyid('bob')}`);
  });

  it('fails: a manifest byte flipped: openssl prints "Verification failure" and plan verify exits 1', () => {
    const dir = sealed();
    edit(dir, M1, (text) => text.replace('id: "hnd_', 'id: "hnx_'));
    const r = spawnSync('bash', [OPENSSL_SCRIPT], { cwd: dir, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.match(/Verification failure/g)).toHaveLength(2);
    expect(r.stdout).not.toMatch(/^Verified OK$/m);
    const v = verify(dir);
    expect(v.run.code).toBe(1);
  });
});

describe('keys', () => {
  it('passes: the private key is encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256 600000, AES-256-CBC) that openssl pkey reads', () => {
    const key = t.keys.path['alice']!;
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const ok = bash(t.keys.dir, `openssl pkey -in "${key}" -passin env:PLAN_KEY_PASSPHRASE -noout`, { PLAN_KEY_PASSPHRASE: PASSPHRASE });
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = bash(t.keys.dir, `openssl pkey -in "${key}" -passin env:PLAN_KEY_PASSPHRASE -noout`, { PLAN_KEY_PASSPHRASE: 'not-the-passphrase' });
    expect(wrong.code).not.toBe(0);
    const asn1 = bash(t.keys.dir, `openssl asn1parse -in "${key}"`).stdout;
    for (const word of [':PBES2', ':PBKDF2', ':hmacWithSHA256', ':aes-256-cbc', 'INTEGER           :0927C0']) expect(asn1).toContain(word);
  });

  it.each(['alice', 'bob', 'carol'])('passes: the key id keygen printed for %s is openssl pkey -pubin -outform DER | sha256sum', (id) => {
    const r = bash(t.sealed, `openssl pkey -pubin -in .plan/keys/${id}.pub.pem -outform DER | sha256sum | cut -d' ' -f1`);
    expect(r.stdout.trim()).toBe(keyid(id));
    expect(read(t.sealed, '.plan/keys/keys.yaml')).toContain(`keyid: "${keyid(id)}"`);
  });

  it('fails: keygen --bits 1024 (exit 2)', () => {
    const dir = ready();
    const out = tempDir('plan-seal-out-');
    expectRefused(plan(dir, ['keygen', '--id', 'small', '--role', 'planning_lead', '--bits', '1024', '--out', out]), 2, /1024/);
    expect(existsSync(join(out, 'small.key.pem'))).toBe(false);
    expect(read(dir, '.plan/keys/keys.yaml')).not.toContain('small');
  });

  it('fails: keygen --out inside the repository (exit 2)', () => {
    const dir = ready();
    expectRefused(plan(dir, ['keygen', '--id', 'leaky', '--role', 'planning_lead', '--bits', '2048', '--out', 'secrets']), 2, /inside the repository/);
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
    expect(read(dir, '.plan/keys/keys.yaml')).not.toContain('leaky');
  });

  it('fails: plan seal with the wrong passphrase (exit 2)', () => {
    const dir = ready();
    expectRefused(plan(dir, ['seal', 'alpha', '--key', t.keys.path['alice']!], { PLAN_KEY_PASSPHRASE: 'wrong-passphrase' }), 2, /passphrase/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha'))).toBe(false);
  });

  it('fails: plan seal with an unencrypted private key (exit 2)', () => {
    const dir = ready();
    const plain = join(tempDir('plan-seal-plain-'), 'alice.plain.pem');
    const r = bash(dir, `openssl pkey -in "${t.keys.path['alice']}" -passin env:PLAN_KEY_PASSPHRASE -out "${plain}"`, { PLAN_KEY_PASSPHRASE: PASSPHRASE });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(plain, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expectRefused(plan(dir, ['seal', 'alpha', '--key', plain]), 2, /encrypted/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha'))).toBe(false);
  });
});

describe('seal and sign refusals', () => {
  it('fails: signing twice with the same key', () => {
    const dir = sealed();
    const before = read(dir, S1);
    expectRefused(plan(dir, ['sign', M1, '--key', t.keys.path['bob']!]), 1, /already signed/);
    expect(read(dir, S1)).toBe(before);
  });

  it('fails: signing with a key not in the trust store (mallory)', () => {
    const dir = sealed();
    const before = read(dir, S1);
    expectRefused(plan(dir, ['sign', M1, '--key', t.keys.path['mallory']!]), 1, /not in the trust store/);
    expect(read(dir, S1)).toBe(before);
  });

  it('fails: sealing with a key not in the trust store (mallory)', () => {
    const dir = ready();
    expectRefused(plan(dir, ['seal', 'alpha', '--key', t.keys.path['mallory']!]), 1, /not in the trust store/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha'))).toBe(false);
  });

  it('fails: plan seal with uncommitted changes in the plan', () => {
    const dir = ready();
    edit(dir, 'plans/alpha/plan.yaml', (text) => `${text}# not committed\n`);
    expectRefused(plan(dir, ['seal', 'alpha', '--key', t.keys.path['alice']!]), 1, /commit/, /plans\/alpha\/plan\.yaml/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha'))).toBe(false);
  });

  it('fails: plan seal from PLANNED', () => {
    const dir = ready();
    planOk(dir, ['new', 'beta']);
    commitAll(dir, 'beta');
    expectRefused(plan(dir, ['seal', 'beta', '--key', t.keys.path['alice']!]), 1, /PLANNED/);
    expect(existsSync(join(dir, '.plan/handoffs/beta'))).toBe(false);
  });

  it('fails: plan transition package_artifacts (sealing goes through plan seal)', () => {
    const dir = ready();
    expectRefused(plan(dir, ['transition', 'alpha', 'package_artifacts']), 1, /plan seal/);
    expect(existsSync(join(dir, '.plan/handoffs/alpha'))).toBe(false);
  });

  it('fails: begin_execution before the co-signature', () => {
    const dir = ready();
    planOk(dir, ['seal', 'alpha', '--key', t.keys.path['alice']!, '--commit']);
    expectRefused(plan(dir, ['transition', 'alpha', 'begin_execution']), 1, /required signatures|threshold/, /technical_reviewer/);
  });
});
