import type { Severity } from './finding.js';

export type RuleSetting = Severity | 'off';

export interface ArtifactMapping {
  /** Glob relative to a plan folder. */
  pattern: string;
  /** A shipped schema name (`be_backlog`) or a repository-relative path to a JSON Schema. */
  schema: string;
}

export interface PlanConfig {
  plans_dir: string;
  rulebook_dir: string;
  task_id_pattern: string;
  lint: {
    max_warnings: number;
    max_file_bytes: number;
    max_depth: number;
    max_aliases: number;
    max_dependency_depth: number;
    rules: Record<string, RuleSetting>;
  };
  artifacts: ArtifactMapping[];
  cycle: { length_days: number; anchor: string; timezone: string };
}

export const DEFAULT_CONFIG: PlanConfig = {
  plans_dir: 'plans',
  rulebook_dir: 'rulebook',
  task_id_pattern: '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$',
  lint: {
    max_warnings: -1,
    max_file_bytes: 16 * 1024 * 1024,
    max_depth: 64,
    max_aliases: 50,
    max_dependency_depth: 5,
    rules: {},
  },
  artifacts: [
    { pattern: 'plan.yaml', schema: 'plan' },
    { pattern: 'be_backlog.yaml', schema: 'be_backlog' },
  ],
  cycle: { length_days: 14, anchor: '2024-01-01', timezone: 'UTC' },
};

/** Where each setting came from: top-level keys, and `section.key` for keys set inside a section. */
export type ConfigOrigin = Record<string, string>;

/**
 * Layers a user's (already schema-checked) config over the defaults, one level deep for the
 * sectioned keys, and records where each top-level key came from for `plan config --print`.
 */
export function resolveConfig(raw: Record<string, unknown> | undefined, source: string | undefined): { config: PlanConfig; origin: ConfigOrigin } {
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  const origin: ConfigOrigin = {};
  for (const key of Object.keys(config)) origin[key] = 'default';
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (key === '$schema' || value === undefined) continue;
    const current = config[key];
    if (isPlainObject(current) && isPlainObject(value)) {
      config[key] = { ...current, ...value };
      for (const sub of Object.keys(value)) origin[`${key}.${sub}`] = source ?? 'default';
    } else {
      config[key] = value;
      origin[key] = source ?? 'default';
    }
  }
  return { config: config as unknown as PlanConfig, origin };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The configured task id pattern; the config loader has already checked that it compiles. */
export function taskIdRegex(config: PlanConfig): RegExp {
  return new RegExp(config.task_id_pattern);
}

/** Settings naming folders that plan writes to: they must stay inside the repository. */
const FOLDER_SETTINGS = ['plans_dir', 'rulebook_dir'] as const;

/** Why a folder setting would leave the repository, or undefined when it stays inside. */
export function folderSettingProblem(config: PlanConfig): { key: (typeof FOLDER_SETTINGS)[number]; message: string } | undefined {
  for (const key of FOLDER_SETTINGS) {
    const value = config[key];
    const parts = value.split(/[\\/]+/);
    if (/^([\\/]|[A-Za-z]:)/.test(value)) return { key, message: `${key} must be relative to the repository root, not an absolute path: ${value}` };
    if (parts.includes('..')) return { key, message: `${key} must stay inside the repository (no '..'): ${value}` };
    if (parts.every((p) => p === '' || p === '.')) return { key, message: `${key} must name a folder below the repository root: ${value}` };
    if (parts[0] === '.git') return { key, message: `${key} must not point into .git: ${value}` };
  }
  return undefined;
}
