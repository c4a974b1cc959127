/** The programmatic API: the same commands the CLI runs, returning results instead of printing. */
export { lint, lintExitCode, type LintOptions, type LintResult } from './commands/lint.js';
export { init, type InitOptions, type InitResult } from './commands/init.js';
export { newPlan, type NewPlanOptions, type NewPlanResult } from './commands/new.js';
export { showConfig, type ConfigResult } from './commands/config.js';
export { PlanError, UsageError, ConfigError, RepoError } from './core/errors.js';
export type { Finding, Severity } from './core/finding.js';
