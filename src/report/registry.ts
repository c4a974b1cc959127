import type { Formatter } from './types.js';

/** No formatter is imported here, so the CLI can check `--format` without loading any of them. */
export const FORMAT_NAMES = ['stylish', 'json', 'sarif', 'junit', 'github'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}

/** Loads one formatter module on demand: chalk comes in only with stylish, node:crypto only with sarif. */
export async function loadFormatter(name: FormatName): Promise<Formatter> {
  switch (name) {
    case 'stylish':
      return (await import('./stylish.js')).stylish;
    case 'json':
      return (await import('./json.js')).json;
    case 'sarif':
      return (await import('./sarif.js')).sarif;
    case 'junit':
      return (await import('./junit.js')).junit;
    case 'github':
      return (await import('./github.js')).github;
  }
}
