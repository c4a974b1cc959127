/**
 * Governance's pure core (DESIGN §5, issue 5), without git or a disk: governance.yaml compiled
 * (CEL conditions parsed and type-checked, requirements known), tags with defaults, the verdict
 * on one plan (which rules apply, what blocks a transition, waivers, change freezes, documentation
 * profiles), and the approvals tally over real RSA keys made here with node:crypto.
 */
import { constants, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APPROVAL_TYPE, envelopeLine, planContentDigest, statementBytes, tallyApprovals, type ApprovalStatement, type ApprovalTally } from '../../src/core/approvals.js';
import { DEFAULT_CONFIG, taskIdRegex } from '../../src/core/config.js';
import { ConfigError, EXIT_CANNOT_RUN } from '../../src/core/errors.js';
import { compileGovernance, effectiveTags, evaluatePlan, type Governance, type Waiver } from '../../src/core/governance.js';
import { parseStoryMap } from '../../src/core/parse/storymap.js';
import { REQUIREMENTS, type FreezeWindow, type RequirementContext } from '../../src/core/requirements/index.js';
import { pae } from '../../src/core/seal.js';
import { fingerprint, type TrustedKey, type TrustStore } from '../../src/core/trust.js';
import { PROJECT_ROOT } from '../helpers.js';

const FILE = 'rulebook/governance.yaml';
const SHIPPED_RAW = parse(readFileSync(join(PROJECT_ROOT, FILE), 'utf8')) as Record<string, any>;
const shippedRaw = (): Record<string, any> => structuredClone(SHIPPED_RAW);
const shipped = (): Governance => compileGovernance(shippedRaw(), FILE);

/** The shipped rulebook with critical_zero's condition replaced. */
function withCondition(condition: string): Record<string, any> {
  const raw = shippedRaw();
  raw['rules']['critical_zero'].condition = condition;
  return raw;
}

/** What compileGovernance threw, or undefined. */
function compileError(raw: unknown): ConfigError | undefined {
  try {
    compileGovernance(raw, FILE);
    return undefined;
  } catch (error) {
    return error as ConfigError;
  }
}

const TODAY = '2026-03-10';
const STORY_MAP_FULL = `# sox - Story Map

## Epic: sox

### Backbone (User Activities)
1. **Plan** → 2. **Build**

### Walking Skeleton (MVP)
- First slice (SOX-001)

### Risks
- The ledger may double-post.

### Rollback
- Revert the release.
`;
const STORY_MAP_BARE = `# sox - Story Map

## Epic: sox

### Backbone (User Activities)
1. **Plan** → 2. **Build**

### Walking Skeleton (MVP)
- First slice (SOX-001)
`;

function approvalsBy(...roles: string[]): ApprovalTally {
  return { valid: roles.map((role, i) => ({ keyid: `k${i}`, id: `approver${i}`, role, approved_at: '2026-03-01T00:00:00Z', line: i + 1 })), rejected: [] };
}

/** A requirement context for plan `payments`; meta.tags from `tags`. */
function context(governance: Governance, over: Partial<RequirementContext> & { tags?: Record<string, unknown> } = {}): RequirementContext {
  const { tags, ...rest } = over;
  return {
    plan: 'payments',
    meta: { id: 'payments', title: 'Payments', tags: tags ?? {} },
    files: new Map(),
    planDir: 'plans/payments',
    approvals: approvalsBy(),
    today: TODAY,
    freezeWindows: [],
    documentationProfiles: governance.documentationProfiles,
    unsignedEventCommits: [],
    ...rest,
  };
}

/** A criticality-0 plan that meets every critical_zero requirement. */
function criticalComplete(governance: Governance, over: Partial<RequirementContext> = {}): RequirementContext {
  return context(governance, {
    meta: { id: 'payments', tags: { criticality: 0 }, emergency_contact: 'oncall@example.com', rollback_plan: 'rollback.md' },
    files: new Map([['plans/payments/rollback.md', 42]]),
    approvals: approvalsBy('planning_lead', 'technical_reviewer', 'review_board'),
    ...over,
  });
}

/** A sox plan with the documentation auditors want and no unsigned event commits. */
function soxPlan(governance: Governance, over: Partial<RequirementContext> = {}): RequirementContext {
  return context(governance, {
    plan: 'ledger',
    meta: { id: 'ledger', tags: { compliance: 'sox' } },
    planDir: 'plans/ledger',
    storyMap: parseStoryMap(STORY_MAP_FULL, taskIdRegex(DEFAULT_CONFIG)),
    ...over,
  });
}

