import type { Finding } from '../finding.js';
import { pointerToPath, type SchemaViolation } from '../schema.js';
import type { Validator } from './types.js';

/** Each artifact that config maps to a schema, validated with every error, at the offending line. */
export const jsonSchemaValidator: Validator = {
  type: 'json_schema',
  run(context) {
    const findings: Finding[] = [];
    for (const plan of context.workspace.plans.values()) {
      for (const artifact of plan.artifacts.values()) {
        if (!artifact.schema || !artifact.data || artifact.data.value === undefined || !context.inScope(artifact.path)) continue;
        const data = artifact.data;
        for (const violation of context.checkSchema(artifact.schema, data.value)) {
          const path = pointerToPath(violation.instancePath);
          const { rule, message, at } = describe(violation, path);
          findings.push({ rule, severity: 'error', message, file: artifact.path, ...data.locate(at.path, at.part), plan: plan.id, ...taskOf(path, data.value) });
        }
      }
    }
    return findings;
  },
};

function describe(v: SchemaViolation, path: Array<string | number>): { rule: string; message: string; at: { path: Array<string | number>; part: 'key' | 'value' } } {
  const where = path.length === 0 ? 'document' : path.join('.');
  const params = v.params;
  switch (v.keyword) {
    case 'required':
      return { rule: 'schema/required', message: `${where} is missing required property "${String(params['missingProperty'])}"`, at: { path, part: 'value' } };
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params['additionalProperty'] ?? params['unevaluatedProperty']);
      return { rule: 'schema/unknown-property', message: `${where} has unknown property "${name}"`, at: { path: [...path, name], part: 'key' } };
    }
    case 'enum':
      return { rule: 'schema/enum', message: `${where} must be one of: ${(params['allowedValues'] as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`, at: { path, part: 'value' } };
    case 'type':
      return { rule: 'schema/type', message: `${where} must be ${String(params['type'])}`, at: { path, part: 'value' } };
    case 'format':
      return { rule: 'schema/format', message: `${where} must be a valid ${String(params['format'])}`, at: { path, part: 'value' } };
    case 'uniqueItems':
      return { rule: 'schema/unique-items', message: `${where} has duplicate items (positions ${String(params['j'])} and ${String(params['i'])})`, at: { path, part: 'value' } };
    default:
      return { rule: `schema/${kebab(v.keyword)}`, message: `${where} ${v.message ?? 'is invalid'}`, at: { path, part: 'value' } };
  }
}

function taskOf(path: Array<string | number>, value: unknown): { task?: string } {
  if (path[0] !== 'tasks' || typeof path[1] !== 'number') return {};
  const tasks = (value as { tasks?: unknown }).tasks;
  const task = Array.isArray(tasks) ? (tasks[path[1]] as { id?: unknown } | undefined) : undefined;
  return typeof task?.id === 'string' ? { task: task.id } : {};
}

function kebab(keyword: string): string {
  return keyword.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
