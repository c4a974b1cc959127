/** One schema violation, in the shape ajv reports (so core does not depend on ajv's types). */
export interface SchemaViolation {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Validates a value against a named schema; the io layer supplies the compiled schemas. */
export type SchemaCheck = (schema: string, value: unknown) => SchemaViolation[];

/** `/tasks/3/status` → `['tasks', 3, 'status']`, with JSON Pointer escapes undone. */
export function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}
