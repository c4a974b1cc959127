/**
 * The programmatic API: the same commands the CLI runs, returning results instead of printing.
 * Every command takes `{ cwd }` (and optionally `config`), never reads process.cwd(), and throws a
 * PlanError (exitCode 2: could not run) or returns a result whose verdict the CLI turns into exit 1.
 * Commands that sign read the passphrase from PLAN_KEY_PASSPHRASE, or ask on a terminal.
 */
import { describeRule } from './core/rules.js';
import type { Finding } from './core/finding.js';
import { packageVersion } from './io/package.js';
import { loadFormatter, type FormatName } from './report/registry.js';

export type { RepoOptions } from './commands/repo.js';

export { init, type InitOptions, type InitResult, type InitAction } from './commands/init.js';
export { newPlan, type NewPlanOptions, type NewPlanResult } from './commands/new.js';
export { lint, lintExitCode, type LintOptions, type LintResult } from './commands/lint.js';
export { transition, type TransitionOptions, type TransitionResult } from './commands/transition.js';
export { status, type StatusOptions, type StatusResult, type PlanStatus, type NextStep } from './commands/status.js';
export { gate, type GateOptions, type GateResult } from './commands/gate.js';
export { events, toCloudEvent, type EventsOptions, type EventsResult } from './commands/events.js';
export { doctor, type DoctorOptions, type DoctorResult } from './commands/doctor.js';
export { keygen, listKeys, revokeKey, type KeygenOptions, type KeygenResult, type KeyListing } from './commands/keys.js';
export { seal, sign, type SealOptions, type SealResult, type SignResult } from './commands/seal.js';
export { verify, type VerifyOptions, type VerifyResult } from './commands/verify.js';
export { approve, type ApproveOptions, type ApproveResult } from './commands/approve.js';
export { digest, DIGEST_FORMATS, type DigestOptions, type DigestResult, type DigestFormat } from './commands/digest.js';
export { simulatePolicy, testPolicy, type SimulateOptions, type SimulateResult, type SimulatedChange, type PolicyTestResult } from './commands/policy.js';
export { installHook, type HookInstallOptions, type HookInstallResult } from './commands/hook.js';
export { schemaNames, schemaText } from './commands/schema.js';
export { showConfig, type ConfigResult } from './commands/config.js';

export { PlanError, UsageError, ConfigError, RepoError, EXIT_OK, EXIT_CHECK_FAILED, EXIT_CANNOT_RUN, type ErrorLocation } from './core/errors.js';
export { compareFindings, countFindings, type Finding, type FindingCounts, type Severity } from './core/finding.js';
export type { PlanningEvent } from './core/events.js';
export type { VerifyReport } from './core/seal.js';
export type { GateReport } from './core/gates.js';
export type { Violation } from './core/governance.js';
export { FORMAT_NAMES, type FormatName } from './report/registry.js';
export type { LintReport, FormatOptions, Formatter, RuleInfo } from './report/types.js';

export interface FormatFindingsOptions {
  /** stylish, json, sarif, junit or github. */
  format: FormatName;
  /** The repository root the findings' paths are relative to (SARIF's %SRCROOT%). */
  root?: string;
  /** For the summaries; defaults to the number of distinct files with findings. */
  filesChecked?: number;
  /** ANSI colors in stylish output (default false). */
  color?: boolean;
}

/** Renders findings (of lint, gate, doctor, verify) exactly as the CLI's `--format` does. */
export async function formatFindings(findings: Finding[], options: FormatFindingsOptions): Promise<string> {
  const formatter = await loadFormatter(options.format);
  const rules = [...new Set(findings.map((f) => f.rule))].sort().map(describeRule);
  const filesChecked = options.filesChecked ?? new Set(findings.map((f) => f.file).filter(Boolean)).size;
  return formatter({ findings, filesChecked, toolVersion: packageVersion(), rules }, { color: options.color ?? false, ...(options.root ? { cwd: options.root } : {}) });
}
