import { celValue, compileCondition, conditionEnvironment, type Condition } from './cel.js';
import { ConfigError } from './errors.js';
import type { Severity } from './finding.js';
import { REQUIREMENTS, type RequirementContext } from './requirements/index.js';
import type { GovernanceTag } from './rulebook.js';

export interface GovernanceRule {
  name: string;
  description?: string;
  condition: string;
  matches: Condition;
  severity: Severity;
  guards: string[];
  requirements: Array<{ name: string; value: unknown }>;
}

export interface Governance {
  tags: GovernanceTag[];
  rules: GovernanceRule[];
  documentationProfiles: Record<string, { story_map_sections?: string[] }>;
}

export interface Waiver {
  rule: string;
  plan: string;
  reason: string;
  approver: string;
  expires: string;
}

interface RawGovernance {
  tags?: GovernanceTag[];
  rules?: Record<string, { description?: string; condition: string; severity?: Severity; guards?: string[]; requirements?: Array<Record<string, unknown>> }>;
  documentation_profiles?: Record<string, { story_map_sections?: string[] }>;
}

/** Compiles governance.yaml: every condition parsed and type-checked, every requirement known. */
export function compileGovernance(raw: unknown, file: string): Governance {
  const data = raw as RawGovernance;
  const tags = data.tags ?? [];
  const env = conditionEnvironment(tags);
  const rules = Object.entries(data.rules ?? {}).map(([name, rule]): GovernanceRule => {
    const requirements = (rule.requirements ?? []).map((entry) => {
      const [key, value] = Object.entries(entry)[0] ?? [];
      if (!key || !REQUIREMENTS.has(key)) throw new ConfigError(`rule ${name}: unknown requirement "${key}" (known: ${[...REQUIREMENTS.keys()].join(', ')})`, { file });
      return { name: key, value };
    });
    return { name, description: rule.description, condition: rule.condition, matches: compileCondition(env, rule.condition, name, file), severity: rule.severity ?? 'error', guards: rule.guards ?? [], requirements };
  });
  return { tags, rules, documentationProfiles: data.documentation_profiles ?? {} };
}

/**
 * A plan's tags as conditions see them: defaults filled in, values in their declared types.
 * A value outside the allowed ones cannot be evaluated honestly, so it is returned as a problem
 * (and blocks guarded transitions) rather than silently replaced by the default.
 */
export function effectiveTags(meta: Record<string, unknown> | undefined, tags: readonly GovernanceTag[]): { values: Record<string, unknown>; invalid: string[] } {
  const given = (meta?.['tags'] ?? {}) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const invalid: string[] = [];
  for (const tag of tags) {
    const raw = given[tag.name];
    if (raw === undefined) {
      if (tag.default !== undefined) values[tag.name] = celValue(tag.default, tag);
      continue;
    }
    const allowed = tag.values.find((v) => String(v) === String(raw));
    if (allowed === undefined) invalid.push(`${tag.name}=${JSON.stringify(raw)}`);
    else values[tag.name] = celValue(allowed, tag);
  }
  return { values, invalid };
}

export interface Violation {
  rule: string;
  severity: Severity;
  requirement: string;
  message: string;
  /** Set when a live waiver turns the violation into a warning. */
  waivedBy?: Waiver;
}

export interface PlanVerdict {
  /** Rules whose condition holds for the plan. */
  applies: string[];
  violations: Violation[];
  /** Violations that stop the transition: errors without a live waiver. */
  blocking: Violation[];
  expiredWaivers: Waiver[];
}

/**
 * The governance verdict for one plan: which rules apply, what they require that is missing,
 * and (when `context.event` is set) what blocks that transition. Only rules guarding the event
 * count for a transition; when linting, every applicable rule is checked.
 */
export function evaluatePlan(governance: Governance, context: RequirementContext, waivers: readonly Waiver[]): PlanVerdict {
  const { values, invalid } = effectiveTags(context.meta, governance.tags);
  const plan = { id: context.plan, title: str(context.meta['title']), owner: str(context.meta['owner']), stream: str(context.meta['stream']) };
  const verdict: PlanVerdict = { applies: [], violations: [], blocking: [], expiredWaivers: [] };
  const relevant = governance.rules.filter((r) => context.event === undefined || r.guards.includes(context.event));
  if (invalid.length > 0 && relevant.length > 0) {
    const violation: Violation = { rule: 'governance', severity: 'error', requirement: 'tags', message: `governance cannot be evaluated: tag value${invalid.length > 1 ? 's' : ''} ${invalid.join(', ')} not allowed by governance.yaml` };
    verdict.violations.push(violation);
    verdict.blocking.push(violation);
    return verdict;
  }
  for (const rule of relevant) {
    if (!rule.matches({ tags: values, plan })) continue;
    verdict.applies.push(rule.name);
    const waiver = waivers.find((w) => waives(w, `governance/${rule.name}`) && w.plan === context.plan);
    const live = waiver && waiver.expires >= context.today ? waiver : undefined;
    if (waiver && !live) verdict.expiredWaivers.push(waiver);
    for (const requirement of rule.requirements) {
      const message = REQUIREMENTS.get(requirement.name)!.check(requirement.value, context);
      if (!message) continue;
      const violation: Violation = { rule: rule.name, severity: live ? 'warning' : rule.severity, requirement: requirement.name, message, ...(live ? { waivedBy: live } : {}) };
      verdict.violations.push(violation);
      if (violation.severity === 'error') verdict.blocking.push(violation);
    }
  }
  return verdict;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Whether a waiver names this rule id: exactly, as its group (`deps` for deps/cycle), or by a governance rule's bare name. */
export function waives(waiver: Waiver, ruleId: string): boolean {
  return waiver.rule === ruleId || ruleId.startsWith(`${waiver.rule}/`) || (ruleId.startsWith('governance/') && waiver.rule === ruleId.slice('governance/'.length));
}
