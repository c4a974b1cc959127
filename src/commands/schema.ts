import { readFile, readdir } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { isShippedSchemaName, shippedSchemaPath } from '../io/schemas.js';
import { packageRoot } from '../io/package.js';
import { join } from 'node:path';

/** The names of the shipped schemas (`be_backlog`, `plan`, ...). */
export async function schemaNames(): Promise<string[]> {
  return (await readdir(join(packageRoot(), 'schemas'))).filter((f) => f.endsWith('.schema.json')).map((f) => f.slice(0, -'.schema.json'.length)).sort();
}

/** One shipped JSON Schema's text, for editors and other tools. */
export async function schemaText(name: string): Promise<string> {
  const names = await schemaNames();
  const bare = name.replace(/\.schema\.json$/, '');
  if (!isShippedSchemaName(bare) || !names.includes(bare)) throw new UsageError(`no schema "${name}"; the shipped schemas are: ${names.join(', ')}`);
  return readFile(shippedSchemaPath(bare), 'utf8');
}
