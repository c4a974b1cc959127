import type { Requirement } from './types.js';

export const reviewBoard: Requirement = {
  name: 'review_board',
  check(value, { approvals, plan }) {
    const role = typeof value === 'string' ? value : 'review_board';
    if (approvals.valid.some((a) => a.role === role)) return undefined;
    return `no valid approval by a key with the role ${role}; a ${role} key holder runs plan approve ${plan} --key FILE`;
  },
};
