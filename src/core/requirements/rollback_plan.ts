import type { Requirement } from './types.js';

export const rollbackPlan: Requirement = {
  name: 'rollback_plan',
  check(_value, { meta, planDir, files }) {
    const path = meta['rollback_plan'];
    if (typeof path !== 'string' || path.trim() === '') return `${planDir}/plan.yaml names no rollback_plan (a file in the plan folder describing how to undo the change)`;
    const full = `${planDir}/${path.replace(/^\.\//, '')}`;
    const size = files.get(full);
    if (size === undefined) return `rollback_plan ${path} does not exist in ${planDir}/`;
    if (size === 0) return `rollback_plan ${path} is empty`;
    return undefined;
  },
};
