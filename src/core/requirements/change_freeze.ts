import type { Requirement } from './types.js';

export const changeFreeze: Requirement = {
  name: 'change_freeze',
  check(_value, { event, today, freezeWindows }) {
    if (!event) return undefined; // a freeze stops transitions; it says nothing about the plan's content
    const window = freezeWindows.find((w) => w.from <= today && today <= w.to && w.transitions.includes(event));
    return window ? `change freeze "${window.name}" (${window.from} to ${window.to}) stops ${event}${window.reason ? `: ${window.reason}` : ''}` : undefined;
  },
};