const blockingOf = (v: ReturnType<typeof evaluatePlan>) => v.blocking.map((b) => `${b.rule}/${b.requirement}`).sort();
const violationsOf = (v: ReturnType<typeof evaluatePlan>) => v.violations.map((b) => `${b.rule}/${b.requirement}`).sort();

// ---------------------------------------------------------------------------------------------

describe('compileGovernance: the shipped rulebook', () => {
  it('compiles, with the Critical=0 and SOX rules, their guards and requirements', () => {
    const g = shipped();
    expect(g.tags.map((t) => t.name)).toEqual(['compliance', 'criticality', 'data_classification']);
    expect(g.rules.map((r) => r.name)).toEqual(['critical_zero', 'compliance_sox']);
    const critical = g.rules.find((r) => r.name === 'critical_zero')!;
    expect(critical.severity).toBe('error');
    expect(critical.guards).toEqual(['validate_complete', 'package_artifacts']);
    expect(critical.requirements).toEqual([
      { name: 'approval_count', value: 3 },
      { name: 'review_board', value: true },
      { name: 'emergency_contact', value: 'required' },
      { name: 'rollback_plan', value: 'mandatory' },
    ]);
    const sox = g.rules.find((r) => r.name === 'compliance_sox')!;
    expect(sox.requirements.map((r) => r.name)).toEqual(['audit_trail', 'change_freeze', 'documentation']);
    expect(g.documentationProfiles['regulatory_standard']?.story_map_sections).toEqual(['Backbone', 'Walking Skeleton', 'Risks', 'Rollback']);
  });

  it('every requirement the rulebook names is registered, each in the one list', () => {
    expect([...REQUIREMENTS.keys()].sort()).toEqual(['approval_count', 'audit_trail', 'change_freeze', 'documentation', 'emergency_contact', 'review_board', 'rollback_plan']);
  });

  it('conditions are pure functions of the input: the same tags give the same answer', () => {
    const critical = shipped().rules[0]!;
    const plan = { id: 'p', title: '', owner: '', stream: '' };
    expect(critical.matches({ tags: { criticality: 0n, compliance: 'none', data_classification: 'internal' }, plan })).toBe(true);
    expect(critical.matches({ tags: { criticality: 1n, compliance: 'none', data_classification: 'internal' }, plan })).toBe(false);
    expect(critical.matches({ tags: { criticality: 0n, compliance: 'none', data_classification: 'internal' }, plan })).toBe(true);
  });

  it('conditions may read the plan identity and use CEL operators', () => {
    const g = compileGovernance(withCondition("plan.id.startsWith('pay') && tags.criticality <= 1 && tags.compliance in ['sox', 'none']"), FILE);
    const critical = g.rules.find((r) => r.name === 'critical_zero')!;
    expect(critical.matches({ tags: { criticality: 1n, compliance: 'none', data_classification: 'internal' }, plan: { id: 'payments', title: '', owner: '', stream: '' } })).toBe(true);
    expect(critical.matches({ tags: { criticality: 1n, compliance: 'none', data_classification: 'internal' }, plan: { id: 'routine', title: '', owner: '', stream: '' } })).toBe(false);
  });
});

