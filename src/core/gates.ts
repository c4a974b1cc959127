import type { GateOutcome } from './events.js';
import { ConfigError } from './errors.js';
import { countFindings, type Finding } from './finding.js';
import { lintWorkspace, READ_SOURCE, type ValidatorRun } from './lint.js';
import type { ValidationContext } from './validators/types.js';

export interface ValidatorDef {
  type: string;
  name?: string;
  [option: string]: unknown;
}

export interface GateDef {
  name: string;
  description?: string;
  triggers: Array<{ from: string; to: string }>;
  validators: ValidatorDef[];
}

export function buildGates(raw: unknown): Map<string, GateDef> {
  const gates = ((raw as { gates?: Record<string, Omit<GateDef, 'name'>> }).gates ?? {}) as Record<string, Omit<GateDef, 'name'>>;
  return new Map(Object.entries(gates).map(([name, g]) => [name, { name, ...g, triggers: g.triggers ?? [], validators: g.validators ?? [] }]));
}

export function gateNamed(gates: ReadonlyMap<string, GateDef>, name: string, file: string): GateDef {
  const gate = gates.get(name);
  if (!gate) throw new ConfigError(`gate "${name}" is not defined (defined: ${[...gates.keys()].join(', ') || 'none'})`, { file });
  return gate;
}

export interface GateReport {
  gate: string;
  passed: boolean;
  /** Outcome per validator name, as events record it (metadata.gate_results). */
  results: Record<string, GateOutcome>;
  findings: Finding[];
}

export function validatorRuns(gate: GateDef, precomputed: ReadonlyMap<number, Finding[]> = new Map()): ValidatorRun[] {
  return gate.validators.map((v, i) => {
    const { type, name, ...options } = v;
    const run: ValidatorRun = { type, name: name ?? type, options };
    const done = precomputed.get(i);
    if (done) run.precomputed = done;
    return run;
  });
}

/** Runs a gate's validators for the in-scope files; it passes when no finding is an error. */
export function runGate(gate: GateDef, context: ValidationContext, precomputed?: ReadonlyMap<number, Finding[]>): GateReport {
  const runs = validatorRuns(gate, precomputed);
  const findings = lintWorkspace(context, runs);
  const results: Record<string, GateOutcome> = {};
  const outcome = (list: Finding[]): GateOutcome => {
    const counts = countFindings(list);
    return counts.error > 0 ? 'FAIL' : counts.warning > 0 ? 'WARN' : 'PASS';
  };
  const readProblems = findings.filter((f) => f.source === READ_SOURCE);
  if (readProblems.length > 0) results[READ_SOURCE] = outcome(readProblems);
  for (const run of runs) results[run.name!] = outcome(findings.filter((f) => f.source === run.name));
  return {
    gate: gate.name,
    passed: !Object.values(results).includes('FAIL'),
    results,
    findings: findings.map(({ source: _source, ...f }) => f),
  };
}
