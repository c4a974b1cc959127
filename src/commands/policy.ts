import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, UsageError } from '../core/errors.js';
import { compileGovernance, evaluatePlan, type Governance, type Waiver } from '../core/governance.js';
import { allowedFrom } from '../core/lifecycle.js';
import type { FreezeWindow } from '../core/requirements/index.js';
import type { GovernanceView } from '../core/validators/types.js';
import { planRequirementContext } from '../core/validators/governance.js';
import { parseStoryMap } from '../core/parse/storymap.js';
import { taskIdRegex } from '../core/config.js';
import { loadLifecycle } from '../io/rulebook.js';
import { PlanStore } from '../io/store.js';
import { loadYamlFile } from '../io/yaml_file.js';
import { governanceView, loadGovernanceRules } from './governance.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';
import { dateIn, worktreeWorkspace } from './workspace.js';

export interface SimulateOptions extends RepoOptions {
  /** A directory holding the candidate governance.yaml (and optionally waivers.yaml, freeze_calendar.yaml). */
  rulebook: string;
  now?: Date;
}

export interface SimulatedChange {
  plan: string;
  state: string | null;
  event: string;
  /** What blocks it under the rulebook in force, and under the candidate. */
  current: string[];
  candidate: string[];
  change: 'newly blocked' | 'unblocked' | 'blocked differently';
}

export interface SimulateResult {
  candidate: string;
  plansChecked: number;
  transitionsChecked: number;
  changes: SimulatedChange[];
}

/** Which plans and pending transitions a changed rulebook would block, compared with the one in force. Writes nothing. */
export async function simulatePolicy(options: SimulateOptions): Promise<SimulateResult> {
  const repo = await openRepo(options);
  const dir = resolve(options.cwd, options.rulebook);
  if (!existsSync(join(dir, 'governance.yaml'))) throw new UsageError(`${options.rulebook} has no governance.yaml to simulate`);
  const now = options.now ?? new Date();
  const lifecycle = loadLifecycle(repo.root, repo.config);
  const state = await new PlanStore(repo.root).readState();
  const { workspace, sources } = await worktreeWorkspace(repo);
  // the candidate may ask for the audit trail when the rulebook in force does not
  const current = await governanceView(repo, sources, now, { readAuditTrail: true });
  const inForce = loadGovernanceRules(repo);
  const candidateRules = loadCandidate(dir, relative(options.cwd, dir) || '.', inForce);
  const candidate: GovernanceView = { ...current, ...candidateRules };
  const today = dateIn(repo.config.cycle.timezone, now);

  const changes: SimulatedChange[] = [];
  let transitions = 0;
  const plans = [...new Set([...state.keys(), ...workspace.plans.keys()])].sort();
  for (const id of plans) {
    const plan = workspace.plans.get(id) ?? { id, dir: `${repo.config.plans_dir}/${id}`, artifacts: new Map(), tasks: [] };
    const from = state.get(id)?.state ?? null;
    for (const t of allowedFrom(lifecycle, from)) {
      transitions++;
      const describe = (view: GovernanceView) => evaluatePlan(view.governance, planRequirementContext(view, plan, today, t.event), view.waivers).blocking.map((v) => `${v.rule} (${v.requirement}): ${v.message}`);
      const before = describe(current);
      const after = describe(candidate);
      if (before.join('\n') === after.join('\n')) continue;
      changes.push({ plan: id, state: from, event: t.event, current: before, candidate: after, change: before.length === 0 ? 'newly blocked' : after.length === 0 ? 'unblocked' : 'blocked differently' });
    }
  }
  return { candidate: relative(repo.root, dir) || '.', plansChecked: plans.length, transitionsChecked: transitions, changes };
}

function loadCandidate(dir: string, display: string, inForce: { waivers: Waiver[]; freezeWindows: FreezeWindow[] }): { governance: Governance; waivers: Waiver[]; freezeWindows: FreezeWindow[] } {
  const file = (name: string) => join(dir, `${name}.yaml`);
  const governance = compileGovernance(loadYamlFile(file('governance'), `${display}/governance.yaml`, 'governance'), `${display}/governance.yaml`);
  const waivers = existsSync(file('waivers')) ? ((loadYamlFile(file('waivers'), `${display}/waivers.yaml`, 'waivers') as { waivers?: Waiver[] }).waivers ?? []) : inForce.waivers;
  const freezeWindows = existsSync(file('freeze_calendar')) ? ((loadYamlFile(file('freeze_calendar'), `${display}/freeze_calendar.yaml`, 'freeze_calendar') as { windows?: FreezeWindow[] }).windows ?? []) : inForce.freezeWindows;
  return { governance, waivers, freezeWindows };
}

