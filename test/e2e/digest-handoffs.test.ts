import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, removeRepo, runPlan, tempRepo, writeFiles } from '../helpers.js';

const ENV = { PLAN_KEY_PASSPHRASE: 'correct-horse-battery-staple' };
const STORY_MAP = '# alpha - Story Map\n\n## Epic: alpha\n\n### Backbone (User Activities)\n1. **Plan** → 2. **Ship**\n\n### Walking Skeleton (MVP)\n- First slice (ALPHA-001)\n';
const MANIFEST = '.plan/handoffs/alpha/0001/handoff_manifest.yaml';

let repo: string;
let keys: string;

function ok(args: string[]): string {
  const result = runPlan(repo, args, { env: ENV, timeout: 120_000 });
  expect(result.code, `plan ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

beforeAll(() => {
  repo = tempRepo('plan-digest-handoff-');
  keys = mkdtempSync(join(tmpdir(), 'plan-digest-keys-'));
  ok(['init']);
  ok(['new', 'alpha']);
  writeFiles(repo, { 'plans/alpha/story_map.md': STORY_MAP });
  ok(['keygen', '--id', 'alice', '--role', 'planning_lead', '--out', keys, '--bits', '2048']);
  ok(['keygen', '--id', 'bob', '--role', 'technical_reviewer', '--out', keys, '--bits', '2048']);
  commitAll(repo, 'init');
  ok(['transition', 'alpha', 'validate_complete', '--commit']);
  ok(['seal', 'alpha', '--key', join(keys, 'alice.key.pem'), '--commit']);
}, 180_000);

afterAll(() => {
  removeRepo(repo);
  removeRepo(keys);
});

describe('plan digest: handoffs sealed in the cycle, verified', () => {
  it('counts a handoff below the signature threshold as not verified, and as a critical issue', () => {
    const d = JSON.parse(ok(['digest', '--since', '2024-01-01', '--format', 'json']));
    expect(d.handoffs.total).toBe(1);
    expect(d.handoffs.verified).toBe(0);
    expect(d.handoffs.records[0]).toMatchObject({ plan: 'alpha', sequence: 1, manifest: MANIFEST, verified: false });
    expect(d.handoffs.records[0].problems.length).toBeGreaterThan(0);
    expect(d.kpis.find((k: { name: string }) => k.name === 'handoff_success_rate')).toMatchObject({ actual: 0, status: 'missed' });
    expect(d.critical_issues.map((i: { kind: string }) => i.kind)).toEqual(['handoff_unverified']);
    expect(d.gates.by_gate.map((g: { gate: string; passed: number }) => [g.gate, g.passed])).toEqual([
      ['cross_stream_consistency', 1],
      ['schema_lint', 1],
    ]);
  });

  it('counts it as verified once co-signed', () => {
    ok(['sign', MANIFEST, '--key', join(keys, 'bob.key.pem'), '--commit']);
    const d = JSON.parse(ok(['digest', '--since', '2024-01-01', '--format', 'json']));
    expect(d.handoffs.records[0]).toMatchObject({ verified: true, problems: [] });
    expect(d.kpis.find((k: { name: string }) => k.name === 'handoff_success_rate')).toMatchObject({ actual: 100, status: 'met' });
    expect(d.critical_issues).toEqual([]);
    const md = ok(['digest', '--since', '2024-01-01']);
    expect(md).toContain(`| ${MANIFEST} | alpha |`);
    expect(md).toContain('| ✅ yes |');
  });
});
