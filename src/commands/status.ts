import { gateNamed, validatorRuns } from '../core/gates.js';
import { allowedFrom } from '../core/lifecycle.js';
import { lintWorkspace } from '../core/lint.js';
import { loadGates, loadLifecycle } from '../io/rulebook.js';
import { prepareSchemas } from '../io/schemas.js';
import { PlanStore } from '../io/store.js';
import { assertKnownPlan } from './transition.js';
import { openRepo, type RepoOptions } from './repo.js';
import { validationContext, worktreeWorkspace } from './workspace.js';

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
  const { workspace } = await worktreeWorkspace(repo);
  if (options.plan) assertKnownPlan(repo, options.plan, state.has(options.plan));
  const ids = options.plan ? [options.plan] : [...new Set([...state.keys(), ...workspace.plans.keys()])].sort();

  const plans: PlanStatus[] = ids.map((plan) => {
    const s = state.get(plan);
    return {
      plan,
      state: s?.state ?? null,
      ...(s ? { since: s.since, seq: s.seq, event: s.event } : {}),
      hasFiles: workspace.plans.has(plan),
      next: allowedFrom(lifecycle, s?.state ?? null).map((t) => ({ event: t.event, to: t.to, ...(t.gate ? { gate: t.gate } : {}) })),
    };
  });

  if (options.gates !== false) {
    const wanted = new Set(plans.flatMap((p) => p.next.map((n) => n.gate).filter((g): g is string => g !== undefined)));
    if (wanted.size > 0) {
      const { gates, file } = loadGates(repo.root, repo.config);
      await prepareSchemas(repo.root, repo.config.artifacts.map((a) => a.schema));
      const context = validationContext(repo, workspace, () => true, options.now);
      for (const name of wanted) {
        const gate = gateNamed(gates, name, file);
        // command validators run repository code and may be slow: status reports them as not run
        const runs = validatorRuns(gate).filter((r) => r.type !== 'command');
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
  }
  return { plans };
}
