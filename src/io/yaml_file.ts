import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { decodeText, isDecoded } from '../core/parse/text.js';
import { parseYaml, type ParsedYaml } from '../core/parse/yaml.js';
import { pointerToPath, type SchemaViolation } from '../core/schema.js';
import { compileSchema } from './schemas.js';

const STRICT_LIMITS = { maxDepth: 64, maxAliases: 0 };
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Parses a YAML file `plan` itself depends on, refusing anything doubtful with a one-line ConfigError. */
export function parseStrictYaml(display: string, bytes: Uint8Array): ParsedYaml {
  const decoded = decodeText(display, bytes, { maxFileBytes: MAX_CONFIG_BYTES });
  const problem = decoded.findings[0];
  if (problem || !isDecoded(decoded)) throw findingError(problem!);
  const parsed = parseYaml(display, decoded.text, decoded.lines, STRICT_LIMITS);
  if (parsed.findings[0]) throw findingError(parsed.findings[0]);
  return parsed;
}

/** Reads, parses and schema-checks one YAML config or rulebook file. */
export function loadYamlFile(path: string, display: string, schema: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError(`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file: display, cause: error });
  }
  const parsed = parseStrictYaml(display, bytes);
  assertSchema(schema, parsed.value, display, parsed);
  return parsed.value;
}

/** Throws a ConfigError at the first schema violation, naming how many there are in all. */
export function assertSchema(schema: string, value: unknown, display: string, parsed?: ParsedYaml): void {
  const validate = compileSchema(schema);
  if (validate(value)) return;
  const errors = (validate.errors ?? []) as SchemaViolation[];
  const first = errors[0]!;
  const path = pointerToPath(first.instancePath);
  const extra = first.keyword === 'additionalProperties' ? ` "${String(first.params['additionalProperty'])}"` : first.keyword === 'enum' ? `: ${(first.params['allowedValues'] as unknown[]).join(', ')}` : '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  const where = path.length ? path.join('.') : 'document';
  throw new ConfigError(`${where} ${first.message ?? 'is invalid'}${extra}${more}`, { file: display, ...(parsed ? parsed.locate(first.keyword === 'additionalProperties' ? [...path, String(first.params['additionalProperty'])] : path, first.keyword === 'additionalProperties' ? 'key' : 'value') : {}) });
}

function findingError(finding: { message: string; file?: string; line?: number; column?: number }): ConfigError {
  return new ConfigError(finding.message, { file: finding.file, line: finding.line, column: finding.column });
}
