import type { Requirement } from './types.js';

export const auditTrail: Requirement = {
  name: 'audit_trail',
  check(value, { unsignedEventCommits, plan }) {
    if (value !== 'enhanced') return undefined;
    if (!unsignedEventCommits || unsignedEventCommits.length === 0) return undefined;
    return `audit_trail enhanced: ${unsignedEventCommits.length} commit(s) of .plan/events/${plan}.jsonl carry no verified signature (${unsignedEventCommits.slice(0, 3).map((c) => c.slice(0, 12)).join(', ')}); sign commits (git config commit.gpgsign true)`;
  },
};
