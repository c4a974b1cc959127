import type { ApprovalTally } from '../approvals.js';
import type { StoryMap } from '../parse/storymap.js';

export interface FreezeWindow {
  name: string;
  from: string;
  to: string;
  transitions: string[];
  reason?: string;
}

/** Everything a requirement may look at, gathered by the caller; requirements are pure. */
export interface RequirementContext {
  plan: string;
  meta: Record<string, unknown>;
  /** Repository paths of the plan's files, with their sizes. */
  files: ReadonlyMap<string, number>;
  planDir: string;
  storyMap?: StoryMap;
  approvals: ApprovalTally;
  /** The lifecycle event being attempted; undefined when linting. */
  event?: string;
  /** YYYY-MM-DD in the team's time zone. */
  today: string;
  freezeWindows: readonly FreezeWindow[];
  documentationProfiles: Readonly<Record<string, { story_map_sections?: string[] }>>;
  /** Commits that touched the plan's event log without a verified signature (audit_trail). */
  unsignedEventCommits?: string[];
}

export interface Requirement {
  /** The key in governance.yaml (`approval_count: 3`). */
  name: string;
  /** A sentence saying what is missing, or undefined when the requirement holds. */
  check(value: unknown, context: RequirementContext): string | undefined;
}
