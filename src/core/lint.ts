import { ConfigError } from './errors.js';
import { compareFindings, type Finding } from './finding.js';
import { waives } from './governance.js';
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
  findings = applyWaivers(findings, context);
  const kept = applySuppressions(findings, suppressions) as SourcedFinding[];
  for (const f of kept) f.source ??= READ_SOURCE;
  return kept.sort(compareFindings);
}

function validatorFor(type: string) {
  const validator = VALIDATORS.get(type);
  if (!validator) throw new ConfigError(`validator type "${type}" is not available in this version of plan (known: ${[...VALIDATORS.keys()].join(', ')})`);
  return validator;
}

/**
 * rulebook/waivers.yaml entries for ordinary rules (deps/cycle for one plan, say): a live waiver
 * turns the plan's findings of that rule into warnings that say who waived them until when; an
 * expired one leaves them as they are and says so. Governance rules apply their own waivers.
 */
function applyWaivers(findings: SourcedFinding[], context: ValidationContext): SourcedFinding[] {
  const waivers = context.governance?.waivers ?? [];
  if (waivers.length === 0) return findings;
  const today = context.today ?? '0000-00-00';
  return findings.map((f) => {
    if (!f.plan || f.rule.startsWith('governance/') || f.severity === 'info') return f;
    const waiver = waivers.find((w) => w.plan === f.plan && waives(w, f.rule));
    if (!waiver) return f;
    if (waiver.expires < today) return { ...f, message: `${f.message} [waiver by ${waiver.approver} expired on ${waiver.expires}]` };
    return { ...f, severity: 'warning', message: `${f.message} [waived until ${waiver.expires} by ${waiver.approver}: ${waiver.reason}]` };
  });
}
