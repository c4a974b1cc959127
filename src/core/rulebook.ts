/** Typed views of the rulebook files that core reads. The io layer loads and schema-checks them. */

export interface GovernanceTag {
  name: string;
  values: Array<string | number | boolean>;
  default?: string | number | boolean;
  description?: string;
}

export interface GovernanceRulebook {
  tags: GovernanceTag[];
  rules: Record<string, unknown>;
}
