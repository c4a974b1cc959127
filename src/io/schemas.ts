import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { validators as shipped } from 'plan:validators';
import { ConfigError } from '../core/errors.js';
import type { SchemaCheck, SchemaViolation } from '../core/schema.js';
import { packageRoot } from './package.js';

export interface Validate {
  (data: unknown): boolean;
  errors?: SchemaViolation[] | null;
}

/** Schemas from the repository (config `artifacts`), compiled at run time by ajv. */
const custom = new Map<string, Validate>();

export function isShippedSchemaName(name: string): boolean {
  return /^[a-z_]+$/.test(name);
}

/** The path of a shipped schema by name (`be_backlog` → schemas/be_backlog.schema.json). */
export function shippedSchemaPath(name: string): string {
  return join(packageRoot(), 'schemas', `${name}.schema.json`);
}

/** A validator by shipped name (precompiled at build time) or by repository path (after prepareSchemas). */
export function compileSchema(name: string, repoRoot?: string): Validate {
  const validate = isShippedSchemaName(name) ? (shipped[name] as Validate | undefined) : custom.get(`${repoRoot}\0${name}`);
  if (!validate) throw new ConfigError(isShippedSchemaName(name) ? `unknown schema "${name}"; shipped schemas: ${Object.keys(shipped).join(', ')}` : `schema "${name}" was not prepared`);
  return validate;
}

/**
 * Compiles the repository's own schemas named in config `artifacts`. ajv's compiler is loaded
 * only here, so a repository that uses the shipped schemas never pays for it.
 */
export async function prepareSchemas(repoRoot: string, names: Iterable<string>): Promise<void> {
  const wanted = [...new Set(names)].filter((n) => !isShippedSchemaName(n) && !custom.has(`${repoRoot}\0${n}`));
  if (wanted.length === 0) return;
  const [{ Ajv2020 }, formats] = await Promise.all([import('ajv/dist/2020.js'), import('ajv-formats')]);
  const addFormats = ((formats as unknown as { default: { default?: unknown } }).default.default ?? formats.default) as (ajv: unknown) => void;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const name of wanted) {
    if (isAbsolute(name) || name.split('/').includes('..')) throw new ConfigError(`schema "${name}" must be a path inside the repository`);
    let schema: Record<string, unknown>;
    try {
      schema = JSON.parse(await readFile(join(repoRoot, name), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`cannot read schema: ${(error as Error).message.split('\n')[0]}`, { file: name, cause: error });
    }
    try {
      custom.set(`${repoRoot}\0${name}`, ajv.compile(schema) as unknown as Validate);
    } catch (error) {
      throw new ConfigError(`not a valid JSON Schema: ${(error as Error).message}`, { file: name, cause: error });
    }
  }
}

/** A SchemaCheck for core, resolving names against the shipped schemas and the repository's. */
export function schemaChecker(repoRoot: string): SchemaCheck {
  return (name, value) => {
    const validate = compileSchema(name, repoRoot);
    return validate(value) ? [] : (validate.errors ?? []);
  };
}
