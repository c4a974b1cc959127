import { Environment } from '@marcbachmann/cel-js';
import { ConfigError } from './errors.js';
import type { GovernanceTag } from './rulebook.js';

/** A compiled CEL condition: a pure function of the values passed in, nothing else. */
export type Condition = (input: { tags: Record<string, unknown>; plan: Record<string, string> }) => boolean;

const LIMITS = { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 500, maxMapEntries: 500, maxCallArguments: 16 };

function celType(values: GovernanceTag['values']): string {
  if (values.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'int';
  if (values.every((v) => typeof v === 'number')) return 'double';
  if (values.every((v) => typeof v === 'boolean')) return 'bool';
  if (values.every((v) => typeof v === 'string')) return 'string';
  return 'dyn';
}

/**
 * The environment conditions are checked against: `tags` typed from governance.yaml (so a
 * misspelt tag is a type error, not a silent false) and `plan` with its identity fields. No
 * functions beyond CEL's standard ones: a condition cannot read files, the environment or the clock.
 */
export function conditionEnvironment(tags: readonly GovernanceTag[]): Environment {
  const schema: Record<string, string> = {};
  for (const tag of tags) schema[tag.name] = celType(tag.values);
  return new Environment({ limits: LIMITS })
    .registerVariable({ name: 'tags', schema })
    .registerVariable({ name: 'plan', schema: { id: 'string', title: 'string', owner: 'string', stream: 'string' } });
}

/** Parses and type-checks a condition; any problem is a config error naming the rule and column. */
export function compileCondition(env: Environment, expression: string, rule: string, file: string): Condition {
  const fail = (error: unknown): never => {
    const e = error as { message?: string; node?: { pos?: number } };
    const column = typeof e.node?.pos === 'number' ? e.node.pos + 1 : undefined;
    const reason = String(e.message ?? error).split('\n')[0];
    throw new ConfigError(`rule ${rule}: condition "${expression}" ${column ? `(column ${column}) ` : ''}is not valid CEL: ${reason}`, { file });
  };
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(expression);
  } catch (error) {
    return fail(error);
  }
  const checked = parsed.check();
  if (!checked.valid) fail(checked.error);
  if (checked.type !== 'bool') fail(new Error(`it yields ${checked.type}, not bool`));
  return (input) => {
    try {
      return parsed(input) === true;
    } catch (error) {
      // dyn() lets a condition past the type checker that then fails on real input: still the rulebook's fault
      const reason = String((error as Error).message ?? error).split('\n')[0];
      throw new ConfigError(`rule ${rule}: condition "${expression}" failed on plan ${input.plan.id}: ${reason}`, { file });
    }
  };
}

/** A tag value as CEL sees it: a whole number of an int tag becomes BigInt (CEL int); a double tag keeps its numbers. */
export function celValue(value: unknown, tag: GovernanceTag): unknown {
  return typeof value === 'number' && Number.isInteger(value) && celType(tag.values) === 'int' ? BigInt(value) : value;
}
