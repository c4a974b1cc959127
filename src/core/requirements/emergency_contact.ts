import type { Requirement } from './types.js';

export const emergencyContact: Requirement = {
  name: 'emergency_contact',
  check(_value, { meta, planDir }) {
    const contact = meta['emergency_contact'];
    return typeof contact === 'string' && contact.trim() !== '' ? undefined : `${planDir}/plan.yaml names no emergency_contact`;
  },
};
