import type { PlanConfig } from '../config.js';
import type { Finding } from '../finding.js';
import type { GovernanceTag } from '../rulebook.js';
import type { SchemaCheck } from '../schema.js';
import type { Workspace } from '../workspace.js';

export interface ValidationContext {
  workspace: Workspace;
  config: PlanConfig;
  taskIdPattern: RegExp;
  governanceTags: readonly GovernanceTag[];
  checkSchema: SchemaCheck;
  /** Whether findings in this file are wanted; validators still read every file for cross-references. */
  inScope(path: string): boolean;
}

export interface Validator {
  /** The validator type as gates.yaml names it. */
  type: string;
  run(context: ValidationContext, options: Readonly<Record<string, unknown>>): Finding[];
}
