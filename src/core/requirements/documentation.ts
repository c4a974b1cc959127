import type { Requirement } from './types.js';

export const documentation: Requirement = {
  name: 'documentation',
  check(value, { storyMap, documentationProfiles, planDir }) {
    const profile = documentationProfiles[String(value)];
    const wanted = profile?.story_map_sections ?? [];
    if (!profile) return `documentation profile "${String(value)}" is not defined in governance.yaml documentation_profiles`;
    if (!storyMap) return `documentation ${String(value)} needs ${planDir}/story_map.md with sections ${wanted.join(', ')}`;
    const headings = storyMap.sections.map((s) => s.text.toLowerCase());
    const missing = wanted.filter((w) => !headings.some((h) => h.startsWith(w.toLowerCase())));
    return missing.length === 0 ? undefined : `story_map.md lacks the section${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (documentation: ${String(value)})`;
  },
};
