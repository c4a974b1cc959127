import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { load as jsYamlLoad } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// ajv and ajv-formats are CommonJS; under NodeNext their default import is the module object.
const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormats.default;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMAS_DIR = join(ROOT, 'schemas');
const RULEBOOK_DIR = join(ROOT, 'rulebook');
const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const schemaFiles = readdirSync(SCHEMAS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const rulebookFiles = readdirSync(RULEBOOK_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function readSchema(file: string): JsonObject {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as JsonObject;
}

function newAjv(): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv;
}

const validators = new Map<string, ValidateFunction>();
/** A compiled validator for schemas/<name>.schema.json, compiled once per run. */
function validatorFor(name: string): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = newAjv().compile(readSchema(`${name}.schema.json`));
    validators.set(name, v);
  }
  return v;
}

/** Validate and return the ajv errors as short `path message` strings (empty when valid). */
function errorsOf(name: string, data: unknown): string[] {
  const validate = validatorFor(name);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

// CEL is evaluated with @marcbachmann/cel-js when the project has it installed; the import is
// by a variable so this file type-checks and runs without it (those tests are skipped then).
const celModule = '@marcbachmann/cel-js';
const cel = (await import(celModule).catch(() => null)) as {
  evaluate: (expr: string, ctx?: Record<string, unknown>) => unknown;
} | null;

function parseYaml(text: string): unknown {
  return parse(text, { schema: 'core' });
}

function readRulebook(name: string): JsonObject {
  return parseYaml(readFileSync(join(RULEBOOK_DIR, `${name}.yaml`), 'utf8')) as JsonObject;
}

/** Every `properties` entry anywhere in a schema, with its JSON pointer. */
function* propertyEntries(node: Json, pointer = ''): Generator<[string, Json]> {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* propertyEntries(child, `${pointer}/${i}`);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' && child !== null && typeof child === 'object' && !Array.isArray(child)) {
      for (const [prop, sub] of Object.entries(child)) yield [`${pointer}/properties/${prop}`, sub];
    }
    // `const`, `enum` and `default` hold data, not schemas; `if` holds conditions, not documentation.
    if (!['const', 'enum', 'default', 'if'].includes(key)) yield* propertyEntries(child, `${pointer}/${key}`);
  }
}

