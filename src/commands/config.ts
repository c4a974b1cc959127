import type { ConfigOrigin, PlanConfig } from '../core/config.js';
import { RULEBOOK_FILES, rulebookSource } from '../io/rulebook.js';
import { openRepo, type RepoOptions } from './repo.js';

export interface ConfigResult {
  root: string;
  file?: string;
  config: PlanConfig;
  /** For each top-level key: "default" or the file that set it. */
  origin: ConfigOrigin;
  /** For each rulebook file: where it is read from. */
  rulebook: Record<string, string>;
}

/** The resolved config and where every part of it came from. */
export async function showConfig(options: RepoOptions): Promise<ConfigResult> {
  const { root, config, origin, file } = await openRepo(options);
  const rulebook: Record<string, string> = {};
  for (const name of RULEBOOK_FILES) {
    const source = rulebookSource(root, config, name);
    rulebook[name] = source.display;
  }
  return { root, file, config, origin, rulebook };
}