describe('compileGovernance: conditions that cannot be trusted are config errors', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['does not parse', 'tags.criticality ==', 20],
    ['does not parse (unbalanced)', '(tags.criticality == 0', undefined],
    ['calls an unknown function', 'foo(1)', 1],
    ['calls an unknown function after a valid part', 'tags.criticality == 0 && foo(1)', 26],
    ['calls a clock function', 'now() > 0', 1],
    ['reads an unknown tag', 'tags.nope == 1', 6],
    ['reads process.env', 'process.env.HOME == ""', 1],
    ['reads env.HOME', 'env.HOME == "x"', 1],
    ['reads a bare __proto__', '__proto__ == 1', 1],
    ['reads tags.__proto__', 'tags.__proto__ == 1', 6],
    ['indexes tags["__proto__"]', 'tags["__proto__"] == 1', undefined],
    ['reads tags.constructor', 'tags.constructor.name == "Object"', 6],
    ['reads plan.constructor', 'plan.constructor == 1', 6],
    ['reads a string constructor', '"".constructor == 1', 4],
    ['compares a string tag with a number', 'tags.compliance == 1', undefined],
    ['yields a number, not a bool', 'tags.criticality', undefined],
  ];
  it.each(cases)('%s: %s', (_what, condition, column) => {
    const error = compileError(withCondition(condition));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.exitCode).toBe(EXIT_CANNOT_RUN);
    expect(error!.message).toContain('rule critical_zero');
    expect(error!.message).toContain(condition);
    expect(error!.oneLine).not.toContain('\n');
    expect(error!.location.file).toBe(FILE);
    if (column !== undefined) expect(error!.message).toContain(`(column ${column})`);
  });

  it('names the failing rule, not the first one', () => {
    const raw = shippedRaw();
    raw['rules']['compliance_sox'].condition = 'tags.compliance == sox';
    const error = compileError(raw);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('rule compliance_sox');
  });

  it('an unknown requirement name is a config error naming the rule and the requirement', () => {
    const raw = shippedRaw();
    raw['rules']['critical_zero'].requirements.push({ approvals_by_ceo: 1 });
    const error = compileError(raw);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.exitCode).toBe(EXIT_CANNOT_RUN);
    expect(error!.message).toContain('rule critical_zero');
    expect(error!.message).toContain('approvals_by_ceo');
  });

  it('an inherited property name is not a requirement either', () => {
    const raw = shippedRaw();
    raw['rules']['critical_zero'].requirements = [{ constructor: 1 }];
    expect(compileError(raw)).toBeInstanceOf(ConfigError);
    raw['rules']['critical_zero'].requirements = [JSON.parse('{"__proto__": 1}')];
    expect(compileError(raw)).toBeInstanceOf(ConfigError);
  });

  it('a condition that type-checks through dyn() but fails when evaluated is a config error naming the rule, not a crash', () => {
    // dyn() turns off the type checker; the sandbox still holds (no prototype is reached), but the
    // failure must surface as a ConfigError naming the rule, like every other bad condition.
    for (const condition of ["dyn(tags)['__proto__'] == 1", 'dyn(tags).nope == 1', 'dyn("").constructor == 1']) {
      let error: unknown;
      try {
        const g = compileGovernance(withCondition(condition), FILE);
        evaluatePlan(g, context(g, { tags: { criticality: 0 } }), []);
      } catch (e) {
        error = e;
      }
      expect(error, condition).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message, condition).toContain('critical_zero');
    }
  });
});

describe('effectiveTags', () => {
  const tags = () => shipped().tags;

  it('fills every default when the plan sets no tags, integers as CEL ints', () => {
    expect(effectiveTags({}, tags())).toEqual({ values: { compliance: 'none', criticality: 2n, data_classification: 'internal' }, invalid: [] });
    expect(effectiveTags(undefined, tags())).toEqual({ values: { compliance: 'none', criticality: 2n, data_classification: 'internal' }, invalid: [] });
  });

  it('keeps given values and fills the rest', () => {
    expect(effectiveTags({ tags: { criticality: 0 } }, tags())).toEqual({ values: { compliance: 'none', criticality: 0n, data_classification: 'internal' }, invalid: [] });
    expect(effectiveTags({ tags: { compliance: 'sox', data_classification: 'restricted' } }, tags()).values).toEqual({ compliance: 'sox', criticality: 2n, data_classification: 'restricted' });
  });

  it('flags values outside the allowed ones instead of replacing them by the default', () => {
    const r = effectiveTags({ tags: { criticality: 7, compliance: 'SOX' } }, tags());
    expect(r.invalid.sort()).toEqual(['compliance="SOX"', 'criticality=7']);
    expect(r.values['criticality']).toBeUndefined();
    expect(r.values['compliance']).toBeUndefined();
    expect(r.values['data_classification']).toBe('internal');
  });

  it('doubles stay doubles where arithmetic needs them, integral ones (1.0) and defaults included', () => {
    const g = compileGovernance(
      { tags: [{ name: 'risk', values: [0.5, 1.0, 1.5], default: 1.0 }], rules: { risky: { condition: 'tags.risk * 2.0 > 1.5', guards: ['validate_complete'], requirements: [{ emergency_contact: 'required' }] } } },
      FILE,
    );
    const applies = (risk: number | undefined) => evaluatePlan(g, context(g, { tags: risk === undefined ? {} : { risk } }), []).applies;
    expect(applies(0.5)).toEqual([]);
    expect(applies(1.5)).toEqual(['risky']);
    expect(applies(1.0)).toEqual(['risky']);
    expect(applies(undefined)).toEqual(['risky']);
  });
});