export interface PolicyFixture {
  name: string;
  plan: Record<string, unknown> & { id?: string };
  /** Files of the plan folder by name (a rollback plan, a story map). */
  files?: Record<string, string>;
  /** Approvals that count, by role (signatures are `plan approve`'s business, not the policy's). */
  approvals?: Array<{ role: string; id?: string }>;
  event?: string;
  today?: string;
  expect: 'allow' | 'deny';
  /** `rule/requirement` pairs that must be among the violations. */
  expect_violations?: string[];
}

export interface PolicyTestResult {
  fixtures: Array<{ file: string; name: string; passed: boolean; verdict: 'allow' | 'deny'; violations: string[]; problems: string[] }>;
  passed: number;
  failed: number;
}

/** Runs policy fixtures (plans plus expected verdicts) against the rulebook in force, as conftest verify does. */
export async function testPolicy(options: RepoOptions & { dir?: string }): Promise<PolicyTestResult> {
  const repo: OpenedRepo = await openRepo(options);
  const dir = resolve(options.cwd, options.dir ?? join(repo.root, repo.config.rulebook_dir, 'policy_tests'));
  if (!existsSync(dir)) throw new UsageError(`no policy fixtures in ${relative(options.cwd, dir) || dir} (write <name>.yaml files there, or pass --dir)`);
  const rules = loadGovernanceRules(repo);
  const taskIds = taskIdRegex(repo.config);
  const result: PolicyTestResult = { fixtures: [], passed: 0, failed: 0 };
  for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const display = relative(repo.root, join(dir, name));
    const fixture = loadYamlFile(join(dir, name), display, 'policy_test') as PolicyFixture;
    const id = fixture.plan.id ?? 'fixture';
    const planDir = `${repo.config.plans_dir}/${id}`;
    const files = new Map(Object.entries(fixture.files ?? {}).map(([f, text]) => [`${planDir}/${f}`, Buffer.byteLength(text)]));
    const storyText = fixture.files?.['story_map.md'];
    const verdict = evaluatePlan(
      rules.governance,
      {
        plan: id,
        meta: fixture.plan,
        files,
        planDir,
        ...(storyText !== undefined ? { storyMap: parseStoryMap(storyText, taskIds) } : {}),
        approvals: { valid: (fixture.approvals ?? []).map((a, i) => ({ keyid: `fixture-${i}`, id: a.id ?? `approver-${i + 1}`, role: a.role, approved_at: '', line: i + 1 })), rejected: [] },
        ...(fixture.event ? { event: fixture.event } : {}),
        today: fixture.today ?? '2000-01-01',
        freezeWindows: rules.freezeWindows,
        documentationProfiles: rules.governance.documentationProfiles,
        unsignedEventCommits: [],
      },
      rules.waivers,
    );
    const got: 'allow' | 'deny' = verdict.blocking.length > 0 ? 'deny' : 'allow';
    const violations = verdict.violations.map((v) => `${v.rule}/${v.requirement}`);
    const problems: string[] = [];
    if (got !== fixture.expect) problems.push(`expected ${fixture.expect}, got ${got}${verdict.blocking.length ? `: ${verdict.blocking.map((v) => v.message).join('; ')}` : ''}`);
    for (const wanted of fixture.expect_violations ?? []) if (!violations.includes(wanted)) problems.push(`expected violation ${wanted}, got ${violations.join(', ') || 'none'}`);
    result.fixtures.push({ file: display, name: fixture.name, passed: problems.length === 0, verdict: got, violations, problems });
    if (problems.length === 0) result.passed++;
    else result.failed++;
  }
  if (result.fixtures.length === 0) throw new ConfigError(`no policy fixtures (*.yaml) in ${relative(options.cwd, dir) || dir}`);
  return result;
}
