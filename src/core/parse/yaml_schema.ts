import jsyaml from 'js-yaml';

// The YAML 1.2 core schema's numbers, exactly as the `yaml` package resolves them (schema: 'core').
const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** Every number starts with a digit, a sign or a dot: most scalars (words) are ruled out without a regex. */
function mayBeNumber(data: unknown): data is string {
  if (typeof data !== 'string') return false;
  const c = data.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

const int = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => mayBeNumber(data) && INT.test(data),
  construct: (data: string) => (data.startsWith('0o') ? parseInt(data.slice(2), 8) : data.startsWith('0x') ? parseInt(data.slice(2), 16) : parseInt(data, 10)),
});

const float = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: unknown) => mayBeNumber(data) && FLOAT.test(data),
  construct: (data: string) => {
    if (/nan$/i.test(data)) return NaN;
    if (/inf$/i.test(data)) return data.startsWith('-') ? -Infinity : Infinity;
    return parseFloat(data);
  },
});

/**
 * js-yaml's CORE_SCHEMA is its JSON schema, which also reads YAML 1.1 numbers (0b11, +0x1F) and
 * leaves 1.2 ones (+.5, 1e400) as strings. With these int and float types it reads every scalar
 * as the `yaml` package does, so a file means the same on the fast and the careful path.
 */
export const CORE_SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [int, float] });
