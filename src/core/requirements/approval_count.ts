import type { Requirement } from './types.js';

export const approvalCount: Requirement = {
  name: 'approval_count',
  check(value, { approvals, plan }) {
    const needed = Number(value);
    const have = approvals.valid.length;
    if (have >= needed) return undefined;
    const ignored = approvals.rejected.length > 0 ? ` (${approvals.rejected.length} more do not count; plan lint says why)` : '';
    return `${have} of ${needed} approvals by distinct trusted keys for the current content${ignored}; run plan approve ${plan} --key FILE`;
  },
};
