import type { Finding } from '../core/finding.js';
import { gateNamed, runGate, type GateReport } from '../core/gates.js';
import { loadGates } from '../io/rulebook.js';
import { prepareSchemas } from '../io/schemas.js';
import { PlanStore } from '../io/store.js';
import { runCommandValidators } from './command_validator.js';
import { openRepo, type RepoOptions } from './repo.js';
import { assertKnownPlan } from './transition.js';
import { inPlan } from '../core/workspace.js';
import { validationContext, worktreeWorkspace } from './workspace.js';

export interface GateOptions extends RepoOptions {
  gate: string;
  /** One plan; all plans when absent. */
  plan?: string;
  now?: Date;
}

export interface GateResult {
  root: string;
  gate: string;
  reports: Array<{ plan: string } & GateReport>;
  passed: boolean;
  findings: Finding[];
  filesChecked: number;
}

/** Runs one gate on its own, for one plan or each plan, without changing anything. */
export async function gate(options: GateOptions): Promise<GateResult> {
  const repo = await openRepo(options);
  const { gates, file } = loadGates(repo.root, repo.config);
  const def = gateNamed(gates, options.gate, file);
  await prepareSchemas(repo.root, repo.config.artifacts.map((a) => a.schema));
  const { workspace } = await worktreeWorkspace(repo);
  if (options.plan) assertKnownPlan(repo, options.plan, (await new PlanStore(repo.root).readState()).has(options.plan));
  const plans = options.plan ? [options.plan] : [...workspace.plans.keys()].sort();
  const reports: GateResult['reports'] = [];
  let filesChecked = 0;
  for (const plan of plans) {
    const context = validationContext(repo, workspace, inPlan(repo.config.plans_dir, plan), options.now);
    const report = runGate(def, context, await runCommandValidators(repo, def, plan, workspace));
    reports.push({ plan, ...report });
    filesChecked += workspace.plans.get(plan)?.artifacts.size ?? 0;
  }
  return { root: repo.root, gate: def.name, reports, passed: reports.every((r) => r.passed), findings: reports.flatMap((r) => r.findings), filesChecked };
}
