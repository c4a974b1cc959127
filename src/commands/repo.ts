import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../io/config.js';
import { repoRoot } from '../io/git.js';

export interface RepoOptions {
  /** Directory the command runs in (`-C`). */
  cwd: string;
  /** `--config FILE`, relative to cwd. */
  config?: string;
}

export interface OpenedRepo extends LoadedConfig {
  root: string;
}

/** The repository and its resolved config: the first step of every command. */
export async function openRepo(options: RepoOptions): Promise<OpenedRepo> {
  const root = await repoRoot(options.cwd);
  const loaded = await loadConfig(root, options.config ? resolve(options.cwd, options.config) : undefined);
  return { root, ...loaded };
}
