import { approvalsPath } from '../approvals.js';
import type { Finding } from '../finding.js';
import { evaluatePlan } from '../governance.js';
import type { RequirementContext } from '../requirements/index.js';
import { PLAN_FILE, STORY_MAP_FILE, type Plan } from '../workspace.js';
import type { GovernanceView, ValidationContext, Validator } from './types.js';

/**
 * The rules of governance.yaml (seed §6): for each plan whose tags make a rule apply, every
 * requirement it does not meet is a finding with the rule's severity; approvals that do not
 * count are reported with the reason. Transition-specific requirements (a change freeze) are
 * checked when the transition is attempted.
 */
export const governanceValidator: Validator = {
  type: 'governance',
  run(context: ValidationContext) {
    const view = context.governance;
    if (!view) return [];
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      const planFile = plan.artifacts.get(PLAN_FILE);
      if (!planFile || !plan.meta || !context.inScope(planFile.path)) continue;
      const verdict = evaluatePlan(view.governance, planRequirementContext(view, plan, context.today ?? '9999-12-31'), view.waivers);
      const at = { file: planFile.path, ...(planFile.data?.locate(['tags'], 'key') ?? {}), plan: plan.id };
      for (const v of verdict.violations) {
        findings.push({ rule: v.rule === 'governance' ? 'governance/invalid-tags' : `governance/${v.rule}`, severity: v.severity, message: `${v.rule} (${v.requirement}): ${v.message}${v.waivedBy ? ` [waived until ${v.waivedBy.expires} by ${v.waivedBy.approver}: ${v.waivedBy.reason}]` : ''}`, ...at });
      }
      for (const w of verdict.expiredWaivers) {
        findings.push({ rule: 'governance/waiver-expired', severity: 'warning', message: `waiver of ${w.rule} for ${w.plan} expired on ${w.expires}; it no longer counts`, ...at });
      }
      if (verdict.applies.length > 0) {
        for (const r of view.approvals(plan.id).rejected) findings.push({ rule: 'governance/approval-invalid', severity: 'warning', message: `approval does not count: ${r.reason}`, file: approvalsPath(plan.id), line: r.line, column: 1, plan: plan.id });
      }
    }
    return findings;
  },
};

/** What requirements read about one plan; approvals are tallied only if a requirement asks. */
export function planRequirementContext(view: GovernanceView, plan: Plan, today: string, event?: string): RequirementContext {
  return {
    plan: plan.id,
    meta: plan.meta ?? {},
    files: view.fileSizes,
    planDir: plan.dir,
    storyMap: plan.artifacts.get(STORY_MAP_FILE)?.storyMap,
    get approvals() {
      return view.approvals(plan.id);
    },
    ...(event ? { event } : {}),
    today,
    freezeWindows: view.freezeWindows,
    documentationProfiles: view.governance.documentationProfiles,
    unsignedEventCommits: view.unsignedEventCommits(plan.id),
  };
}
