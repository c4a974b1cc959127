import { gateNamed, validatorRuns } from '../core/gates.js';
import { allowedFrom, type Lifecycle } from '../core/lifecycle.js';
import type { StateFile } from '../core/state.js';
import { planOfPath, type SourceFile, type Workspace } from '../core/workspace.js';
import { listWorktree } from '../io/git.js';
import { lintWorkspace } from '../core/lint.js';
import { loadGates, loadLifecycle } from '../io/rulebook.js';
import { prepareSchemas } from '../io/schemas.js';
import { PlanStore } from '../io/store.js';
import { assertKnownPlan } from './transition.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';
import { validationContext, worktreeWorkspace } from './workspace.js';
import { governanceView, loadGovernanceRules, verdictFor } from './governance.js';

export interface StatusOptions extends RepoOptions {
  plan?: string;
  /** Skip running gates (readiness shows as unknown). */
  gates?: boolean;
  now?: Date;
}

export interface NextStep {
  event: string;
  to: string;
  gate?: string;
  /** Whether the gate would pass now; undefined when there is no gate or gates were not run. */
  ready?: boolean;
  /** Rules failing the gate for this plan, with counts. */
  blocking?: Record<string, number>;
  /** Governance requirements that would refuse this transition now. */
  governance?: string[];
}

export interface PlanStatus {
  plan: string;
  state: string | null;
  since?: string;
  seq?: number;
  event?: string;
  /** The plan folder exists. */
  hasFiles: boolean;
  next: NextStep[];
}

export interface StatusResult {
  plans: PlanStatus[];
}

/**
 * Every plan's state and what it may do next. Each gate's validators run once over the whole
 * repository and their findings are split by plan, so 1,000 plans cost one pass, not 1,000.
 */
export async function status(options: StatusOptions): Promise<StatusResult> {
  const repo = await openRepo(options);
  const lifecycle = loadLifecycle(repo.root, repo.config);
  const store = new PlanStore(repo.root);
  const state = await store.readState();
  if (options.plan) assertKnownPlan(repo, options.plan, state.has(options.plan));
  if (options.gates === false) return { plans: listStatus(lifecycle, state, await planFolders(repo), options.plan) };
  const { workspace, sources } = await worktreeWorkspace(repo);
  const plans = listStatus(lifecycle, state, new Set(workspace.plans.keys()), options.plan);
  const now = options.now ?? new Date();
  await markGateReadiness(repo, workspace, plans, now);
  await markGovernance(repo, workspace, sources, plans, now);
  return { plans };
}


function listStatus(lifecycle: Lifecycle, state: StateFile, folders: ReadonlySet<string>, only?: string): PlanStatus[] {
  const ids = only ? [only] : [...new Set([...state.keys(), ...folders])].sort();
  return ids.map((plan) => {
    const s = state.get(plan);
    return {
      plan,
      state: s?.state ?? null,
      ...(s ? { since: s.since, seq: s.seq, event: s.event } : {}),
      hasFiles: folders.has(plan),
      next: allowedFrom(lifecycle, s?.state ?? null).map((t) => ({ event: t.event, to: t.to, ...(t.gate ? { gate: t.gate } : {}) })),
    };
  });
}

/** Plan folders from the file list alone: --no-gates reads no file content. */
async function planFolders(repo: OpenedRepo): Promise<Set<string>> {
  const folders = new Set<string>();
  for (const path of await listWorktree(repo.root, [repo.config.plans_dir])) {
    const where = planOfPath(repo.config.plans_dir, path);
    if (where) folders.add(where.plan);
  }
  return folders;
}

/** Each gate's validators run once over the whole repository; their errors are split by plan. */
async function markGateReadiness(repo: OpenedRepo, workspace: Workspace, plans: PlanStatus[], now: Date): Promise<void> {
  const wanted = new Set(plans.flatMap((p) => p.next.map((n) => n.gate).filter((g): g is string => g !== undefined)));
  if (wanted.size === 0) return;
  const { gates, file } = loadGates(repo.root, repo.config);
  await prepareSchemas(repo.root, repo.config.artifacts.map((a) => a.schema));
  const context = validationContext(repo, workspace, () => true, now);
  for (const name of wanted) {
    // command validators run repository code and may be slow: status reports them as not run
    const runs = validatorRuns(gateNamed(gates, name, file)).filter((r) => r.type !== 'command');
    const errors = new Map<string, Record<string, number>>();
    for (const f of lintWorkspace(context, runs)) {
      if (f.severity !== 'error' || !f.plan) continue;
      const byRule = errors.get(f.plan) ?? {};
      byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
      errors.set(f.plan, byRule);
    }
    for (const p of plans) {
      for (const step of p.next) {
        if (step.gate !== name) continue;
        step.ready = !errors.has(p.plan) && p.hasFiles;
        if (errors.has(p.plan)) step.blocking = errors.get(p.plan)!;
      }
    }
  }
}

/** The governance requirements that would refuse each next transition now. */
async function markGovernance(repo: OpenedRepo, workspace: Workspace, sources: SourceFile[], plans: PlanStatus[], now: Date): Promise<void> {
  const rules = loadGovernanceRules(repo);
  const guarded = new Set(rules.governance.rules.flatMap((r) => r.guards));
  if (!plans.some((p) => p.next.some((n) => guarded.has(n.event)))) return;
  const view = await governanceView(repo, sources, now);
  for (const p of plans) {
    for (const step of p.next) {
      if (!guarded.has(step.event)) continue;
      const blocking = verdictFor(view, workspace, p.plan, step.event, now, repo.config.cycle.timezone).blocking;
      if (blocking.length === 0) continue;
      step.governance = blocking.map((v) => `${v.rule} (${v.requirement}): ${v.message}`);
      step.ready = false;
    }
  }
}
