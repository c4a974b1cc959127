import type { Finding } from '../finding.js';
import { PLAN_FILE } from '../workspace.js';
import type { Validator } from './types.js';

/** Every plan folder has a plan.yaml whose id is the folder's name. */
export const planLayoutValidator: Validator = {
  type: 'plan_layout',
  run(context) {
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      const artifact = plan.artifacts.get(PLAN_FILE);
      if (!artifact) {
        const anyFile = [...plan.artifacts.values()].find((a) => context.inScope(a.path));
        if (anyFile) findings.push({ rule: 'plan/missing-plan-file', severity: 'error', message: `plan folder ${plan.dir}/ has no ${PLAN_FILE}`, file: anyFile.path, plan: plan.id });
        continue;
      }
      const id = plan.meta?.['id'];
      if (typeof id === 'string' && id !== plan.id && context.inScope(artifact.path) && artifact.data) {
        findings.push({ rule: 'plan/id-mismatch', severity: 'error', message: `plan id "${id}" does not match its folder name "${plan.id}"`, file: artifact.path, ...artifact.data.locate(['id']), plan: plan.id });
      }
    }
    return findings;
  },
};