describe('evaluatePlan', () => {
  it('critical_zero applies for criticality 0 only (the default is 2)', () => {
    const g = shipped();
    for (const [criticality, applies] of [[0, true], [1, false], [2, false], [3, false], [undefined, false]] as const) {
      const verdict = evaluatePlan(g, context(g, { tags: criticality === undefined ? {} : { criticality } }), []);
      expect(verdict.applies.includes('critical_zero'), `criticality ${String(criticality)}`).toBe(applies);
    }
  });

  it('a bare criticality-0 plan misses all four requirements', () => {
    const g = shipped();
    const verdict = evaluatePlan(g, context(g, { tags: { criticality: 0 } }), []);
    expect(violationsOf(verdict)).toEqual(['critical_zero/approval_count', 'critical_zero/emergency_contact', 'critical_zero/review_board', 'critical_zero/rollback_plan']);
    expect(verdict.blocking).toHaveLength(4);
    expect(verdict.violations.every((v) => v.severity === 'error')).toBe(true);
  });

  it('a complete criticality-0 plan passes; each missing piece blocks on its own', () => {
    const g = shipped();
    expect(evaluatePlan(g, criticalComplete(g, { event: 'validate_complete' }), []).blocking).toEqual([]);
    const only = (over: Partial<RequirementContext>) => blockingOf(evaluatePlan(g, criticalComplete(g, { event: 'validate_complete', ...over }), []));
    expect(only({ approvals: approvalsBy('planning_lead', 'review_board') })).toEqual(['critical_zero/approval_count']);
    expect(only({ approvals: approvalsBy('planning_lead', 'technical_reviewer', 'planning_lead') })).toEqual(['critical_zero/review_board']);
    expect(only({ meta: { id: 'payments', tags: { criticality: 0 }, rollback_plan: 'rollback.md' } })).toEqual(['critical_zero/emergency_contact']);
    expect(only({ meta: { id: 'payments', tags: { criticality: 0 }, emergency_contact: '   ', rollback_plan: 'rollback.md' } })).toEqual(['critical_zero/emergency_contact']);
    expect(only({ meta: { id: 'payments', tags: { criticality: 0 }, emergency_contact: 'x' } })).toEqual(['critical_zero/rollback_plan']);
    expect(only({ files: new Map() })).toEqual(['critical_zero/rollback_plan']);
    expect(only({ files: new Map([['plans/payments/rollback.md', 0]]) })).toEqual(['critical_zero/rollback_plan']);
    expect(only({ files: new Map([['plans/other/rollback.md', 10]]) })).toEqual(['critical_zero/rollback_plan']);
  });

  it('a rollback plan named ./rollback.md is found', () => {
    const g = shipped();
    const ctx = criticalComplete(g, { meta: { id: 'payments', tags: { criticality: 0 }, emergency_contact: 'x', rollback_plan: './rollback.md' } });
    expect(evaluatePlan(g, ctx, []).blocking).toEqual([]);
  });

  it('the approval message says how many count and how many do not', () => {
    const g = shipped();
    const approvals: ApprovalTally = { ...approvalsBy('review_board'), rejected: [{ line: 2, reason: 'edited' }, { line: 3, reason: 'copied' }] };
    const v = evaluatePlan(g, criticalComplete(g, { approvals }), []).violations.find((x) => x.requirement === 'approval_count')!;
    expect(v.message).toContain('1 of 3');
    expect(v.message).toContain('2 more do not count');
  });

  it('guards are respected when an event is given; without one (lint) every applicable rule is checked', () => {
    const g = shipped();
    const bare = (event?: string) => context(g, { tags: { criticality: 0 }, ...(event ? { event } : {}) });
    expect(evaluatePlan(g, bare('validate_complete'), []).blocking).toHaveLength(4);
    expect(evaluatePlan(g, bare('package_artifacts'), []).blocking).toHaveLength(4);
    for (const event of ['update_plan', 'begin_execution', 'validation_failed', 'create_plan']) {
      const verdict = evaluatePlan(g, bare(event), []);
      expect(verdict.blocking, event).toEqual([]);
      expect(verdict.applies, event).toEqual([]);
    }
    expect(evaluatePlan(g, bare(), []).violations).toHaveLength(4);
  });

  it('a warning-severity rule reports but does not block', () => {
    const raw = shippedRaw();
    raw['rules']['critical_zero'].severity = 'warning';
    const g = compileGovernance(raw, FILE);
    const verdict = evaluatePlan(g, context(g, { tags: { criticality: 0 }, event: 'validate_complete' }), []);
    expect(verdict.violations).toHaveLength(4);
    expect(verdict.violations.every((v) => v.severity === 'warning')).toBe(true);
    expect(verdict.blocking).toEqual([]);
  });

  describe('waivers', () => {
    const waiver = (over: Partial<Waiver> = {}): Waiver => ({ rule: 'critical_zero', plan: 'payments', reason: 'board meets Tuesday', approver: 'cto@example.com', expires: '2026-03-20', ...over });

    it('a live waiver turns the rule\'s violations into warnings that do not block', () => {
      const g = shipped();
      const verdict = evaluatePlan(g, context(g, { tags: { criticality: 0 }, event: 'validate_complete' }), [waiver()]);
      expect(verdict.violations).toHaveLength(4);
      expect(verdict.violations.every((v) => v.severity === 'warning' && v.waivedBy?.approver === 'cto@example.com')).toBe(true);
      expect(verdict.blocking).toEqual([]);
      expect(verdict.expiredWaivers).toEqual([]);
    });

    it('a waiver expiring today still counts (inclusive)', () => {
      const g = shipped();
      expect(evaluatePlan(g, context(g, { tags: { criticality: 0 }, event: 'validate_complete' }), [waiver({ expires: TODAY })]).blocking).toEqual([]);
    });

    it('an expired waiver stops counting, is listed, and the violations block again', () => {
      const g = shipped();
      const expired = waiver({ expires: '2026-03-09' });
      const verdict = evaluatePlan(g, context(g, { tags: { criticality: 0 }, event: 'validate_complete' }), [expired]);
      expect(verdict.expiredWaivers).toEqual([expired]);
      expect(verdict.blocking).toHaveLength(4);
      expect(verdict.violations.every((v) => v.severity === 'error' && v.waivedBy === undefined)).toBe(true);
    });

    it('a waiver for another plan or another rule does not apply', () => {
      const g = shipped();
      const ctx = context(g, { tags: { criticality: 0 }, event: 'validate_complete' });
      expect(evaluatePlan(g, ctx, [waiver({ plan: 'routine' })]).blocking).toHaveLength(4);
      expect(evaluatePlan(g, ctx, [waiver({ rule: 'compliance_sox' })]).blocking).toHaveLength(4);
    });

    it('a waiver of one rule leaves the other rule blocking', () => {
      const g = shipped();
      const ctx = context(g, { tags: { criticality: 0, compliance: 'sox' }, event: 'package_artifacts', storyMap: undefined });
      const verdict = evaluatePlan(g, ctx, [waiver()]);
      expect(blockingOf(verdict)).toEqual(['compliance_sox/documentation']);
    });
  });

  describe('change_freeze', () => {
    const window: FreezeWindow = { name: 'quarter close', from: '2026-03-05', to: '2026-03-15', transitions: ['package_artifacts'], reason: 'books are closing' };

    it('blocks the listed transitions of a sox plan inside the window, with the window named', () => {
      const g = shipped();
      const verdict = evaluatePlan(g, soxPlan(g, { event: 'package_artifacts', freezeWindows: [window] }), []);
      expect(blockingOf(verdict)).toEqual(['compliance_sox/change_freeze']);
      expect(verdict.blocking[0]!.message).toContain('quarter close');
      expect(verdict.blocking[0]!.message).toContain('books are closing');
    });

    it('does not block transitions it does not list, nor outside the window; both ends are inclusive', () => {
      const g = shipped();
      expect(evaluatePlan(g, soxPlan(g, { event: 'begin_execution', freezeWindows: [window] }), []).blocking).toEqual([]);
      expect(evaluatePlan(g, soxPlan(g, { event: 'validate_complete', freezeWindows: [window] }), []).blocking).toEqual([]);
      for (const [today, blocked] of [['2026-03-04', false], ['2026-03-05', true], ['2026-03-15', true], ['2026-03-16', false]] as const) {
        expect(evaluatePlan(g, soxPlan(g, { event: 'package_artifacts', freezeWindows: [window], today }), []).blocking.length > 0, today).toBe(blocked);
      }
    });

    it('does not apply to plans outside the rule, and says nothing when linting', () => {
      const g = shipped();
      expect(evaluatePlan(g, context(g, { event: 'package_artifacts', freezeWindows: [window] }), []).blocking).toEqual([]);
      expect(evaluatePlan(g, soxPlan(g, { freezeWindows: [window] }), []).violations).toEqual([]);
    });
  });

  describe('documentation profiles', () => {
    it('a sox story map missing Risks and Rollback is reported with both sections named', () => {
      const g = shipped();
      const verdict = evaluatePlan(g, soxPlan(g, { storyMap: parseStoryMap(STORY_MAP_BARE, taskIdRegex(DEFAULT_CONFIG)) }), []);
      expect(violationsOf(verdict)).toEqual(['compliance_sox/documentation']);
      expect(verdict.violations[0]!.message).toMatch(/Risks, Rollback/);
      expect(verdict.violations[0]!.message).not.toMatch(/Backbone/);
    });

    it('headings match by case-insensitive prefix', () => {
      const g = shipped();
      const map = STORY_MAP_BARE + '\n### RISKS and mitigations\n- none\n\n### rollback procedure\n- revert\n';
      expect(evaluatePlan(g, soxPlan(g, { storyMap: parseStoryMap(map, taskIdRegex(DEFAULT_CONFIG)) }), []).violations).toEqual([]);
    });

    it('a sox plan without a story map, or naming an unknown profile, is reported', () => {
      const g = shipped();
      expect(violationsOf(evaluatePlan(g, soxPlan(g, { storyMap: undefined }), []))).toEqual(['compliance_sox/documentation']);
      const raw = shippedRaw();
      raw['rules']['compliance_sox'].requirements = [{ documentation: 'gdpr_standard' }];
      const g2 = compileGovernance(raw, FILE);
      const verdict = evaluatePlan(g2, soxPlan(g2), []);
      expect(violationsOf(verdict)).toEqual(['compliance_sox/documentation']);
      expect(verdict.violations[0]!.message).toContain('gdpr_standard');
    });
  });

  it('audit_trail enhanced: unsigned commits of the event log are reported', () => {
    const g = shipped();
    const verdict = evaluatePlan(g, soxPlan(g, { unsignedEventCommits: ['0123456789abcdef0123'] }), []);
    expect(violationsOf(verdict)).toEqual(['compliance_sox/audit_trail']);
    expect(verdict.violations[0]!.message).toContain('0123456789ab');
  });

  it('invalid tag values block guarded transitions, and only those', () => {
    const g = shipped();
    const verdict = evaluatePlan(g, context(g, { tags: { criticality: 7 }, event: 'validate_complete' }), []);
    expect(verdict.blocking).toHaveLength(1);
    expect(verdict.blocking[0]!.requirement).toBe('tags');
    expect(verdict.blocking[0]!.message).toContain('criticality=7');
    // nothing guards update_plan
    expect(evaluatePlan(g, context(g, { tags: { criticality: 7 }, event: 'update_plan' }), []).blocking).toEqual([]);
    // and lint reports it
    expect(evaluatePlan(g, context(g, { tags: { compliance: 'SOX' } }), []).violations.map((v) => v.requirement)).toEqual(['tags']);
  });

  it('an invalid value of a tag no condition reads still blocks guarded transitions (cannot evaluate honestly)', () => {
    const g = shipped();
    expect(evaluatePlan(g, context(g, { tags: { data_classification: 'top-secret' }, event: 'package_artifacts' }), []).blocking).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// approvals, over real keys

interface TestKey {
  entry: TrustedKey;
  pem: string;
  privateKey: KeyObject;
}

function makeKey(id: string, role: string, extra: Partial<TrustedKey> = {}): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const entry: TrustedKey = { id, keyid: fingerprint(pem)!, file: `${id}.pub.pem`, role, valid_from: '2026-01-01T00:00:00Z', valid_until: '2027-01-01T00:00:00Z', revoked: false, ...extra };
  return { entry, pem, privateKey };
}

function pssSign(key: TestKey): (data: Uint8Array) => Buffer {
  return (data) => cryptoSign('sha256', data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

function store(...keys: TestKey[]): TrustStore {
  return { keys: keys.map((k) => k.entry), pems: new Map(keys.map((k) => [k.entry.file, k.pem])) };
}

const NOW = new Date('2026-03-10T12:00:00Z');
const DIGEST = planContentDigest([
  { path: 'plans/payments/plan.yaml', bytes: Buffer.from('id: payments\n') },
  { path: 'plans/payments/rollback.md', bytes: Buffer.from('# Rollback\n') },
]);

function approvalLine(key: TestKey, over: Partial<ApprovalStatement> = {}): string {
  return envelopeLine({ plan: 'payments', role: key.entry.role, approved_at: '2026-03-10T10:00:00Z', content_sha256: DIGEST, ...over }, key.entry.keyid, pssSign(key));
}

describe('tallyApprovals', () => {
  let alice: TestKey, bob: TestKey, carol: TestKey, revoked: TestKey, expired: TestKey, future: TestKey, mallory: TestKey;
  let trust: TrustStore;

  beforeAll(() => {
    alice = makeKey('alice', 'planning_lead');
    bob = makeKey('bob', 'technical_reviewer');
    carol = makeKey('carol', 'review_board');
    revoked = makeKey('eve', 'review_board', { revoked: true, revoked_at: '2026-03-01T00:00:00Z', revoked_reason: 'laptop lost' });
    expired = makeKey('frank', 'technical_reviewer', { valid_from: '2025-01-01T00:00:00Z', valid_until: '2026-01-01T00:00:00Z' });
    future = makeKey('grace', 'technical_reviewer', { valid_from: '2027-01-01T00:00:00Z', valid_until: '2028-01-01T00:00:00Z' });
    mallory = makeKey('mallory', 'review_board');
    trust = store(alice, bob, carol, revoked, expired, future);
  });

  const tally = (text: string, plan = 'payments', digest = DIGEST) => tallyApprovals(text, plan, digest, trust, NOW);

  it('the digest is independent of file order and changes with any byte', () => {
    const a = { path: 'plans/p/a.yaml', bytes: Buffer.from('a') };
    const b = { path: 'plans/p/b.yaml', bytes: Buffer.from('b') };
    expect(planContentDigest([a, b])).toBe(planContentDigest([b, a]));
    expect(planContentDigest([a, b])).not.toBe(planContentDigest([a, { ...b, bytes: Buffer.from('c') }]));
    expect(planContentDigest([a, b])).not.toBe(planContentDigest([a, { ...b, path: 'plans/p/c.yaml' }]));
  });

  it('lines are DSSE envelopes over the PAE of the statement', () => {
    const line = approvalLine(alice);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const envelope = JSON.parse(line) as { payloadType: string; payload: string; signatures: Array<{ keyid: string; sig: string }> };
    expect(envelope.payloadType).toBe(APPROVAL_TYPE);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]!.keyid).toBe(alice.entry.keyid);
    const body = Buffer.from(envelope.payload, 'base64');
    expect(body.equals(statementBytes({ plan: 'payments', role: 'planning_lead', approved_at: '2026-03-10T10:00:00Z', content_sha256: DIGEST }))).toBe(true);
    expect(pae(body, APPROVAL_TYPE).toString('utf8')).toBe(`DSSEv1 ${APPROVAL_TYPE.length} ${APPROVAL_TYPE} ${body.length} ${body.toString('utf8')}`);
  });

  it('valid approvals by three distinct keys all count', () => {
    const t = tally(approvalLine(alice) + approvalLine(bob) + approvalLine(carol));
    expect(t.rejected).toEqual([]);
    expect(t.valid.map((v) => [v.id, v.role, v.line])).toEqual([['alice', 'planning_lead', 1], ['bob', 'technical_reviewer', 2], ['carol', 'review_board', 3]]);
  });

  it('an empty file, blank lines and CRLF line ends are fine', () => {
    expect(tally('')).toEqual({ valid: [], rejected: [] });
    const t = tally(`\n${approvalLine(alice).replace('\n', '\r\n')}\n\n${approvalLine(bob)}`);
    expect(t.rejected).toEqual([]);
    expect(t.valid.map((v) => v.id)).toEqual(['alice', 'bob']);
  });

  it('an edited payload does not count and is reported as edited', () => {
    const envelope = JSON.parse(approvalLine(bob));
    const body = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    body.approved_at = '2026-03-10T10:00:01Z';
    envelope.payload = Buffer.from(JSON.stringify(body)).toString('base64');
    const t = tally(approvalLine(alice) + JSON.stringify(envelope) + '\n');
    expect(t.valid.map((v) => v.id)).toEqual(['alice']);
    expect(t.rejected).toEqual([{ line: 2, reason: expect.stringMatching(/bob.*does not verify.*edited/) }]);
  });

  it('a payload that claims another role, re-encoded without re-signing, does not count', () => {
    const envelope = JSON.parse(approvalLine(alice));
    const body = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    body.role = 'review_board';
    envelope.payload = Buffer.from(JSON.stringify(body)).toString('base64');
    const t = tally(JSON.stringify(envelope));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/does not verify/);
  });

  it('a tampered signature does not count', () => {
    const envelope = JSON.parse(approvalLine(carol));
    const sig = Buffer.from(envelope.signatures[0].sig, 'base64');
    sig[10] = sig[10]! ^ 0x01;
    envelope.signatures[0].sig = sig.toString('base64');
    const t = tally(JSON.stringify(envelope));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/carol.*does not verify/);
  });

  it('a signature made by another key under a trusted keyid does not count', () => {
    const forged = envelopeLine({ plan: 'payments', role: 'review_board', approved_at: '2026-03-10T10:00:00Z', content_sha256: DIGEST }, carol.entry.keyid, pssSign(mallory));
    const t = tally(forged);
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/does not verify/);
  });

  it('a PKCS#1 v1.5 signature (not PSS) does not count', () => {
    const line = envelopeLine({ plan: 'payments', role: 'planning_lead', approved_at: '2026-03-10T10:00:00Z', content_sha256: DIGEST }, alice.entry.keyid, (data) => cryptoSign('sha256', data, alice.privateKey));
    expect(tally(line).valid).toEqual([]);
  });

  it('a line copied from another plan\'s approvals does not count', () => {
    const copied = approvalLine(alice, { plan: 'routine' });
    const t = tally(copied);
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/alice.*for plan routine.*copied/);
    // ... and counts in its own file
    expect(tally(copied, 'routine').valid.map((v) => v.id)).toEqual(['alice']);
  });

  it('a duplicate line counts once', () => {
    const line = approvalLine(alice);
    const t = tally(line + line + approvalLine(alice, { approved_at: '2026-03-10T11:00:00Z' }));
    expect(t.valid.map((v) => v.id)).toEqual(['alice']);
    expect(t.rejected).toHaveLength(2);
    expect(t.rejected.every((r) => /alice already approved; a key counts once/.test(r.reason))).toBe(true);
  });

  it('a stale or forged line before a valid one by the same key does not use up the key', () => {
    const t = tally(approvalLine(alice, { content_sha256: 'f'.repeat(64) }) + approvalLine(alice));
    expect(t.valid.map((v) => [v.id, v.line])).toEqual([['alice', 2]]);
  });

  it('a revoked key does not count, and the reason names the revocation', () => {
    const t = tally(approvalLine(revoked));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/eve was revoked.*laptop lost/);
  });

  it('an expired key, or one not yet valid, does not count', () => {
    const t = tally(approvalLine(expired) + approvalLine(future));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/frank expired/);
    expect(t.rejected[1]!.reason).toMatch(/grace is not valid before/);
  });

  it('a key not in the trust store does not count', () => {
    const t = tally(approvalLine(mallory));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/not in the trust store/);
  });

  it('a trusted entry whose public key file is missing does not count', () => {
    const t = tallyApprovals(approvalLine(alice), 'payments', DIGEST, { keys: trust.keys, pems: new Map() }, NOW);
    expect(t.valid).toEqual([]);
  });

  it('an approval of older content does not count and says the plan changed', () => {
    const older = planContentDigest([{ path: 'plans/payments/plan.yaml', bytes: Buffer.from('id: payments\n# old\n') }]);
    const t = tally(approvalLine(bob, { content_sha256: older }) + approvalLine(carol));
    expect(t.valid.map((v) => v.id)).toEqual(['carol']);
    expect(t.rejected[0]!.reason).toMatch(/bob.*older content/);
  });

  it('a signed statement whose role differs from the key\'s trust-store role does not count', () => {
    const t = tally(approvalLine(alice, { role: 'review_board' }));
    expect(t.valid).toEqual([]);
    expect(t.rejected[0]!.reason).toMatch(/alice claims role review_board.*planning_lead/);
  });

  it('garbage and non-approval envelopes are reported, not thrown', () => {
    const line = approvalLine(alice);
    const wrongType = JSON.stringify({ ...JSON.parse(line), payloadType: 'application/vnd.plan.handoff.v1+yaml' });
    const t = tally(['{not json', 'null', '[]', '42', wrongType, JSON.stringify({ payloadType: APPROVAL_TYPE, payload: 'x', signatures: [] })].join('\n'));
    expect(t.valid).toEqual([]);
    expect(t.rejected.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a torn line (a half-written append) does not count and does not hide the next one', () => {
    const line = approvalLine(alice);
    const t = tally(line.slice(0, 100) + '\n' + approvalLine(bob));
    expect(t.valid.map((v) => v.id)).toEqual(['bob']);
    expect(t.rejected).toEqual([{ line: 1, reason: 'not valid JSON' }]);
  });

  it('counted approvals feed approval_count and review_board', () => {
    const g = shipped();
    const approvals = tally(approvalLine(alice) + approvalLine(bob) + approvalLine(carol) + approvalLine(mallory));
    const ctx = criticalComplete(g, { approvals, event: 'validate_complete' });
    expect(evaluatePlan(g, ctx, []).blocking).toEqual([]);
    const without = tally(approvalLine(alice) + approvalLine(bob) + approvalLine(revoked) + approvalLine(mallory));
    expect(blockingOf(evaluatePlan(g, criticalComplete(g, { approvals: without, event: 'validate_complete' }), []))).toEqual(['critical_zero/approval_count', 'critical_zero/review_board']);
  });
});
