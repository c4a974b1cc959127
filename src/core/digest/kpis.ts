import { Environment } from '@marcbachmann/cel-js';
import { ConfigError } from '../errors.js';
import { FACT_TYPES, type FactName, type Facts } from './facts.js';
import { round } from './stats.js';

export type KpiDirection = 'higher_is_better' | 'lower_is_better';
export type KpiStatus = 'met' | 'at_risk' | 'missed' | 'no_data';

export interface KpiDefinition {
  name: string;
  title: string;
  description: string | null;
  formula: string;
  unit: string;
  target: number;
  direction: KpiDirection;
  /** How far, in percent of the target, a value may miss it and still be at risk rather than missed. */
  at_risk_tolerance: number;
}

export interface KpiEvaluation {
  value: number | null;
  /** Why a formula failed although every fact it reads had a value. */
  error?: string;
}

export interface CompiledKpi extends KpiDefinition {
  evaluate(facts: Facts): KpiEvaluation;
}

interface RawKpi {
  title?: string;
  description?: string;
  formula: string;
  unit: string;
  target: number;
  direction?: KpiDirection;
  at_risk_tolerance?: number;
}

const LIMITS = { maxAstNodes: 2_000, maxDepth: 64, maxListElements: 500, maxMapEntries: 500, maxCallArguments: 16 };
const NUMERIC = new Set(['double', 'int', 'dyn', 'null']);

function titleOf(name: string): string {
  return name
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** The environment KPI formulas are checked against: every fact, typed; no functions that reach outside. */
function kpiEnvironment(): Environment {
  let env = new Environment({ limits: LIMITS });
  for (const [name, type] of Object.entries(FACT_TYPES)) env = env.registerVariable(name, type);
  return env;
}

/** Compiles kpis.yaml (already schema-checked): a formula that is not valid CEL, or not numeric, is a config error. */
export function compileKpis(raw: unknown, file: string): CompiledKpi[] {
  const kpis = ((raw as { kpis?: Record<string, RawKpi> })?.kpis ?? {}) as Record<string, RawKpi>;
  const env = kpiEnvironment();
  return Object.entries(kpis).map(([name, kpi]) => {
    const fail = (reason: string): never => {
      throw new ConfigError(`kpi ${name}: formula "${kpi.formula}" ${reason}`, { file });
    };
    let parsed: ReturnType<Environment['parse']>;
    try {
      parsed = env.parse(kpi.formula);
    } catch (error) {
      return fail(`is not valid CEL: ${firstLine(error)}`);
    }
    const checked = parsed.check();
    if (!checked.valid) fail(`is not valid CEL: ${firstLine(checked.error)}`);
    if (!NUMERIC.has(String(checked.type))) fail(`yields ${checked.type}, not a number`);
    const reads = (Object.keys(FACT_TYPES) as FactName[]).filter((fact) => new RegExp(`\\b${fact}\\b`).test(kpi.formula));
    const definition: KpiDefinition = {
      name,
      title: kpi.title ?? titleOf(name),
      description: kpi.description ?? null,
      formula: kpi.formula,
      unit: kpi.unit,
      target: kpi.target,
      direction: kpi.direction ?? 'higher_is_better',
      at_risk_tolerance: kpi.at_risk_tolerance ?? 10,
    };
    return {
      ...definition,
      evaluate(facts: Facts): KpiEvaluation {
        if (reads.some((fact) => facts[fact] === null)) return { value: null };
        let result: unknown;
        try {
          result = parsed(facts);
        } catch (error) {
          return { value: null, error: firstLine(error) };
        }
        if (result === null || result === undefined) return { value: null };
        const value = typeof result === 'bigint' ? Number(result) : result;
        if (typeof value !== 'number') return { value: null, error: `yields ${typeof value}, not a number` };
        if (!Number.isFinite(value)) return { value: null, error: 'yields no finite number (a division by zero?)' };
        return { value: round(value) };
      },
    };
  });
}

/** Met, at risk (within the tolerance band past the target) or missed; no value is no data. */
export function kpiStatus(kpi: KpiDefinition, value: number | null): KpiStatus {
  if (value === null) return 'no_data';
  const band = (Math.abs(kpi.target) * kpi.at_risk_tolerance) / 100;
  const shortfall = round(kpi.direction === 'higher_is_better' ? kpi.target - value : value - kpi.target, 9);
  if (shortfall <= 0) return 'met';
  return shortfall <= round(band, 9) ? 'at_risk' : 'missed';
}

function firstLine(error: unknown): string {
  return String((error as { message?: string })?.message ?? error).split('\n')[0]!;
}
