import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ConfigError } from '../core/errors.js';
import type { SchemaCheck, SchemaViolation } from '../core/schema.js';
import { packageRoot } from './package.js';

// ajv-formats is CommonJS; its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: true });
    addFormats(ajv);
  }
  return ajv;
}

/** The path of a shipped schema by name (`be_backlog` → schemas/be_backlog.schema.json). */
export function shippedSchemaPath(name: string): string {
  return join(packageRoot(), 'schemas', `${name}.schema.json`);
}

function schemaFile(name: string, repoRoot: string | undefined): string {
  if (/^[a-z_]+$/.test(name)) return shippedSchemaPath(name);
  if (!repoRoot || isAbsolute(name)) throw new ConfigError(`schema "${name}" must be a shipped schema name or a repository-relative path`);
  return join(repoRoot, name);
}

/** Compiles (once) and returns the validator for a shipped schema name or a repository path. */
export function compileSchema(name: string, repoRoot?: string): ValidateFunction {
  const key = `${repoRoot ?? ''}\0${name}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const file = schemaFile(name, repoRoot);
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`cannot read schema "${name}": ${(error as Error).message.split('\n')[0]}`, { file: name, cause: error });
  }
  let validate: ValidateFunction;
  try {
    const existing = typeof schema['$id'] === 'string' ? instance().getSchema(schema['$id']) : undefined;
    validate = existing ?? instance().compile(schema);
  } catch (error) {
    throw new ConfigError(`schema "${name}" is not a valid JSON Schema: ${(error as Error).message}`, { file: name, cause: error });
  }
  compiled.set(key, validate);
  return validate;
}

/** A SchemaCheck for core, resolving names against the shipped schemas and the repository. */
export function schemaChecker(repoRoot: string): SchemaCheck {
  return (name, value) => {
    const validate = compileSchema(name, repoRoot);
    return validate(value) ? [] : ((validate.errors ?? []) as SchemaViolation[]);
  };
}