describe('schemas/', () => {
  it('holds the expected schemas', () => {
    expect(schemaFiles).toEqual(
      [
        'be_backlog',
        'config',
        'event',
        'freeze_calendar',
        'gates',
        'governance',
        'kpis',
        'lifecycle',
        'plan',
        'policy_test',
        'sealing',
        'state',
        'team_capacity',
        'trust_store',
        'waivers',
      ].map((n) => `${n}.schema.json`),
    );
  });

  it.each(schemaFiles)('%s is a draft 2020-12 schema that compiles in strict mode', (file) => {
    const schema = readSchema(file);
    expect(schema.$schema).toBe(DRAFT_2020_12);
    expect(schema.$id).toBe(`https://plan.dev/schemas/${file}`);
    expect(typeof schema.title).toBe('string');
    expect(typeof schema.description).toBe('string');
    const ajv = newAjv();
    // compile() also validates the schema against the 2020-12 meta-schema; strict mode throws
    // on unknown keywords, unknown formats, ignored keywords and ambiguous types.
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it.each(schemaFiles)('%s describes every property (editors show the descriptions)', (file) => {
    const missing = [...propertyEntries(readSchema(file))]
      .filter(([, sub]) => !(sub !== null && typeof sub === 'object' && 'description' in sub))
      .map(([pointer]) => pointer);
    expect(missing).toEqual([]);
  });

  it('all schemas load together (distinct $ids)', () => {
    const ajv = newAjv();
    for (const file of schemaFiles) ajv.addSchema(readSchema(file));
    for (const file of schemaFiles) {
      expect(ajv.getSchema(`https://plan.dev/schemas/${file}`)).toBeTypeOf('function');
    }
  });
});

describe('rulebook/', () => {
  it('every rulebook file has a schema', () => {
    expect(rulebookFiles.length).toBeGreaterThanOrEqual(8);
    for (const file of rulebookFiles) {
      expect(schemaFiles).toContain(file.replace(/\.yaml$/, '.schema.json'));
    }
  });

  it.each(rulebookFiles)('%s starts with the modeline of its schema and validates', (file) => {
    const name = file.replace(/\.yaml$/, '');
    const text = readFileSync(join(RULEBOOK_DIR, file), 'utf8');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=../schemas/${name}.schema.json`);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toMatch(/\t|[ \t]$/m);
    expect(errorsOf(name, parseYaml(text))).toEqual([]);
  });

  it.each(rulebookFiles)('%s reads the same with js-yaml (the fast parse path)', (file) => {
    const text = readFileSync(join(RULEBOOK_DIR, file), 'utf8');
    expect(jsYamlLoad(text)).toEqual(parseYaml(text));
  });

  describe('consistency across files', () => {
    interface Transition {
      from: string | null;
      event: string;
      to: string;
      gate?: string;
      seal?: boolean;
      requires_seal?: boolean;
    }
    const lifecycle = readRulebook('lifecycle') as unknown as {
      initial_event: string;
      states: Record<string, { terminal?: boolean }>;
      transitions: Transition[];
    };
    const gates = (readRulebook('gates') as unknown as { gates: Record<string, { triggers?: { from: string; to: string }[] }> })
      .gates;
    const states = Object.keys(lifecycle.states);
    const events = new Set(lifecycle.transitions.map((t) => t.event));

    it('lifecycle.yaml is the table of DESIGN §3', () => {
      const table = lifecycle.transitions.map(
        (t) => `${t.from ?? '-'} ${t.event} ${t.to}${t.gate ? ` [${t.gate}]` : ''}${t.seal ? ' seal' : ''}${t.requires_seal ? ' requires_seal' : ''}`,
      );
      expect(table).toEqual([
        '- create_plan PLANNED',
        'PLANNED update_plan PLANNED',
        'PLANNED validate_complete READY_FOR_HANDOFF [schema_lint]',
        'READY_FOR_HANDOFF validation_failed PLANNED',
        'READY_FOR_HANDOFF package_artifacts PACKAGED [cross_stream_consistency] seal',
        'PACKAGED begin_execution EXECUTED [parity_coverage] requires_seal',
        'EXECUTED execution_failed PACKAGED',
        'EXECUTED validate_results VALIDATED',
        'VALIDATED validation_failed EXECUTED',
        'VALIDATED analyze_metrics IMPROVE',
        'IMPROVE cycle_complete CLOSED',
      ]);
      expect(states).toEqual(['PLANNED', 'READY_FOR_HANDOFF', 'PACKAGED', 'EXECUTED', 'VALIDATED', 'IMPROVE', 'CLOSED']);
      expect(states.filter((s) => lifecycle.states[s]?.terminal)).toEqual(['CLOSED']);
    });

    it('lifecycle.yaml is well-formed: known states, one initial transition, (from, event) unique', () => {
      const initial = lifecycle.transitions.filter((t) => t.from === null);
      expect(initial.map((t) => t.event)).toEqual([lifecycle.initial_event]);
      for (const t of lifecycle.transitions) {
        if (t.from !== null) expect(states).toContain(t.from);
        expect(states).toContain(t.to);
        if (t.from !== null) expect(lifecycle.states[t.from]?.terminal).not.toBe(true);
      }
      const keys = lifecycle.transitions.map((t) => `${t.from} ${t.event}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it("lifecycle.yaml's gates exist in gates.yaml and match their triggers", () => {
      const fromLifecycle = lifecycle.transitions
        .filter((t) => t.gate)
        .map((t) => `${t.gate}: ${t.from} -> ${t.to}`)
        .sort();
      const fromGates = Object.entries(gates)
        .flatMap(([name, g]) => (g.triggers ?? []).map((tr) => `${name}: ${tr.from} -> ${tr.to}`))
        .sort();
      expect(fromGates).toEqual(fromLifecycle);
      expect(Object.keys(gates).sort()).toEqual(['cross_stream_consistency', 'parity_coverage', 'schema_lint']);
    });

    it('governance.yaml: defaults are allowed values, guards are lifecycle events, profiles exist', () => {
      const gov = readRulebook('governance') as unknown as {
        tags: { name: string; values: unknown[]; default: unknown }[];
        rules: Record<string, { guards: string[]; requirements: Record<string, unknown>[] }>;
        documentation_profiles?: Record<string, unknown>;
      };
      for (const tag of gov.tags) expect(tag.values).toContainEqual(tag.default);
      for (const rule of Object.values(gov.rules)) {
        for (const guard of rule.guards) expect(events).toContain(guard);
        for (const req of rule.requirements) {
          if (typeof req.documentation === 'string') {
            expect(Object.keys(gov.documentation_profiles ?? {})).toContain(req.documentation);
          }
        }
      }
    });

    it('freeze_calendar.yaml: windows are ordered and name lifecycle events', () => {
      const cal = readRulebook('freeze_calendar') as unknown as {
        windows: { from: string; to: string; transitions: string[] }[];
      };
      for (const w of cal.windows) {
        expect(w.from <= w.to).toBe(true);
        for (const t of w.transitions) expect(events).toContain(t);
      }
    });

    it.skipIf(!cel)('kpis.yaml formulas evaluate to numbers, or null when undefined', () => {
      const kpis = (readRulebook('kpis') as unknown as { kpis: Record<string, { formula: string }> }).kpis;
      const facts = {
        cycle_days: 14,
        completed_points: 21,
        tasks_total: 40,
        tasks_completed: 10,
        completion_days_total: 27,
        gates_total: 20,
        gates_passed: 19,
        handoffs_total: 2,
        handoffs_verified: 2,
        defects_escaped: 1,
      };
      const zeros = Object.fromEntries(Object.keys(facts).map((k) => [k, 0]));
      const values = Object.fromEntries(Object.entries(kpis).map(([n, k]) => [n, cel!.evaluate(k.formula, facts)]));
      expect(values).toEqual({
        planning_velocity: 1.5,
        quality_gate_pass_rate: 95,
        handoff_success_rate: 100,
        cycle_time: 2.7,
        defect_escape_rate: 2.5,
      });
      for (const [n, k] of Object.entries(kpis)) {
        if (n !== 'planning_velocity') expect(cel!.evaluate(k.formula, zeros)).toBeNull();
      }
    });

    it.skipIf(!cel)('governance.yaml conditions evaluate against tags with defaults filled in', () => {
      const gov = readRulebook('governance') as unknown as {
        tags: { name: string; default: unknown }[];
        rules: Record<string, { condition: string }>;
      };
      const defaults = Object.fromEntries(gov.tags.map((t) => [t.name, t.default]));
      const applies = (tags: Record<string, unknown>): string[] =>
        Object.entries(gov.rules)
          .filter(([, r]) => cel!.evaluate(r.condition, { tags: { ...defaults, ...tags } }) === true)
          .map(([n]) => n);
      expect(applies({})).toEqual([]);
      expect(applies({ criticality: 0 })).toEqual(['critical_zero']);
      expect(applies({ compliance: 'sox', criticality: 0 })).toEqual(['critical_zero', 'compliance_sox']);
    });
  });
});

// Seed §2.1, verbatim (including the line of trailing spaces between the tasks).
const SEED_BACKLOG = `# Backend task breakdown with effort estimates and dependencies
version: 1.0.0
generated_at: 2024-01-15T10:00:00Z
tasks:
  - id: PLN-BE-001
    title: "Event Bus Infrastructure"
    description: "Implement core event messaging system"
    effort_points: 8
    priority: P0
    dependencies: []
    artifacts:
      - event_schema.json
      - bus_config.yaml
    
  - id: PLN-BE-002
    title: "Lifecycle State Machine"
    description: "Implement state transitions and validation"
    effort_points: 13
    priority: P0
    dependencies: ["PLN-BE-001"]
    artifacts:
      - state_machine.yaml
      - transition_rules.json
`;

describe('be_backlog.schema.json', () => {
  const seed = parseYaml(SEED_BACKLOG) as { tasks: Record<string, unknown>[] } & Record<string, unknown>;
  /** The seed backlog with its first task changed by `edit`. */
  const withTask = (edit: (task: Record<string, unknown>) => void): unknown => {
    const copy = structuredClone(seed);
    edit(copy.tasks[0]!);
    return copy;
  };

  it('accepts the seed §2.1 example', () => {
    expect(errorsOf('be_backlog', seed)).toEqual([]);
  });

  it('accepts the fields plan adds (status, team, assignee, dates, type, tags, x- keys)', () => {
    const backlog = withTask((t) => {
      Object.assign(t, {
        status: 'in_progress',
        team: 'backend',
        assignee: 'ana@example.com',
        start: '2024-01-15',
        due: '2024-01-26',
        type: 'feature',
        tags: { component: 'bus', risk: 2, spike_done: false },
        'x-jira': 'PLAT-12',
      });
    });
    expect(errorsOf('be_backlog', backlog)).toEqual([]);
  });

  it.each<[string, (t: Record<string, unknown>) => void, string]>([
    ['missing id', (t) => delete t.id, "must have required property 'id'"],
    ['missing title', (t) => delete t.title, "must have required property 'title'"],
    ['empty id', (t) => (t.id = ''), 'must NOT have fewer than 1 characters'],
    ['bad status', (t) => (t.status = 'finished'), 'must be equal to one of the allowed values'],
    ['bad priority', (t) => (t.priority = 'P5'), 'must be equal to one of the allowed values'],
    ['negative effort', (t) => (t.effort_points = -1), 'must be >= 0'],
    ['effort as text', (t) => (t.effort_points = '8'), 'must be number'],
    ['unknown property', (t) => (t.owner = 'ana'), 'must NOT have additional properties'],
    ['duplicate dependency', (t) => (t.dependencies = ['A-1', 'A-1']), 'must NOT have duplicate items'],
    ['bad due date', (t) => (t.due = '2024-02-30'), 'must match format "date"'],
    ['bad type', (t) => (t.type = 'bug'), 'must be equal to one of the allowed values'],
    ['nested tag value', (t) => (t.tags = { a: { b: 1 } }), 'must match a schema in anyOf'],
  ])('rejects a task with %s', (_label, edit, message) => {
    const errors = errorsOf('be_backlog', withTask(edit));
    expect(errors.some((e) => e.startsWith('/tasks/0') && e.includes(message))).toBe(true);
  });

  it('rejects a backlog without tasks, with a non-string version or a bad generated_at', () => {
    expect(errorsOf('be_backlog', { version: '1.0.0' })).toContain("/ must have required property 'tasks'");
    expect(errorsOf('be_backlog', { ...seed, version: 1.0 })).toContain('/version must be string');
    expect(errorsOf('be_backlog', { ...seed, generated_at: '2024-01-15' })).toContain(
      '/generated_at must match format "date-time"',
    );
    expect(errorsOf('be_backlog', { ...seed, owner: 'x' })).toContain('/ must NOT have additional properties');
  });
});

describe('other artifact schemas', () => {
  it('plan.schema.json: accepts a full plan.yaml and checks ids and paths', () => {
    const plan = {
      id: 'payments-migration',
      title: 'Move payments to the new ledger',
      version: '1.0.0',
      owner: 'ana@example.com',
      stream: 'backend',
      description: 'Two-phase migration.',
      tags: { compliance: 'sox', criticality: 0, data_classification: 'confidential', pci: true },
      emergency_contact: 'payments on-call, +1 555 0100',
      rollback_plan: 'docs/rollback.md',
      artifacts: ['be_backlog.yaml', 'story_map.md'],
      created_at: '2024-01-15T10:00:00Z',
      'x-cost-center': 4711,
    };
    expect(errorsOf('plan', plan)).toEqual([]);
    expect(errorsOf('plan', { id: 'p', title: 'P' })).toEqual([]);
    for (const id of ['-lead', 'has space', 'a/b', 'x'.repeat(65), '']) {
      expect(errorsOf('plan', { ...plan, id })).not.toEqual([]);
    }
    for (const path of ['../outside.md', '/etc/passwd', 'docs/../../x', 'C:\\x.md', '..']) {
      expect(errorsOf('plan', { ...plan, rollback_plan: path })).not.toEqual([]);
    }
    expect(errorsOf('plan', { ...plan, rollback_plan: 'a..b.md' })).toEqual([]);
    expect(errorsOf('plan', { ...plan, tags: { criticality: [0] } })).not.toEqual([]);
    expect(errorsOf('plan', { ...plan, state: 'PLANNED' })).toContain('/ must NOT have additional properties');
  });

  it('event.schema.json: accepts the seed §3.3 event and the events plan writes', () => {
    const seedEvent = {
      type: 'planning_event',
      version: '1.0.0',
      event: {
        id: 'evt_2024_01_15_xyz789',
        timestamp: '2024-01-15T10:00:00Z',
        type: 'STATE_TRANSITION',
        payload: {
          from_state: 'PLANNED',
          to_state: 'READY_FOR_HANDOFF',
          entity_id: 'pln_task_123',
          metadata: { triggered_by: 'system', gate_results: { schema_lint: 'PASS', custom_validation: 'PASS' } },
        },
      },
    };
    expect(errorsOf('event', seedEvent)).toEqual([]);
    const created = structuredClone(seedEvent);
    created.event.type = 'PLAN_CREATED';
    Object.assign(created.event.payload, {
      from_state: null,
      to_state: 'PLANNED',
      metadata: {
        triggered_by: 'cli',
        event: 'create_plan',
        actor: 'Ana <ana@example.com>',
        blobs: { 'plans/p/plan.yaml': 'a'.repeat(40), 'plans/p/be_backlog.yaml': 'b'.repeat(64) },
      },
    });
    expect(errorsOf('event', created)).toEqual([]);
    const bad = structuredClone(created) as unknown as { event: { id: string; payload: { metadata: Record<string, unknown> } } };
    bad.event.id = 'e1';
    bad.event.payload.metadata.gate_results = { schema_lint: 'OK' };
    bad.event.payload.metadata.blobs = { 'plans/p/plan.yaml': 'abc' };
    expect(errorsOf('event', bad).sort()).toEqual([
      '/event/id must match pattern "^evt_"',
      '/event/payload/metadata/blobs/plans~1p~1plan.yaml must match pattern "^(?:[0-9a-f]{40}|[0-9a-f]{64})$"',
      '/event/payload/metadata/gate_results/schema_lint must be equal to one of the allowed values',
    ]);
  });

  it('state.schema.json: one flow mapping per plan', () => {
    const state = parseYaml(
      [
        'payments-migration: {state: READY_FOR_HANDOFF, since: "2024-01-16T09:30:00Z", seq: 3, event: validate_complete}',
        'search: {state: PLANNED, since: "2024-01-15T10:00:00Z", seq: 0, event: create_plan}',
        '',
      ].join('\n'),
    );
    expect(errorsOf('state', state)).toEqual([]);
    expect(errorsOf('state', {})).toEqual([]);
    expect(errorsOf('state', { p: { state: 'planned', since: '2024-01-15T10:00:00Z', seq: 0, event: 'x' } })).not.toEqual([]);
    expect(errorsOf('state', { p: { state: 'PLANNED', since: '2024-01-15T10:00:00Z', seq: -1, event: 'x' } })).not.toEqual([]);
    expect(errorsOf('state', { p: { state: 'PLANNED', since: '2024-01-15T10:00:00Z', seq: 0 } })).not.toEqual([]);
    expect(errorsOf('state', { 'bad id': { state: 'PLANNED', since: '2024-01-15T10:00:00Z', seq: 0, event: 'x' } })).not.toEqual([]);
  });

  it('config.schema.json: accepts a full config and rejects typos and bad values', () => {
    const config = {
      $schema: './node_modules/plan-cli/schemas/config.schema.json',
      plans_dir: 'plans',
      rulebook_dir: 'rulebook',
      task_id_pattern: '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$',
      lint: {
        max_warnings: -1,
        max_file_bytes: 16777216,
        max_depth: 64,
        max_aliases: 50,
        max_dependency_depth: 5,
        rules: { 'yaml/trailing-spaces': 'off', 'deps/cycle': 'error' },
      },
      artifacts: [
        { pattern: 'be_backlog.yaml', schema: 'be_backlog' },
        { pattern: 'extra/*.yaml', schema: 'schemas/extra.schema.json' },
      ],
      cycle: { length_days: 14, anchor: '2024-01-01', timezone: 'Europe/Berlin' },
    };
    expect(errorsOf('config', config)).toEqual([]);
    expect(errorsOf('config', {})).toEqual([]);
    expect(errorsOf('config', { plan_dir: 'plans' })).not.toEqual([]);
    expect(errorsOf('config', { task_id_pattern: '([A-Z' })).not.toEqual([]);
    expect(errorsOf('config', { lint: { max_warnings: -2 } })).not.toEqual([]);
    expect(errorsOf('config', { lint: { rules: { x: 'warn' } } })).not.toEqual([]);
    expect(errorsOf('config', { cycle: { length_days: 0 } })).not.toEqual([]);
    expect(errorsOf('config', { artifacts: [{ pattern: '*.yaml' }] })).not.toEqual([]);
  });

  it('gates.schema.json: validator options depend on the type', () => {
    const gatesWith = (validator: Record<string, unknown>): unknown => ({ gates: { g: { validators: [validator] } } });
    expect(errorsOf('gates', gatesWith({ type: 'command', run: ['node', 'check.js'], timeout_seconds: 30 }))).toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'command', run: './check.sh' }))).toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'coverage', min_percent: 90, report: 'coverage/lcov.info', name: 'code_coverage' }))).toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'governance' }))).toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'command' }))).not.toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'command', run: [] }))).not.toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'parity', min_percent: 80 }))).not.toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'dependency_graph', horizon_days: 90 }))).not.toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'coverage', min_percent: 120 }))).not.toEqual([]);
    expect(errorsOf('gates', gatesWith({ type: 'custom', script: 'validate_references.py' }))).not.toEqual([]);
  });
});
