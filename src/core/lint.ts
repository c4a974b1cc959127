import { compareFindings, type Finding } from './finding.js';
import { applySuppressions, findSuppressions, type Suppression } from './suppress.js';
import { VALIDATORS } from './validators/index.js';
import type { ValidationContext } from './validators/types.js';

export interface ValidatorRun {
  type: string;
  options?: Record<string, unknown>;
}

/**
 * Runs validators over a workspace and returns the findings for in-scope files: read problems,
 * validator findings, then config severity overrides and inline suppressions, sorted.
 */
export function lintWorkspace(context: ValidationContext, runs: readonly ValidatorRun[]): Finding[] {
  let findings: Finding[] = [];
  const suppressions: Suppression[] = [];
  for (const plan of context.workspace.plans.values()) {
    for (const artifact of plan.artifacts.values()) {
      if (!context.inScope(artifact.path)) continue;
      for (const f of artifact.findings) findings.push({ ...f, plan: plan.id });
      if (artifact.text) {
        const found = findSuppressions(artifact.path, artifact.text.text, artifact.text.lines);
        suppressions.push(...found.suppressions);
        findings.push(...found.findings);
      }
    }
  }
  for (const run of runs) {
    const validator = VALIDATORS.get(run.type);
    if (!validator) throw new Error(`unknown validator type "${run.type}"`);
    findings.push(...validator.run(context, run.options ?? {}));
  }
  const overrides = context.config.lint.rules;
  findings = findings.flatMap((f) => {
    const setting = overrides[f.rule] ?? overrides[f.rule.split('/')[0]!];
    if (setting === 'off') return [];
    return setting ? [{ ...f, severity: setting }] : [f];
  });
  return applySuppressions(findings, suppressions).sort(compareFindings);
}
