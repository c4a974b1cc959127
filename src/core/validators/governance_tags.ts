import type { Finding } from '../finding.js';
import { PLAN_FILE, isRecord } from '../workspace.js';
import type { Validator } from './types.js';

/** Tags in plan.yaml are ones governance.yaml defines, with one of their allowed values. */
export const governanceTagsValidator: Validator = {
  type: 'governance_tags',
  run(context) {
    const findings: Finding[] = [];
    const known = new Map(context.governanceTags.map((t) => [t.name, t]));
    for (const plan of context.workspace.plans.values()) {
      const artifact = plan.artifacts.get(PLAN_FILE);
      const tags = plan.meta?.['tags'];
      if (!artifact?.data || !isRecord(tags) || !context.inScope(artifact.path)) continue;
      for (const [name, value] of Object.entries(tags)) {
        const tag = known.get(name);
        if (!tag) {
          findings.push({ rule: 'governance/unknown-tag', severity: 'warning', message: `tag "${name}" is not defined in governance.yaml (known: ${[...known.keys()].join(', ')})`, file: artifact.path, ...artifact.data.locate(['tags', name], 'key'), plan: plan.id });
        } else if (!tag.values.some((allowed) => String(allowed) === String(value))) {
          findings.push({ rule: 'governance/tag-value', severity: 'error', message: `tag ${name} is ${JSON.stringify(value)}; allowed: ${tag.values.map((v) => JSON.stringify(v)).join(', ')}`, file: artifact.path, ...artifact.data.locate(['tags', name]), plan: plan.id });
        }
      }
    }
    return findings;
  },
};
