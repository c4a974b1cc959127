import { github } from './github.js';
import { json } from './json.js';
import { junit } from './junit.js';
import type { FormatName } from './registry.js';
import { sarif } from './sarif.js';
import { stylish } from './stylish.js';
import type { Formatter } from './types.js';

export { FORMAT_NAMES, isFormatName, loadFormatter, type FormatName } from './registry.js';
export type { FormatOptions, Formatter, LintReport, RuleInfo } from './types.js';

/**
 * Every formatter, loaded eagerly. Code on a hot path (the CLI) should import `./registry.js` and call
 * `loadFormatter`, which loads only the one asked for.
 */
export const FORMATTERS: Record<FormatName, Formatter> = { stylish, json, sarif, junit, github };
