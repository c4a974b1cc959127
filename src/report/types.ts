import type { Finding, Severity } from '../core/finding.js';

export interface RuleInfo {
  id: string;
  description: string;
  defaultSeverity: Severity;
  helpUri?: string;
}

/** Everything a formatter needs; formatters render this and nothing else. */
export interface LintReport {
  findings: Finding[];
  filesChecked: number;
  toolVersion: string;
  /** The catalogue (or the part of it that ran); formatters that describe rules look ids up here. */
  rules: RuleInfo[];
  /** Where the tool is documented; SARIF puts it in `tool.driver.informationUri` when given. */
  informationUri?: string;
}

export interface FormatOptions {
  color: boolean;
  /** Absolute path of the repository root the findings' paths are relative to. */
  cwd?: string;
}

export type Formatter = (report: LintReport, options: FormatOptions) => string;
