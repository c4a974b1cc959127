import type { PlanConfig } from '../config.js';
import type { Finding } from '../finding.js';
import type { GovernanceTag } from '../rulebook.js';
import type { SchemaCheck } from '../schema.js';
import type { Workspace } from '../workspace.js';
import type { Governance, Waiver } from '../governance.js';
import type { ApprovalTally } from '../approvals.js';
import type { FreezeWindow } from '../requirements/index.js';

/** Governance as the governance validator needs it; I/O behind functions so core stays pure. */
export interface GovernanceView {
  governance: Governance;
  waivers: readonly Waiver[];
  freezeWindows: readonly FreezeWindow[];
  /** Approvals of a plan, tallied against its current content (computed on first use). */
  approvals(plan: string): ApprovalTally;
  /** Commits of the plan's event log without a verified signature, for audit_trail. */
  unsignedEventCommits(plan: string): string[] | undefined;
  /** Sizes of the plan files, by path. */
  fileSizes: ReadonlyMap<string, number>;
}

/** What a sealed handoff recorded, for the parity validator. */
export interface HandoffSnapshot {
  /** Repository-relative path of the manifest. */
  manifest: string;
  sequence: number;
  /** Repository-relative paths of the artifacts it sealed. */
  files: string[];
  /** Task ids in the sealed backlog. */
  taskIds: string[];
}

export interface ValidationContext {
  workspace: Workspace;
  config: PlanConfig;
  taskIdPattern: RegExp;
  governanceTags: readonly GovernanceTag[];
  checkSchema: SchemaCheck;
  /** Whether findings in this file are wanted; validators still read every file for cross-references. */
  inScope(path: string): boolean;
  /** Today in the team's time zone (YYYY-MM-DD): the clock, passed in so core stays pure. */
  today?: string;
  /** Reads a repository file (e.g. a coverage report) as text; undefined when it does not exist. */
  readFile?(path: string): string | undefined;
  /** Loads a rulebook file by name (`team_capacity`), already schema-checked. */
  rulebook?(name: string): unknown;
  /** The last sealed handoff of each plan, by plan id. */
  lastHandoff?(plan: string): HandoffSnapshot | undefined;
  governance?: GovernanceView;
}

export interface Validator {
  /** The validator type as gates.yaml names it. */
  type: string;
  run(context: ValidationContext, options: Readonly<Record<string, unknown>>): Finding[];
}
