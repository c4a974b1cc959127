import { accessSync, constants, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { folderSettingProblem, resolveConfig, type ConfigOrigin, type PlanConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { assertSchema, parseStrictYaml } from './yaml_file.js';

export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.planrc',
  '.planrc.json',
  '.planrc.yaml',
  '.planrc.yml',
  '.planrc.js',
  '.planrc.mjs',
  'plan.config.yaml',
  'plan.config.yml',
  'plan.config.json',
  'plan.config.js',
  'plan.config.mjs',
];

export interface LoadedConfig {
  config: PlanConfig;
  origin: ConfigOrigin;
  /** Repository-relative path of the file the config came from, if any. */
  file?: string;
}

/** Finds the config at the repository root (or uses `--config FILE`), validates it, fills defaults. */
export async function loadConfig(root: string, explicit?: string): Promise<LoadedConfig> {
  const located = new Map<string, ReturnType<typeof parseStrictYaml>>();
  const yamlLoader: Loader = (filepath) => {
    const display = relative(root, filepath) || filepath;
    const parsed = parseStrictYaml(display, readFileSync(filepath));
    located.set(filepath, parsed);
    return parsed.value;
  };
  const explorer = cosmiconfig('plan', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.yaml': yamlLoader, '.yml': yamlLoader, noExt: yamlLoader },
    cache: false,
  });
  if (!explicit) assertConfigFilesReadable(root);
  let result;
  try {
    result = explicit ? await explorer.load(explicit) : await explorer.search(root);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const e = error as NodeJS.ErrnoException;
    const file = explicit ?? 'config';
    throw new ConfigError(e.code === 'ENOENT' ? 'config file not found' : `cannot load config: ${e.message.split('\n')[0]}`, { file: relative(root, file) || file, cause: error });
  }
  if (!result || result.isEmpty) return resolveConfig(undefined, undefined);
  const display = relative(root, result.filepath) || result.filepath;
  const raw: unknown = result.config;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('config must be a mapping of settings', { file: display });
  assertSchema('config', raw, display, located.get(result.filepath));
  const resolved = resolveConfig(raw as Record<string, unknown>, display);
  try {
    new RegExp(resolved.config.task_id_pattern);
  } catch (error) {
    throw new ConfigError(`task_id_pattern is not a valid regular expression: ${(error as Error).message}`, { file: display, ...located.get(result.filepath)?.locate(['task_id_pattern']) });
  }
  const folder = folderSettingProblem(resolved.config);
  if (folder) throw new ConfigError(folder.message, { file: display, ...located.get(result.filepath)?.locate([folder.key]) });
  return { ...resolved, file: display };
}

/**
 * cosmiconfig skips a config file it may not read as if it were absent, which would run the
 * commands on defaults the repository did not choose; an unreadable config is an error instead.
 */
function assertConfigFilesReadable(root: string): void {
  for (const place of CONFIG_SEARCH_PLACES) {
    try {
      accessSync(join(root, place), constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') throw new ConfigError('cannot read the config file: permission denied', { file: place, cause: error });
    }
  }
}
