import { ConfigError } from './errors.js';
import { compareFindings, type Finding } from './finding.js';
import { applySuppressions, findSuppressions, type Suppression } from './suppress.js';
import { VALIDATORS } from './validators/index.js';
import type { ValidationContext } from './validators/types.js';

export interface ValidatorRun {
  type: string;
  /** Name the results are reported under (gate_results); defaults to the type. */
  name?: string;
  options?: Record<string, unknown>;
  /** Findings computed outside core (a `command` validator runs a process), passed through as they are. */
  precomputed?: Finding[];
}

/** Reading problems (bad bytes, unparseable files, suppression syntax) are reported under this source. */
export const READ_SOURCE = 'read';

export interface SourcedFinding extends Finding {
  /** Which validator run (its name) produced the finding, or READ_SOURCE. */
  source: string;
}

/**
 * Runs validators over a workspace and returns the findings for in-scope files: read problems,
 * validator findings, then config severity overrides and inline suppressions, sorted.
 */
export function lintWorkspace(context: ValidationContext, runs: readonly ValidatorRun[]): SourcedFinding[] {
  let findings: SourcedFinding[] = [];
  const suppressions: Suppression[] = [];
  for (const plan of context.workspace.plans.values()) {
    for (const artifact of plan.artifacts.values()) {
      if (!context.inScope(artifact.path)) continue;
      for (const f of artifact.findings) findings.push({ ...f, plan: plan.id, source: READ_SOURCE });
      if (artifact.text) {
        const found = findSuppressions(artifact.path, artifact.text.text, artifact.text.lines);
        suppressions.push(...found.suppressions);
        for (const f of found.findings) findings.push({ ...f, source: READ_SOURCE });
      }
    }
  }
  for (const run of runs) {
    const source = run.name ?? run.type;
    const produced = run.precomputed ?? validatorFor(run.type).run(context, run.options ?? {});
    for (const f of produced) findings.push({ ...f, source });
  }
  const overrides = context.config.lint.rules;
  findings = findings.flatMap((f) => {
    const setting = overrides[f.rule] ?? overrides[f.rule.split('/')[0]!];
    if (setting === 'off') return [];
    return setting ? [{ ...f, severity: setting }] : [f];
  });
  const kept = applySuppressions(findings, suppressions) as SourcedFinding[];
  for (const f of kept) f.source ??= READ_SOURCE;
  return kept.sort(compareFindings);
}

function validatorFor(type: string) {
  const validator = VALIDATORS.get(type);
  if (!validator) throw new ConfigError(`validator type "${type}" is not available in this version of plan (known: ${[...VALIDATORS.keys()].join(', ')})`);
  return validator;
}
