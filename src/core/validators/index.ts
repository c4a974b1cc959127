import { coverageValidator } from './coverage.js';
import { dependencyGraphValidator } from './dependency_graph.js';
import { governanceTagsValidator } from './governance_tags.js';
import { governanceValidator } from './governance.js';
import { jsonSchemaValidator } from './json_schema.js';
import { planLayoutValidator } from './plan_layout.js';
import { parityValidator } from './parity.js';
import { referencesValidator } from './references.js';
import { resourceValidator } from './resource_validator.js';
import { timelineCheckerValidator } from './timeline_checker.js';
import type { Validator } from './types.js';
import { yamlLintValidator } from './yaml_lint.js';

/** Every validator, by the type name gates.yaml uses. Adding a validator is adding a file and a line here. */
export const VALIDATORS: ReadonlyMap<string, Validator> = new Map(
  [planLayoutValidator, jsonSchemaValidator, yamlLintValidator, referencesValidator, dependencyGraphValidator, governanceTagsValidator, governanceValidator, timelineCheckerValidator, resourceValidator, coverageValidator, parityValidator].map((v) => [v.type, v]),
);

/** What `plan lint` runs: the static checks, with no gate-specific options. */
export const LINT_VALIDATORS: readonly string[] = ['plan_layout', 'json_schema', 'yaml_lint', 'references', 'dependency_graph', 'governance_tags', 'governance'];

export type { Validator, ValidationContext } from './types.js';
